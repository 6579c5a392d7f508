/* train/sft.h — supervised fine-tuning objective: mean negative log-likelihood per response token
   over a batch of sequences (prompt tokens are context only), and its backward. The SFT warm-up
   uses it on instruction examples (prompt -> answer) and evaluation examples (judge prompt ->
   verdict), the way Self-Rewarding LMs start from IFT + EFT seed data. */
#ifndef CONCORD_TRAIN_SFT_H
#define CONCORD_TRAIN_SFT_H

#include <stdint.h>

#include "train/gpt.h"

/* Forward + backward of L = -(Σ_b weight_b logp_b) / N over sequences tokens (B, S) with response
   spans [resp_start[b], len[b]); weight (B) weighs each sequence's tokens (NULL: all 1; the SFT
   warm-up gives evaluation examples sft.judge_weight), and N = sft_response_tokens(...) unless
   norm > 0 overrides it (data-parallel learners pass the global count so their gradients add up to
   the global mean). ACCUMULATES the gradient into grads; returns the summed weighted NLL of this
   batch (not normalised), so callers can combine counts across ranks. a: training activations. */
double sft_train_batch(Activations *a, const ParamSlab *w, ParamSlab *grads, const int32_t *tokens,
                       const int32_t *resp_start, const int32_t *len, const float *weight, int B,
                       int S, double norm);

/* Loss weights of evaluation examples by verdict (weight[0] for N, weight[1] for Y): judge_weight
   split so that the n_no N examples and the n_yes Y examples weigh the same in total (a judge
   trained on mostly N learns to say N); judge_weight each when the counts are equal or one of
   them is 0. */
void sft_verdict_weights(int64_t n_yes, int64_t n_no, double judge_weight, float weight[2]);

/* Weighted response-token count of a batch: Σ_b weight_b (len[b] - resp_start[b]) (weight NULL:
   all 1). */
double sft_response_tokens(const int32_t *resp_start, const int32_t *len, const float *weight,
                           int B);

#endif
