/* train/sft.h — supervised fine-tuning objective: mean negative log-likelihood per response token
   over a batch of sequences (prompt tokens are context only), and its backward. The SFT warm-up
   uses it on instruction examples (prompt -> answer) and evaluation examples (judge prompt ->
   verdict), the way Self-Rewarding LMs start from IFT + EFT seed data. */
#ifndef CONCORD_TRAIN_SFT_H
#define CONCORD_TRAIN_SFT_H

#include <stdint.h>

#include "train/gpt.h"

/* Forward + backward of L = -(Σ_b logp_b) / n_tokens over sequences tokens (B, S) with response
   spans [resp_start[b], len[b]); n_tokens = Σ_b (len[b] - resp_start[b]) unless norm_tokens > 0
   overrides it (data-parallel learners pass the global count so their gradients add up to the
   global mean). ACCUMULATES the gradient into grads; returns the summed NLL of this batch (not
   normalised), so callers can combine counts across ranks. a: training activations. */
double sft_train_batch(Activations *a, const ParamSlab *w, ParamSlab *grads, const int32_t *tokens,
                       const int32_t *resp_start, const int32_t *len, int B, int S,
                       int64_t norm_tokens);

/* Response-token count of a batch: Σ_b (len[b] - resp_start[b]). */
int64_t sft_response_tokens(const int32_t *resp_start, const int32_t *len, int B);

#endif
