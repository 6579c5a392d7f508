/* train/evaluate.h — held-out evaluation of a policy on a task's EVAL split (or the SFT validation
   split): greedy accuracy, maj@K accuracy (majority answer of K samples), judge accuracy
   (class-balanced llm_judge verdicts on held-out evaluation examples, and on the model's own greedy
   answers, against the verifier), and mean response length. Works on an index range so ranks can
   split the prompts and add their counts (eval_counts_add). */
#ifndef CONCORD_TRAIN_EVALUATE_H
#define CONCORD_TRAIN_EVALUATE_H

#include <stdint.h>

#include "train/params.h"
#include "train/sample.h"
#include "train/task.h"
#include "train/tokenizer.h"

typedef struct {
    int max_new;              // response length limit (generate.max_new_tokens)
    int maj_k;                // samples per prompt for maj@K (0 = skip)
    SampleParams maj_sample;  // sampling of the maj@K samples (generate.temperature, top_p, top_k)
    uint64_t seed;            // run seed
    uint32_t stream;          // round field of the maj@K draws (distinct from training rounds)
    int batch;                // sequences decoded together
    TaskSplit split;          // TASK_SPLIT_EVAL (0, the default) or TASK_SPLIT_VALID
    int greedy_only;          // 1: greedy answers alone (no judge, no maj@K)
    int round;                // split TASK_SPLIT_ROUND: the round (1..R) whose prompts to answer
    char *answers;            // NULL, or (count, EVAL_ANSWER_MAX) bytes: prompt i's extracted
                              // greedy answer ("" when none), NUL-terminated
    const char *const *stop_str;  // generate.stop strings (n_stop_str of them; NULL/0 = none)
    int n_stop_str;
} EvalParams;

#define EVAL_ANSWER_MAX TASK_TEXT_MAX  // bytes per answer in EvalParams.answers

/* Verdicts of the generative judge on a set of (prompt, answer) examples. */
typedef struct {
    int64_t pos;      // examples whose answer is right (the judge should say Y)
    int64_t pos_yes;  // ... of which the judge said Y (P(Y) > P(N))
    int64_t neg;      // examples whose answer is wrong (the judge should say N)
    int64_t neg_no;   // ... of which the judge said N
} JudgeCounts;

/* Counts over a set of prompts; add them across ranks (all fields are int64_t), then
   eval_summary. */
typedef struct {
    int64_t prompts;         // prompts evaluated
    int64_t greedy_correct;  // greedy answers verified correct
    int64_t maj_correct;     // majority answers of maj_k samples verified correct
    int64_t no_answer;       // greedy responses without an extractable answer
    int64_t resp_tokens;     // greedy response tokens (EOS included)
    int64_t unverifiable;    // prompts without ground truth (excluded from accuracies)
    JudgeCounts judge;       // held-out evaluation examples: one per prompt, a right or a
                             // corrupted answer (task_held_out_judge_example)
    JudgeCounts judge_self;  // the model's own greedy answers
    int64_t level_prompts[TASK_MAX_LEVELS + 1];  // (levels + 1) verifiable prompts by item level
    int64_t level_correct[TASK_MAX_LEVELS + 1];  // (levels + 1) ... greedy answers correct
} EvalCounts;

typedef struct {
    int64_t prompts;            // prompts with ground truth
    double greedy_acc;          // greedy accuracy
    double maj_acc;             // maj@K accuracy (0 when maj@K was skipped)
    double judge_acc;           // balanced judge accuracy on the held-out evaluation examples: mean
                                // of the Y-recall and the N-recall (one class empty: the other's)
    double judge_acc_raw;       // plain fraction of correct verdicts on them
    double judge_self_acc;      // balanced judge accuracy on the model's own greedy answers
    double judge_self_acc_raw;  // plain fraction of correct verdicts on them
    double mean_resp_len;       // mean greedy response length in tokens
    double no_answer_rate;      // fraction of greedy responses without an answer
    int64_t level_prompts[TASK_MAX_LEVELS + 1];    // (levels + 1) verifiable prompts by level
    double level_greedy_acc[TASK_MAX_LEVELS + 1];  // (levels + 1) greedy accuracy by level, NaN
                                                   // for levels without prompts (0 = no level)
} EvalSummary;

/* Evaluates prompts [first, first + count) of ep->split with policy w (ep->answers, when set,
   gets each one's greedy answer). Returns 0, or -1 with e filled
   when a prompt cannot be encoded (unknown character, too long). */
int eval_range(EvalCounts *out, const Task *t, const Tokenizer *tok, const ParamSlab *w,
               int64_t first, int64_t count, const EvalParams *ep, ErrMsg *e) WARN_UNUSED_RESULT;

void eval_counts_add(EvalCounts *dst, const EvalCounts *src);
EvalSummary eval_summary(const EvalCounts *c);

#endif
