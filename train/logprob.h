/* train/logprob.h — summed response log-probabilities of sequences, and their backward.
   A sequence b of a (B, S) batch holds len[b] valid tokens: prompt tokens [0, resp_start[b]) then
   response tokens [resp_start[b], len[b]) (the response includes its EOS), then padding. The logits
   at position t predict token t+1, so
     logp[b] = Σ_{t = resp_start[b]}^{len[b]-1} log softmax(logits[b, t-1, 0:V])[tokens[b, t]].
   Only the first V of the Vp logits are real tokens; padded vocabulary rows never count.
   Positions outside the response (prompt, padding) contribute nothing and receive zero gradient. */
#ifndef CONCORD_TRAIN_LOGPROB_H
#define CONCORD_TRAIN_LOGPROB_H

#include <stdint.h>

/* logp (B) as above, accumulated in double. Requires 1 <= resp_start[b] <= len[b] <= S. */
void seq_logprob_forward(double *logp, const float *logits, const int32_t *tokens,
                         const int32_t *resp_start, const int32_t *len, int B, int S, int V,
                         int Vp);

/* dlogits (B, S, Vp) = Σ_b dlogp[b] · ∂logp[b]/∂logits (OVERWRITTEN, zero outside responses):
   at a response position, dlogp[b]·(onehot(token) − softmax(logits[0:V])), 0 for columns >= V. */
void seq_logprob_backward(float *dlogits, const double *dlogp, const float *logits,
                          const int32_t *tokens, const int32_t *resp_start, const int32_t *len,
                          int B, int S, int V, int Vp);

/* log softmax(logits[0:V])[token] of one logits row (Vp), stable. */
double token_logprob(const float *logits_row, int V, int token);

#endif
