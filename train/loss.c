/* train/loss.c — pairwise preference losses and their closed-form gradients (see loss.h).
   Every loss is written as a function of the per-pair logit (z for the DPO family, h or h_t for
   the squared losses) and evaluated with softplus/sigmoid forms that never overflow. Differences
   of log-probs are taken between the closest models first (policy - reference) to limit
   cancellation when the summed log-probs are large. */
#include "train/loss.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static const char *const kind_names[LOSS_KIND_COUNT] = {
    [LOSS_SFT] = "sft", [LOSS_DPO] = "dpo",   [LOSS_CDPO] = "cdpo", [LOSS_RDPO] = "rdpo",
    [LOSS_IPO] = "ipo", [LOSS_INPO] = "inpo", [LOSS_SPPO] = "sppo",
};

int loss_kind_from_name(const char *name) {
    if (!name) return -1;
    for (int k = 0; k < LOSS_KIND_COUNT; k++) {
        if (strcmp(name, kind_names[k]) == 0) return k;
    }
    return -1;
}

const char *loss_kind_name(LossKind kind) {
    if ((int)kind < 0 || kind >= LOSS_KIND_COUNT) return "unknown";
    return kind_names[kind];
}

LossParams loss_params_default(LossKind kind) {
    LossParams p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.beta = 0.1;
    p.eps = 0.1;
    p.ipo_tau = 0.1;
    p.inpo_eta = 0.005;
    p.inpo_tau = 0.005 / 3.0;
    p.sppo_eta = 1000.0;
    p.nll_weight = 0.0;
    p.length_normalize = 0;
    p.scir_weight = 0.0;
    p.scir_entropy = 0.1;
    p.scir_margin = 0.0;
    return p;
}

/* 1 when x is finite and lo <= x <= hi (NaN fails). */
static int in_range(double x, double lo, double hi) { return isfinite(x) && x >= lo && x <= hi; }

int loss_params_validate(const LossParams *params, ErrMsg *e) {
    const LossParams *p = params;
    if ((int)p->kind < 0 || p->kind >= LOSS_KIND_COUNT) {
        return err_set(e, "loss.kind must be one of %s, found enum value %d",
                       "sft, dpo, cdpo, rdpo, ipo, inpo, sppo", (int)p->kind);
    }
    if (!(isfinite(p->beta) && p->beta > 0)) {
        return err_set(e, "loss.beta must be a finite number > 0, found %g", p->beta);
    }
    if (!(isfinite(p->eps) && p->eps >= 0 && p->eps < 0.5)) {
        return err_set(e, "loss.eps must be a number in [0, 0.5), found %g", p->eps);
    }
    if (!(isfinite(p->ipo_tau) && p->ipo_tau > 0)) {
        return err_set(e, "loss.ipo_tau must be a finite number > 0, found %g", p->ipo_tau);
    }
    if (!(isfinite(p->inpo_eta) && p->inpo_eta > 0)) {
        return err_set(e, "loss.inpo_eta must be a finite number > 0, found %g", p->inpo_eta);
    }
    if (!in_range(p->inpo_tau, 0.0, p->inpo_eta)) {
        return err_set(e, "loss.inpo_tau must be a number in [0, loss.inpo_eta = %g], found %g",
                       p->inpo_eta, p->inpo_tau);
    }
    if (!(isfinite(p->sppo_eta) && p->sppo_eta > 0)) {
        return err_set(e, "loss.sppo_eta must be a finite number > 0, found %g", p->sppo_eta);
    }
    if (!(isfinite(p->nll_weight) && p->nll_weight >= 0)) {
        return err_set(e, "loss.nll_weight must be a finite number >= 0, found %g", p->nll_weight);
    }
    if (p->length_normalize != 0 && p->length_normalize != 1) {
        return err_set(e, "loss.length_normalize must be 0 or 1, found %d", p->length_normalize);
    }
    if (!(isfinite(p->scir_weight) && p->scir_weight >= 0)) {
        return err_set(e, "loss.scir_weight must be a finite number >= 0, found %g",
                       p->scir_weight);
    }
    if (!(isfinite(p->scir_entropy) && p->scir_entropy >= 0)) {
        return err_set(e, "loss.scir_entropy must be a finite number >= 0, found %g",
                       p->scir_entropy);
    }
    if (!(isfinite(p->scir_margin) && p->scir_margin >= 0 && p->scir_margin < 0.5)) {
        return err_set(e, "loss.scir_margin must be a number in [0, 0.5), found %g",
                       p->scir_margin);
    }
    return 0;
}

// ----------------------------------------------------------------------------------------------
// stable scalar functions

double loss_softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

double loss_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double ex = exp(x);
    return ex / (1.0 + ex);
}

double loss_log_sigmoid(double x) { return -loss_softplus(-x); }

/* sigmoid'(x) = sigmoid(x) sigmoid(-x), no overflow. */
static double sigmoid_deriv(double x) { return loss_sigmoid(x) * loss_sigmoid(-x); }

/* sigmoid(a) - sigmoid(b) with relative precision: when both are >= 0 the difference of two numbers
   near 1 is rewritten as sigmoid(-b) - sigmoid(-a), a difference of two small numbers. */
static double sigmoid_diff(double a, double b) {
    if (a >= 0 && b >= 0) return loss_sigmoid(-b) - loss_sigmoid(-a);
    return loss_sigmoid(a) - loss_sigmoid(b);
}

/* Bernoulli entropy of sigmoid(x): s*softplus(-x) + (1-s)*softplus(x), a sum of non-negative
   terms (no cancellation for any x). */
static double entropy_logit(double x) {
    return loss_sigmoid(x) * loss_softplus(-x) + loss_sigmoid(-x) * loss_softplus(x);
}

// ----------------------------------------------------------------------------------------------
// per-kind losses: each writes the loss and dL/dc, dL/dr of one pair

/* DPO-family losses as functions of z = beta*h: loss and dL/dz. */
static void dpo_family(const LossParams *prm, double z, double p, double *loss, double *dz) {
    switch (prm->kind) {
        case LOSS_DPO:
            *loss = loss_softplus(-z);
            *dz = -loss_sigmoid(-z);
            break;
        case LOSS_CDPO: {
            // hard labels are smoothed to 1-eps (eps for a reversed hard label); soft labels kept
            double q = p >= 1.0 ? 1.0 - prm->eps : (p <= 0.0 ? prm->eps : p);
            // -q s(-z) + (1-q) s(z) is exactly -s(-z) at q = 1 (no 1 - s cancellation)
            *loss = q * loss_softplus(-z) + (1.0 - q) * loss_softplus(z);
            *dz = -q * loss_sigmoid(-z) + (1.0 - q) * loss_sigmoid(z);
            break;
        }
        case LOSS_RDPO: {
            double eps = prm->eps, norm = 1.0 - 2.0 * eps;
            *loss = ((1.0 - eps) * loss_softplus(-z) - eps * loss_softplus(z)) / norm;
            *dz = (-(1.0 - eps) * loss_sigmoid(-z) - eps * loss_sigmoid(z)) / norm;
            break;
        }
        default: die("dpo_family called with kind %d", (int)prm->kind);
    }
}

/* 1 when the pair's inputs used by the kind are in their domain. */
static int pair_in_domain(const LossParams *prm, const PairInput *in) {
    int uses_p = prm->kind == LOSS_CDPO || prm->kind == LOSS_IPO || prm->kind == LOSS_INPO;
    if (uses_p && !in_range(in->p, 0.0, 1.0)) return 0;
    if (prm->kind == LOSS_SPPO && !(in_range(in->p_w, 0.0, 1.0) && in_range(in->p_l, 0.0, 1.0)))
        return 0;
    int uses_len_c = (prm->kind == LOSS_SFT && prm->length_normalize) ||
                     (prm->kind != LOSS_SFT && prm->nll_weight > 0);
    if (uses_len_c && in->len_c < 1) return 0;
    return 1;
}

/* Loss and per-pair gradients of the kind's main term (without the optional NLL term). */
static void kind_loss(const LossParams *prm, const PairInput *in, double h, double *loss,
                      double *dc, double *dr) {
    switch (prm->kind) {
        case LOSS_SFT: {
            double scale = prm->length_normalize ? 1.0 / in->len_c : 1.0;
            *loss = -in->c * scale;
            *dc = -scale;
            *dr = 0.0;
            break;
        }
        case LOSS_DPO:
        case LOSS_CDPO:
        case LOSS_RDPO: {
            double dz;
            dpo_family(prm, prm->beta * h, in->p, loss, &dz);
            *dc = prm->beta * dz;
            *dr = -prm->beta * dz;
            break;
        }
        case LOSS_IPO: {
            double e = h - (2.0 * in->p - 1.0) / (2.0 * prm->ipo_tau);
            *loss = e * e;
            *dc = 2.0 * e;
            *dr = -2.0 * e;
            break;
        }
        case LOSS_INPO: {
            // h_t = (c - r) - w (c_ref - r_ref) - (1 - w)(c_prev - r_prev), w = tau/eta, regrouped
            // around the previous policy, which the policy is closest to
            double w = prm->inpo_tau / prm->inpo_eta;
            double ht = ((in->c - in->c_prev) - (in->r - in->r_prev)) -
                        w * ((in->c_ref - in->c_prev) - (in->r_ref - in->r_prev));
            double e = ht - (2.0 * in->p - 1.0) / (2.0 * prm->inpo_eta);
            *loss = e * e;
            *dc = 2.0 * e;
            *dr = -2.0 * e;
            break;
        }
        case LOSS_SPPO: {
            double a = (in->c - in->c_prev) - prm->sppo_eta * (in->p_w - 0.5);
            double b = (in->r - in->r_prev) - prm->sppo_eta * (in->p_l - 0.5);
            *loss = 0.5 * (a * a + b * b);
            *dc = a;
            *dr = b;
            break;
        }
        default: die("loss kind %d is not a LossKind", (int)prm->kind);
    }
}

int loss_pair(const LossParams *params, const PairInput *in, PairOutput *out) {
    CHECK(params && in && out);
    CHECKF((int)params->kind >= 0 && params->kind < LOSS_KIND_COUNT,
           "loss kind %d is not a LossKind", (int)params->kind);
    double h = (in->c - in->c_ref) - (in->r - in->r_ref);
    out->reward_c = params->beta * (in->c - in->c_ref);
    out->reward_r = params->beta * (in->r - in->r_ref);
    out->margin = params->beta * h;
    out->correct = out->margin > 0;
    if (!pair_in_domain(params, in)) {
        out->loss = out->dc = out->dr = NAN;
        out->valid = 0;
        return 0;
    }
    kind_loss(params, in, h, &out->loss, &out->dc, &out->dr);
    if (params->kind != LOSS_SFT && params->nll_weight > 0) {
        double a = params->nll_weight / in->len_c;
        out->loss += -a * in->c;
        out->dc += -a;
    }
    out->valid =
        isfinite(out->loss) && isfinite(out->dc) && isfinite(out->dr) && isfinite(out->margin);
    return out->valid;
}

int loss_batch(const LossParams *params, const PairInput *pairs, PairOutput *out, int n,
               LossMetrics *m) {
    CHECK(n >= 0);
    CHECK(n == 0 || (pairs && out));
    double sum_loss = 0, sum_margin = 0, sum_rc = 0, sum_rr = 0, sum_lr = 0;
    int n_bad = 0, n_correct = 0;
    double inv_n = n > 0 ? 1.0 / n : 0.0;
    for (int i = 0; i < n; i++) {
        PairOutput *o = &out[i];
        if (!loss_pair(params, &pairs[i], o)) {
            o->dc = o->dr = 0.0;
            n_bad++;
            continue;
        }
        o->dc *= inv_n;
        o->dr *= inv_n;
        sum_loss += o->loss;
        sum_margin += o->margin;
        sum_rc += o->reward_c;
        sum_rr += o->reward_r;
        sum_lr += (pairs[i].c - pairs[i].c_ref) + (pairs[i].r - pairs[i].r_ref);
        n_correct += o->correct;
    }
    if (m) {
        int n_ok = n - n_bad;
        double inv_ok = n_ok > 0 ? 1.0 / n_ok : 0.0;
        m->n = n;
        m->n_nonfinite = n_bad;
        m->loss = sum_loss * inv_n;
        m->margin = sum_margin * inv_ok;
        m->accuracy = n_correct * inv_ok;
        m->reward_c = sum_rc * inv_ok;
        m->reward_r = sum_rr * inv_ok;
        m->logratio = 0.5 * sum_lr * inv_ok;
    }
    return n_bad;
}

// ----------------------------------------------------------------------------------------------
// SCIR consistency term [R]

double loss_scir_consistency(double z, double u, double lambda_h, double *dz, double *du) {
    // KL_B(P_G||P_I) + KL_B(P_I||P_G) = (P_G - P_I)(logit P_G - logit P_I) = d (u - z)
    double d = sigmoid_diff(u, z);
    double loss = d * (u - z) + lambda_h * (entropy_logit(u) + entropy_logit(z));
    // d/du [d (u - z)] = s'(u)(u - z) + d;  dH(sigmoid(x))/dx = -x s'(x)
    double su = sigmoid_deriv(u), sz = sigmoid_deriv(z);
    if (du) *du = su * (u - z) + d - lambda_h * u * su;
    if (dz) *dz = sz * (z - u) - d - lambda_h * z * sz;
    return loss;
}

int loss_scir_consistent(double p_g, double p_i, double margin) {
    if (!(isfinite(p_g) && isfinite(p_i))) return 0;
    double a = p_g - 0.5, b = p_i - 0.5;
    if (!(a * b > 0)) return 0;
    if (fabs(a) < margin || fabs(b) < margin) return 0;
    return a > 0 ? 1 : -1;
}
