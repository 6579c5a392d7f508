/* train/task.h — the tasks concord trains on: the built-in arithmetic task (TASK_ARITH) and users'
   prompt lists (TASK_LIST, filled by io/jsonl from JSONL files); their splits, answer extraction,
   verifiers, judge prompts, SFT examples, and the token sequences built from them.
   Texts: an arith prompt is "347+586=" (operands 0..10^digits-1 without sign), its answer "933"
   ("-" may give "-239"). An answered sequence is BOS, prompt, response, EOS; the response starts at
   resp_start = 1 + strlen(prompt). A judge prompt is BOS + task.judge_template with {prompt} and
   {answer} (the response text) substituted; the verdict is the next token, 'Y' or 'N', or with
   spec.judge_rationale the token after the judge's rationale: its own answer to the prompt, written
   before the verdict ("47+38=83?" "85" "N"; train/judges.h judge_write_rationale).
   Splits (pure functions of the run seed and the task, never overlapping): EVAL (E held-out
   prompts), ROUND r = 1..R (P prompts each). Arith indexes its N = (10^d)^2 * n_operators prompts
   and maps split position k to prompt perm(k) (a seeded bijection of [0, N)): EVAL = positions
   [0, E), round r = [E + (r-1)P, E + rP). A list shuffles its prompt lines the same way (EVAL from
   the eval file when there is one). SFT: arith examples use prompts at positions [E, N) (every
   non-EVAL prompt, so the SFT data does not depend on rounds.count, which may grow on resume; it
   may therefore share prompts with rounds); list SFT examples come from the SFT file, whose prompts
   are never held out. Randomness: train/rng.h streams TASK_STREAM(purpose, index) of the run seed.
   A Task owns its compiled regex and list storage (task_free); it is read-only after init. */
#ifndef CONCORD_TRAIN_TASK_H
#define CONCORD_TRAIN_TASK_H

#include <regex.h>
#include <stdint.h>

#include "train/tokenizer.h"
#include "util/err.h"

#define TASK_TEXT_MAX 2048     // capacity of prompt, answer and response texts, NUL included
#define TASK_TEMPLATE_MAX 256  // capacity of the judge template and the answer regex, NUL included

/* RNG stream ids of the task ("TA" tag, purpose 1..7, index below 2^40); other modules avoid them.
 */
#define TASK_STREAM(purpose, index) \
    ((0x5441ull << 48) | ((uint64_t)(purpose) << 40) | ((uint64_t)(index)&0xFFFFFFFFFFull))

typedef enum { TASK_ARITH, TASK_LIST } TaskKind;
/* EVAL: held-out prompts; ROUND: each round's prompts; SFT: SFT examples; VALID: SFT validation
   prompts for sft.stop_at_accuracy (arith: pool prompts that are never instruction examples; list
   tasks have none). */
typedef enum { TASK_SPLIT_EVAL, TASK_SPLIT_ROUND, TASK_SPLIT_SFT, TASK_SPLIT_VALID } TaskSplit;
typedef enum { TASK_SFT_INSTRUCTION, TASK_SFT_EVALUATION } TaskSftKind;

/* Everything a task is built from (io/jsonl fills it from the Config). */
typedef struct {
    uint64_t seed;                           // run seed
    int eval_prompts;                        // E, held-out prompts (task.eval_prompts)
    int prompts_per_round;                   // P (task.prompts_per_round)
    int rounds;                              // R (rounds.count)
    char judge_template[TASK_TEMPLATE_MAX];  // {prompt} and {answer} once each
    int judge_rationale;                     // 1: the judge writes its answer before the verdict
    char answer_regex[TASK_TEMPLATE_MAX];    // POSIX ERE; "" = the task's default extraction
    int digits;                              // arith: operand digits, 1..9
    char operators[4];                       // arith: distinct characters of "+-*"
    int n_instruction;                       // arith: generated instruction examples
    int n_evaluation;                        // arith: generated evaluation examples
    int n_validation;                        // arith: SFT validation prompts (0 = none)
    double eval_wrong_fraction;  // arith: share of evaluation examples with a wrong answer
} TaskSpec;

/* One prompt of a split. */
typedef struct {
    int64_t id;                  // stable id within the task (arith: index in [0, N); list: line
                                 // index in the prompts file, eval-file lines after those)
    char prompt[TASK_TEXT_MAX];  // prompt text
    char answer[TASK_TEXT_MAX];  // ground-truth answer ("" when has_answer is 0)
    int has_answer;              // 1 when the item has ground truth
} TaskItem;

/* One SFT example. Instruction: prompt -> response + EOS. Evaluation: judge prompt of (prompt,
   response) -> [rationale] 'Y' (verdict 1) or 'N' (verdict 0), then EOS; the rationale (with
   spec.judge_rationale) is the prompt's right answer (arith) or the line's "rationale" (list). */
typedef struct {
    TaskSftKind kind;              // instruction or evaluation
    char prompt[TASK_TEXT_MAX];    // task prompt
    char response[TASK_TEXT_MAX];  // response text (evaluation: the answer being judged)
    int verdict;                   // evaluation: 1 = correct ('Y'), 0 = wrong ('N'); else -1
    char rationale[TASK_TEXT_MAX]; // evaluation: what the judge writes before its verdict ("" none)
} TaskSftExample;

/* Seeded bijection of [0, n): a 6-round Feistel network on the next even power of two, cycle-walked
   back into range (at most 4 steps expected). */
typedef struct {
    uint64_t n;     // domain size, 1..2^62
    uint64_t key;   // Philox key of the round function
    int half_bits;  // bits of each Feistel half
} TaskPerm;

typedef struct {
    int64_t prompt, second;  // offsets into Task.text; second (answer/response) is -1 when absent
    int64_t rationale;       // SFT evaluation lines: offset of the rationale, -1 when absent
    int flag;                // prompts: 1 = may not be held out; SFT: verdict (-1 instruction)
} TaskRecord;

typedef struct {
    TaskRecord *rec;  // records in file order (owned)
    int n, cap;       // count, capacity
} TaskRecords;

typedef struct Task {
    TaskKind kind;               // arith or list
    TaskSpec spec;               // the parameters it was built from
    int has_regex;               // 1 when regex is compiled (spec.answer_regex non-empty)
    regex_t regex;               // compiled spec.answer_regex (owned)
    int n_ops;                   // arith: strlen(spec.operators)
    int64_t pow10;               // arith: 10^digits
    uint64_t space;              // arith: N, distinct prompts
    int max_answer_len;          // arith: longest answer text (sign included)
    TaskPerm split;              // arith: split position -> prompt index
    TaskPerm sft_instr;          // arith: instruction example -> SFT pool position
    TaskPerm sft_eval;           // arith: evaluation example -> SFT pool position
    TaskPerm wrong;              // arith: evaluation example j is wrong iff wrong(j) < n_wrong
    int64_t n_wrong;             // arith: round(eval_wrong_fraction * n_evaluation)
    char *text;                  // list: NUL-separated texts of all records (owned)
    int64_t text_len, text_cap;  // list: bytes used, capacity
    TaskRecords prompts;         // list: prompts-file lines
    TaskRecords evals;           // list: eval-file lines
    TaskRecords sft;             // list: SFT-file lines
    int32_t *order;              // list: EVAL (when from the prompts file) then round lines (owned)
    int n_order;                 // list: entries of order
    int finished;                // list: 1 after task_list_finish
} Task;

/* Permutation of [0, n) keyed by (seed, stream); n in 1..2^62. */
TaskPerm task_perm_make(uint64_t n, uint64_t seed, uint64_t stream);
/* Image of x (< n) under the permutation. */
uint64_t task_perm_apply(const TaskPerm *p, uint64_t x);

/* Built-in arithmetic task. Errors (t is then freed): bad digits/operators/template/regex, or fewer
   distinct prompts than E + R*P (message names task.arith.digits, task.prompts_per_round,
   task.eval_prompts, rounds.count), or SFT examples wanted but no non-EVAL prompt left. */
int task_init_arith(Task *t, const TaskSpec *spec, ErrMsg *e) WARN_UNUSED_RESULT;

/* Empty list task; add records with task_list_add_*, then call task_list_finish. Errors: bad
   template or regex. */
int task_init_list(Task *t, const TaskSpec *spec, ErrMsg *e) WARN_UNUSED_RESULT;
/* Adds a prompt line (from_eval_file: of the eval file); answer may be NULL. no_holdout: the prompt
   is also in SFT data, so it is never drawn into EVAL. Texts are copied. */
void task_list_add_prompt(Task *t, int from_eval_file, const char *prompt, const char *answer,
                          int no_holdout);
/* Adds an SFT line: verdict -1 = instruction example, 0/1 = evaluation example with its rationale
   (NULL = none; needed with spec.judge_rationale, io/jsonl checks). Texts are copied. */
void task_list_add_sft(Task *t, const char *prompt, const char *response, int verdict,
                       const char *rationale);
/* Shuffles the prompt lines (seeded) and checks there are enough for E + R*P; the file names label
   the error. Errors leave t to be freed by the caller. */
int task_list_finish(Task *t, const char *prompts_file, const char *eval_file,
                     ErrMsg *e) WARN_UNUSED_RESULT;

/* Releases what t owns; t may then be initialised again. Safe on a zeroed Task. */
void task_free(Task *t);

/* Items of a split: EVAL E, ROUND P, SFT the number of SFT examples, VALID n_validation (arith). */
int64_t task_split_size(const Task *t, TaskSplit s);
/* Item index of split s (EVAL, ROUND or VALID; round in 1..R used for ROUND). Out-of-range dies. */
void task_item(const Task *t, TaskSplit s, int round, int index, TaskItem *out);
/* SFT example index in [0, task_split_size(SFT)): arith instruction examples first, then
   evaluation examples; list: the SFT file's lines in order. */
void task_sft_example(const Task *t, int64_t index, TaskSftExample *out);

/* Evaluation examples among the SFT examples with verdict 1 (*yes) and 0 (*no). */
void task_sft_verdict_counts(const Task *t, int64_t *yes, int64_t *no);

/* Held-out judge example for EVAL item `index` (it = its task_item): an answer that is right or
   wrong with equal odds, seeded by (task seed, index). Wrong answers are arith: the corruptions of
   the SFT evaluation examples; list: another EVAL item's (different) answer. Writes the answer and
   returns its verdict (1 right, 0 wrong), or -1 when there is none (no ground truth, or a list
   whose EVAL answers are all the same). */
int task_held_out_judge_example(const Task *t, int index, const TaskItem *it, char *answer,
                                int size);

/* Answer of a response text (decoded, without EOS) into answer (size bytes). With a regex: first
   capture group of the first match (the whole match when the regex has no group); else arith: an
   optional '-' and digits without leading zeros ("0" itself allowed, "-0" not); list: the text
   without surrounding spaces. Returns 0, or -1 when there is no (non-empty, fitting) answer. */
int task_extract(const Task *t, const char *response, char *answer, int size);
/* 1 when the extracted answer equals it->answer exactly, 0 when not (or none), -1 when the item has
   no ground truth. */
int task_verify(const Task *t, const TaskItem *it, const char *response);
/* Judge prompt text (no BOS) into out; returns its length, or -1 when it does not fit in size. */
int task_judge_prompt(const Task *t, const char *prompt, const char *answer, char *out, int size);

/* Most tokens the judge writes as its rationale: max_new - 1 (a response without its EOS) with
   spec.judge_rationale, else 0 (the verdict follows the judge prompt). */
int task_rationale_tokens(const Task *t, int max_new);

/* Token ids of the verdicts 'Y' and 'N'; error when the charset lacks one. */
int task_verdict_ids(const Tokenizer *tok, int32_t *yes, int32_t *no, ErrMsg *e) WARN_UNUSED_RESULT;
/* BOS + prompt into ids (max_len = model.max_seq_len, room for max_new response tokens kept).
   Returns the length, or -1 naming the unknown character or the length that does not fit. */
int task_encode_prompt(const Tokenizer *tok, const char *prompt, int max_new, int32_t *ids,
                       int max_len, ErrMsg *e) WARN_UNUSED_RESULT;
/* BOS + prompt + response + EOS into ids; *resp_start = 1 + strlen(prompt). Returns the length or
   -1 (unknown character, longer than max_len). */
int task_encode_answered(const Tokenizer *tok, const char *prompt, const char *response,
                         int32_t *ids, int max_len, int *resp_start, ErrMsg *e) WARN_UNUSED_RESULT;
/* BOS + judge prompt of (prompt, answer); room for the verdict is kept (length < max_len).
   Returns the length or -1. */
int task_encode_judge(const Task *t, const Tokenizer *tok, const char *prompt, const char *answer,
                      int32_t *ids, int max_len, ErrMsg *e) WARN_UNUSED_RESULT;
/* Training sequence of an SFT example: instruction as task_encode_answered; evaluation = BOS +
   judge prompt + rationale (spec.judge_rationale) + 'Y'/'N' + EOS with *resp_start where the
   rationale (or the verdict) starts. Returns the length or -1. */
int task_encode_sft(const Task *t, const Tokenizer *tok, const TaskSftExample *ex, int32_t *ids,
                    int max_len, int *resp_start, ErrMsg *e) WARN_UNUSED_RESULT;

#endif
