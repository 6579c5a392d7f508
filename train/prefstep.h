/* train/prefstep.h — one preference-training computation on a batch of (chosen, rejected) pairs:
   policy forward over both responses, summed log-probs, the configured pairwise loss
   (train/loss.h), and the backward into the parameter gradients. Also the no-gradient log-prob
   pass used to precompute reference and previous-policy log-probs once per pair.
   Batch layout: rows 2i and 2i+1 of tokens (2n, S) are pair i's chosen and rejected sequence
   (prompt + response + right padding); resp_start/len as in train/logprob.h. */
#ifndef CONCORD_TRAIN_PREFSTEP_H
#define CONCORD_TRAIN_PREFSTEP_H

#include <stdint.h>

#include "train/gpt.h"
#include "train/loss.h"

typedef struct {
    int n_pairs;                // n
    int S;                      // padded sequence length of the batch
    const int32_t *tokens;      // (2n, S)
    const int32_t *resp_start;  // (2n)
    const int32_t *len;         // (2n)
    const double *ref_logp;     // (2n) reference log-probs; NULL = zeros (SFT, SPPO)
    const double *prev_logp;    // (2n) previous-policy log-probs (INPO, SPPO); NULL = ref_logp
    const float *p;             // (n) soft label P(chosen ≻ rejected); NULL = 1 (hard label)
    const float *p_w, *p_l;     // (n) SPPO win-rate estimates; NULL = 1 and 0
    // SCIR consistency penalty [R] (docs/algorithms.md, SCIR), used when scir_u is not NULL:
    const double *scir_u;  // (n) judge logit u = (logit_Y − logit_N)(chosen) − (same)(rejected)
                           // of the generative judge on the two responses: P_G = σ(u)
    double *scir_du;       // (n) out: ∂L/∂u of the batch loss (times grad_scale), for the
                           // caller's backward through the judge's verdict logits
    double scir_mean;      // out: mean L_con over the batch
    int scir_dropped;      // out: pairs outside the consistent set (DPO term dropped)
} PairBatch;

/* Log-probs (B) of sequences (B, S) without gradients, in chunks of the activations' capacity. */
void prefstep_logprobs(double *logp, Activations *a, const ParamSlab *w, const int32_t *tokens,
                       const int32_t *resp_start, const int32_t *len, int B, int S);

/* Forward, loss and backward for one batch. With batch->scir_u, the step loss is SCIR's
   mean_S L_pref + λ_con · mean_all L_con(z, u) (lp->scir_weight, lp->scir_entropy): pairs whose
   implicit and generative judges disagree ((P_G − ½)(P_I − ½) <= 0, or a margin below
   lp->scir_margin) lose their preference term; the penalty's gradient flows into c, r through z
   and is returned for u in batch->scir_du. Gradients of the batch-mean loss, times grad_scale
   (e.g. n_local/n_global for data-parallel learners), are ACCUMULATED into grads. Writes the
   policy log-probs (2n) to logp_out if not NULL and the metrics to m. Returns the number of pairs
   whose loss was non-finite (their gradient is zero). a must be a training Activations with
   capacity (2n, S). */
int prefstep_train(Activations *a, const ParamSlab *w, ParamSlab *grads, const LossParams *lp,
                   PairBatch *batch, double grad_scale, double *logp_out, LossMetrics *m);

#endif
