/* train/judges.h — the model-side computations of the internal judges (DESIGN.md "Judges"):
   llm_judge's verdict logit on the judge template, and self-consistency vote shares. The other
   judges are arithmetic on log-probs the caller already has (implicit: β·(ℓ_π − ℓ_ref);
   likelihood: ℓ/|y|) or the task verifier (oracle). */
#ifndef CONCORD_TRAIN_JUDGES_H
#define CONCORD_TRAIN_JUDGES_H

#include <stdint.h>

#include "train/gpt.h"

/* llm_judge: u[i] = logit(yes) − logit(no) at the last position of judge sequence i, so that
   P(Y) / (P(Y) + P(N)) = σ(u[i]). seqs (n, S) right-padded with len (n) tokens each (BOS + judge
   prompt). Forward passes in chunks of a->max_B sequences. */
void judge_llm_logits(float *u, Activations *a, const ParamSlab *w, const int32_t *seqs,
                      const int32_t *len, int n, int S, int32_t yes, int32_t no);

/* Self-consistency over the K samples of one prompt: score[k] = (number of samples whose answer
   equals sample k's) / K, 0 for a sample without an answer (answers[k] == NULL). Returns the index
   of the first sample holding the most frequent answer (the majority vote), or -1 when no sample
   has an answer. */
int judge_self_consistency(float *score, const char *const *answers, int K);

#endif
