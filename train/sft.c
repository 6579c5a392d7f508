/* train/sft.c — SFT objective; see sft.h. */
#include "train/sft.h"

#include "train/logprob.h"
#include "util/alloc.h"
#include "util/err.h"

void sft_verdict_weights(int64_t n_yes, int64_t n_no, double judge_weight, float weight[2]) {
    int64_t n[2] = {n_no, n_yes};
    for (int v = 0; v < 2; v++)  // one verdict alone: nothing to balance
        weight[v] = n_yes > 0 && n_no > 0
                        ? (float)(judge_weight * 0.5 * (double)(n_no + n_yes) / (double)n[v])
                        : (float)judge_weight;
}

double sft_response_tokens(const int32_t *resp_start, const int32_t *len, const float *weight,
                           int B) {
    double n = 0.0;
    for (int b = 0; b < B; b++) n += (weight ? weight[b] : 1.0) * (len[b] - resp_start[b]);
    return n;
}

double sft_train_batch(Activations *a, const ParamSlab *w, ParamSlab *grads, const int32_t *tokens,
                       const int32_t *resp_start, const int32_t *len, const float *weight, int B,
                       int S, double norm) {
    const GPTConfig *c = &w->cfg;
    double n_tok = norm > 0 ? norm : sft_response_tokens(resp_start, len, weight, B);
    CHECKF(n_tok > 0, "sft_train_batch: batch has no weighted response tokens");
    const float *logits = gpt_forward(a, w, tokens, B, S);
    double *logp = xmalloc("sft", (size_t)B * 2 * sizeof(double)), *dlogp = logp + B;
    seq_logprob_forward(logp, logits, tokens, resp_start, len, B, S, c->V, c->Vp);
    double nll = 0.0;
    for (int b = 0; b < B; b++) {
        double wb = weight ? weight[b] : 1.0;
        nll -= wb * logp[b];
        dlogp[b] = -wb / n_tok;
    }
    seq_logprob_backward(a->dlogits, dlogp, logits, tokens, resp_start, len, B, S, c->V, c->Vp);
    gpt_backward(grads, a, w);
    xfree(logp);
    return nll;
}
