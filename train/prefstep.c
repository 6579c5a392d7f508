/* train/prefstep.c — preference-training forward/loss/backward; see prefstep.h. */
#include "train/prefstep.h"

#include "train/logprob.h"
#include "util/alloc.h"
#include "util/err.h"

void prefstep_logprobs(double *logp, Activations *a, const ParamSlab *w, const int32_t *tokens,
                       const int32_t *resp_start, const int32_t *len, int B, int S) {
    const GPTConfig *c = &w->cfg;
    for (int b0 = 0; b0 < B; b0 += a->max_B) {
        int nb = B - b0 < a->max_B ? B - b0 : a->max_B;
        const int32_t *tok = tokens + (size_t)b0 * S;
        const float *logits = gpt_forward(a, w, tok, nb, S);
        seq_logprob_forward(logp + b0, logits, tok, resp_start + b0, len + b0, nb, S, c->V, c->Vp);
    }
}

// SCIR [R]: drops the preference gradient of pairs outside the consistent set and adds the
// consistency penalty's gradient through z = margin (∂z/∂c = β, ∂z/∂r = −β).
static void add_scir(PairBatch *pb, const LossParams *lp, PairOutput *out, int n,
                     double grad_scale) {
    double sum = 0.0;
    pb->scir_dropped = 0;
    for (int i = 0; i < n; i++) {
        double z = out[i].margin, u = pb->scir_u[i];
        double p_g = loss_sigmoid(u), p_i = loss_sigmoid(z);
        if (loss_scir_consistent(p_g, p_i, lp->scir_margin) != 1) {
            out[i].dc = out[i].dr = 0.0;
            pb->scir_dropped++;
        }
        double dz, du;
        sum += loss_scir_consistency(z, u, lp->scir_entropy, &dz, &du);
        double k = lp->scir_weight / n;
        out[i].dc += k * dz * lp->beta;
        out[i].dr -= k * dz * lp->beta;
        pb->scir_du[i] = k * du * grad_scale;
    }
    pb->scir_mean = n ? sum / n : 0.0;
}

int prefstep_train(Activations *a, const ParamSlab *w, ParamSlab *grads, const LossParams *lp,
                   PairBatch *pb, double grad_scale, double *logp_out, LossMetrics *m) {
    const GPTConfig *c = &w->cfg;
    int n = pb->n_pairs, B = 2 * n, S = pb->S;
    CHECKF(a->training && B <= a->max_B && S <= a->max_S,
           "prefstep_train: batch of %d pairs x %d tokens exceeds the activations", n, S);
    const float *logits = gpt_forward(a, w, pb->tokens, B, S);
    double *logp = xmalloc("prefstep", (size_t)B * 3 * sizeof(double));
    double *dlogp = logp + B;
    PairInput *in = xcalloc("prefstep", (size_t)n, sizeof(PairInput));
    PairOutput *out = xcalloc("prefstep", (size_t)n, sizeof(PairOutput));
    seq_logprob_forward(logp, logits, pb->tokens, pb->resp_start, pb->len, B, S, c->V, c->Vp);
    const double *prev = pb->prev_logp ? pb->prev_logp : pb->ref_logp;
    for (int i = 0; i < n; i++) {
        PairInput *p = &in[i];
        p->c = logp[2 * i];
        p->r = logp[2 * i + 1];
        p->c_ref = pb->ref_logp ? pb->ref_logp[2 * i] : 0.0;
        p->r_ref = pb->ref_logp ? pb->ref_logp[2 * i + 1] : 0.0;
        p->c_prev = prev ? prev[2 * i] : 0.0;
        p->r_prev = prev ? prev[2 * i + 1] : 0.0;
        p->p = pb->p ? pb->p[i] : 1.0;
        p->p_w = pb->p_w ? pb->p_w[i] : 1.0;
        p->p_l = pb->p_l ? pb->p_l[i] : 0.0;
        p->len_c = pb->len[2 * i] - pb->resp_start[2 * i];
        p->len_r = pb->len[2 * i + 1] - pb->resp_start[2 * i + 1];
    }
    int bad = loss_batch(lp, in, out, n, m);
    if (pb->scir_u) add_scir(pb, lp, out, n, grad_scale);
    for (int i = 0; i < n; i++) {
        dlogp[2 * i] = out[i].dc * grad_scale;
        dlogp[2 * i + 1] = out[i].dr * grad_scale;
    }
    seq_logprob_backward(a->dlogits, dlogp, logits, pb->tokens, pb->resp_start, pb->len, B, S, c->V,
                         c->Vp);
    gpt_backward(grads, a, w);
    if (logp_out)
        for (int b = 0; b < B; b++) logp_out[b] = logp[b];
    xfree(logp);
    xfree(in);
    xfree(out);
    return bad;
}
