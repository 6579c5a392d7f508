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

/* ---- llm_judge in score mode (the Self-Rewarding LM judge) ----
   The judge reads a prompt template with {prompt} and {response} (once each), writes its
   evaluation greedily, and its score is the last "Score: N" in the text that follows the
   response: the rest of the template, then the evaluation (so a template may end in "Score:" and
   let the judge write the number). N is an integer 0..JUDGE_SCORE_MAX; out of range, missing or
   not a whole number: the judge abstains for that response. */

#define JUDGE_SCORE_MAX 5

/* The built-in judge prompt: an additive 5-point rubric (configs/srlm-judge.txt holds the same
   text, as a starting point for one's own). */
extern const char JUDGE_SCORE_RUBRIC[];

/* 0 when tmpl holds {prompt} and {response} once each and no other braces; else -1 with what
   was expected in why. */
int judge_score_template_check(const char *tmpl, char *why, int why_size);

/* tmpl with {prompt} and {response} replaced into out; returns its length, or -1 when it does
   not fit in size. */
int judge_fill_score_template(const char *tmpl, const char *prompt, const char *response, char *out,
                              int size);

/* The text after {response} in tmpl (where the score is read from, before the evaluation). */
const char *judge_score_template_tail(const char *tmpl);

/* Score of an evaluation text: the integer N of the last "Score:" followed (after spaces) by
   digits, when that N is in 0..max_score and not followed by '.' or another digit; -1 when
   there is none or the last one is out of range. */
int judge_parse_score(const char *text, int max_score);

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
