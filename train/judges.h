/* train/judges.h — the model-side computations of the internal judges: llm_judge's verdict logit
   on the judge template, self-consistency and ensemble vote shares. The other judges are
   arithmetic on log-probs the caller already has (implicit: β·(ℓ_π − ℓ_ref); likelihood: ℓ/|y|)
   or the task verifier (oracle). */
#ifndef CONCORD_TRAIN_JUDGES_H
#define CONCORD_TRAIN_JUDGES_H

#include <stdint.h>

#include "train/gpt.h"

/* llm_judge: u[i] = logit(yes) − logit(no) at the last position of judge sequence i, so that
   P(Y) / (P(Y) + P(N)) = σ(u[i]). seqs (n, S) right-padded with len (n) tokens each (BOS + judge
   prompt). Forward passes in chunks of a->max_B sequences. */
void judge_llm_logits(float *u, Activations *a, const ParamSlab *w, const int32_t *seqs,
                      const int32_t *len, int n, int S, int32_t yes, int32_t no);

/* llm_judge with a rationale (task.judge_rationale): before its verdict the judge writes its own
   answer to the prompt, so that checking can reuse the answering computation and compare two written
   answers (the SRLM judge likewise reasons before its score). Extends every judge sequence i of seqs
   (n, S), len[i] tokens (BOS + judge prompt), in place by the greedy continuation under w, ended
   before the first verdict token (yes, no) or eos, after max_tokens tokens, or at S; len is
   updated, and judge_llm_logits then reads the verdict at the rationale's end. Deterministic (no
   sampling); max_tokens = 0 leaves the sequences as they are. kv and a (forward-only) are scratch
   with room for sequences of S tokens. */
void judge_write_rationale(int32_t *seqs, int32_t *len, int n, int S, KVCache *kv, Activations *a,
                           const ParamSlab *w, int max_tokens, int32_t yes, int32_t no,
                           int32_t eos);

/* Self-consistency over the K samples of one prompt: score[k] = (number of samples whose answer
   equals sample k's) / K, 0 for a sample without an answer (answers[k] == NULL). Returns the index
   of the first sample holding the most frequent answer (the majority vote), or -1 when no sample
   has an answer. */
int judge_self_consistency(float *score, const char *const *answers, int K);

/* ensemble_vote over the K responses of one prompt (K = models x samples per model; response k is
   model k's answer when each model answers once): score[k] = (number of responses j with
   well_formed[j] and answers[j] equal to answers[k]) / K for a well-formed response with an
   answer; NaN (the judge abstains) for a response without an answer (NULL) or not well-formed.
   The denominator is K, not the number of responses that answered: a share counts every model,
   so silent or malformed models lower every answer's share. answers (K), well_formed (K) 1 or 0;
   well_formed NULL: every response is well-formed. */
void judge_ensemble_vote(float *score, const char *const *answers, const int8_t *well_formed,
                         int K);

#endif
