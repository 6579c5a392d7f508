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
   Reversed arith (spec.reversed, '+' only): operands and result least-significant digit first, the
   result zero-padded to (longest operand length + 1) digits: 47+38 -> "74+83=" answer "580".
   spec.pad_to > 0 pads the operands too (with zeros after their reversed digits) to pad_to digits
   and the result to pad_to + 1: "7400+8300=" answer "58000" at 4.
   fresh_rounds (arith without levels): instruction, evaluation and VALID examples come from the
   top of the split order downwards, rounds from E upwards, so no round prompt was ever labelled;
   init fails when they would meet, i.e. rounds.count is limited (the error names the largest).
   Levels (arith: operand length in digits, both operands exactly that long, level 1 = 0..9, or
   with spec.mixed_operands the longer one that long and the other 1..L digits; list:
   the lines' "level"): on for arith when spec.sft_max > 0 or a schedule is given. Each level L has
   its own seeded order of its S_L prompts: EVAL = positions [0, E) (levels eval_lo..eval_hi, E
   each, level-major), SFT instruction / VALID / evaluation-only regions from S_L - 1 downwards,
   rounds from E upwards; they never overlap (init fails naming the level). Round r's prompts are
   at level schedule[min(r, n) - 1] (or an earlier entry, with level holds below) except a share
   spec.replay drawn round-robin from the known lower levels (arith: SFT levels and schedule
   levels; list: the levels of the round lines); each (round, level) takes the next unused
   positions of its level, so rounds never repeat a prompt.
   Levels above 9 digits have more than 2^62 pairs: position k is then (perm_a(k), perm_b(k)),
   two seeded permutations of the operand range (injective in k).
   A Task owns its compiled regex and list storage (task_free); it is read-only after init, but
   for its level holds. */
#ifndef CONCORD_TRAIN_TASK_H
#define CONCORD_TRAIN_TASK_H

#include <regex.h>
#include <stdint.h>

#include "train/tokenizer.h"
#include "util/err.h"

#define TASK_TEXT_MAX        2048  // capacity of prompt, answer and response texts, NUL included
#define TASK_TEMPLATE_MAX    256  // capacity of the judge template and the answer regex, NUL included
#define TASK_MAX_LEVELS      32  // levels are 1..TASK_MAX_LEVELS (per-level arrays have one more)
#define TASK_ARITH_MAX_LEVEL 18  // arith levels: operands below 10^18 keep sums in int64
#define TASK_MIXED_MAX_LEVEL 9   // mixed arith levels: a level's pairs stay below 2^62
#define TASK_MIXED_BUCKETS   (2 * TASK_MIXED_MAX_LEVEL - 1)
#define TASK_SCHEDULE_MAX    128  // entries of a level schedule

/* RNG stream ids of the task ("TA" tag, purpose 1..10, index below 2^40); other modules avoid them.
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
    int reversed;                // arith '+': digits least-significant first (see above)
    int pad_to;        // reversed arith: operands zero-padded to pad_to digits (0 = off; see above)
    int fresh_rounds;  // arith without levels: SFT/VALID prompts are never round prompts
    int sft_min, sft_max;             // arith levels of SFT examples and VALID prompts; 0 = off
    int schedule[TASK_SCHEDULE_MAX];  // level of round r's prompts: schedule[min(r, n) - 1]
    int n_schedule;                   // entries of schedule; 0 = off
    double replay;                    // share of each round's prompts from lower levels, [0, 1)
    int eval_max;                     // arith: highest EVAL level; 0 = highest SFT/schedule level
    int mixed_operands;  // arith levels: 1 = the longer operand has L digits, the other 1..L
    int level_holds;     // 1 = rounds may hold their level (task_set_level_holds); the levels'
                         // round regions are then sized for every plan of holds
} TaskSpec;

/* One prompt of a split. */
typedef struct {
    int64_t id;                  // stable id within the task (arith: index in [0, N); list: line
                                 // index in the prompts file, eval-file lines after those)
    char prompt[TASK_TEXT_MAX];  // prompt text
    char answer[TASK_TEXT_MAX];  // ground-truth answer ("" when has_answer is 0)
    int has_answer;              // 1 when the item has ground truth
    int level;                   // 1..TASK_MAX_LEVELS, or 0 when the task has no levels
} TaskItem;

/* One SFT example. Instruction: prompt -> response + EOS. Evaluation: judge prompt of (prompt,
   response) -> [rationale] 'Y' (verdict 1) or 'N' (verdict 0), then EOS; the rationale (with
   spec.judge_rationale) is the prompt's right answer (arith) or the line's "rationale" (list). */
typedef struct {
    TaskSftKind kind;              // instruction or evaluation
    char prompt[TASK_TEXT_MAX];    // task prompt
    char response[TASK_TEXT_MAX];  // response text (evaluation: the answer being judged)
    int verdict;                   // evaluation: 1 = correct ('Y'), 0 = wrong ('N'); else -1
    char
        rationale[TASK_TEXT_MAX];  // evaluation: what the judge writes before its verdict ("" none)
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
    int level;               // the line's "level", 0 when none
} TaskRecord;

typedef struct {
    TaskRecord *rec;  // records in file order (owned)
    int n, cap;       // count, capacity
} TaskRecords;

/* Layout of one arith level (or, with fresh_rounds, of the whole prompt space). Positions
   [0, eval) are EVAL, [eval, eval + cap) rounds, then from size - 1 downwards: instr, valid, judge
   (evaluation-only, used when there are no instruction examples at this level).
   Mixed operands: the level's pairs fall into buckets by the operands' lengths. Positions from
   both ends of [0, size) take turns over the buckets that still have pairs left, so the first
   positions of every region meet all pairs of lengths equally often, although a bucket with a
   1-digit operand is far smaller than the (L, L) one. */
typedef struct {
    uint64_t size;    // S: distinct prompts (positions)
    int64_t lo, n;    // operand range [lo, lo + n)
    int big;          // 1: position k -> (perm(k), perm_b(k)) (n^2 * n_ops > 2^62)
    TaskPerm perm;    // position -> prompt index (big: -> operand a)
    TaskPerm perm_b;  // big: position -> operand b
    uint64_t eval, instr, valid, judge, cap;  // region sizes (see above)
    // mixed operands: bucket k < L holds (L digits, k + 1 digits), k >= L (k - L + 1 digits, L)
    int n_buckets;                             // 2L - 1 (0 = equal operands)
    uint64_t bucket_size[TASK_MIXED_BUCKETS];  // pairs x operators of each bucket
    int by_size[TASK_MIXED_BUCKETS];           // bucket ids, smallest first
    TaskPerm bucket_perm[TASK_MIXED_BUCKETS];  // index within bucket -> its pair and operator
} TaskLevel;

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
    int levels;                  // arith: 1 when levels are on
    int sft_lo, sft_hi;          // arith levels: SFT/VALID levels
    int eval_lo, eval_hi;        // arith levels: EVAL levels, E prompts each
    uint64_t holds;  // bit r: round r holds round r-1's schedule position (task_set_level_holds)
    int sched[TASK_SCHEDULE_MAX], n_sched;  // round levels in effect (arith levels: the schedule,
                                            // or task.arith.digits for every round)
    unsigned char known[TASK_MAX_LEVELS + 1];  // levels replay may draw from
    TaskLevel *lv;      // arith levels: (TASK_MAX_LEVELS + 1) layouts by level (owned)
    TaskLevel whole;    // arith fresh_rounds: the whole space's layout
    int32_t *by_level;  // list with a schedule: round lines grouped by level (owned)
    int level_start[TASK_MAX_LEVELS + 2];  // list: level L's lines are by_level[start[L], [L+1])
} Task;

/* Permutation of [0, n) keyed by (seed, stream); n in 1..2^62. */
TaskPerm task_perm_make(uint64_t n, uint64_t seed, uint64_t stream);
/* Image of x (< n) under the permutation. */
uint64_t task_perm_apply(const TaskPerm *p, uint64_t x);

/* Built-in arithmetic task. Errors (t is then freed): bad digits/operators/template/regex, or fewer
   distinct prompts than E + R*P (message names task.arith.digits, task.prompts_per_round,
   task.eval_prompts, rounds.count), or SFT examples wanted but no non-EVAL prompt left; reversed
   with an operator other than '+'; bad levels or schedule; a level (or, with fresh_rounds, the
   space) too small for its EVAL, SFT/VALID and round prompts (the message names the level). */
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

/* task_list_add_prompt / task_list_add_sft with the line's level (0 = none, else
   1..TASK_MAX_LEVELS). */
void task_list_add_prompt_level(Task *t, int from_eval_file, const char *prompt, const char *answer,
                                int no_holdout, int level);
void task_list_add_sft_level(Task *t, const char *prompt, const char *response, int verdict,
                             const char *rationale, int level);

/* Parses a level schedule "1,2,3" (comma-separated, optional spaces; "" = none) into levels (at
   most TASK_SCHEDULE_MAX entries, each 1..max_level, non-decreasing). Returns the count, or -1
   with why ("expected non-decreasing levels" and the like, no key name) filled. */
int task_parse_schedule(const char *text, int max_level, int *levels, char *why, int why_size);

/* Releases what t owns; t may then be initialised again. Safe on a zeroed Task. */
void task_free(Task *t);

/* Level of an item (its level field): >= 1, or 0 when the task has no levels. */
int task_item_level(const Task *t, const TaskItem *it);
/* Level of round r's main prompts (0 when the task has no schedule). */
int task_round_level(const Task *t, int round);

/* Level holds (spec.level_holds): bit r of holds (2 <= r <= TASK_HOLDS_MAX_ROUND) set means round
   r stays at round r-1's schedule position instead of taking the next one, so round r's level is
   schedule[min(r - (bits set among 2..r), n) - 1]. Rounds draw their prompts after the rounds
   before them, so earlier rounds' holds may change only before they ran: the round scheduler
   sets a round's bit (the same on every rank) before the round draws its prompts, and restores
   the holds on resume. Dies on a bit outside 2..TASK_HOLDS_MAX_ROUND or without spec.level_holds. */
#define TASK_HOLDS_MAX_ROUND 63
void task_set_level_holds(Task *t, uint64_t holds);

/* Items of a split: EVAL E (arith levels: E per EVAL level), ROUND P, SFT the number of SFT examples, VALID n_validation (arith). */
int64_t task_split_size(const Task *t, TaskSplit s);
/* Item index of split s (EVAL, ROUND or VALID; round in 1..R used for ROUND). Out-of-range dies.
   Arith levels: EVAL is level-major (index / E + eval_lo), VALID round-robin over SFT levels. */
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
   optional '-' and digits without leading zeros ("0" itself allowed, "-0" not); reversed arith:
   the digits exactly (leading and trailing zeros significant); list: the text
   without surrounding spaces. Returns 0, or -1 when there is no (non-empty, fitting) answer. */
int task_extract(const Task *t, const char *response, char *answer, int size);
/* 1 when response is well formed and as long as the PROMPT alone implies (never looking at the
   answer): reversed arith: exactly (longest operand length + 1) digits; arith '+': digits without
   leading zeros, longest operand length or one more; other arith operators and lists: an answer
   can be extracted (task_extract). With a regex the length rules apply to the extracted answer. */
int task_format_ok(const Task *t, const TaskItem *it, const char *response);
/* 1 when the extracted answer equals it->answer exactly, 0 when not (or none), -1 when the item has
   no ground truth. */
int task_verify(const Task *t, const TaskItem *it, const char *response);
/* task.prompt_template with {prompt} (once; no other braces) replaced by prompt into out: the text
   the model sees for a JSONL prompt ("Question: {prompt}\nAnswer:"). Returns its length, or -1
   when it does not fit in size. */
int task_fill_prompt_template(const char *tmpl, const char *prompt, char *out, int size);

/* Judge prompt text (no BOS) into out; returns its length, or -1 when it does not fit in size. */
int task_judge_prompt(const Task *t, const char *prompt, const char *answer, char *out, int size);

/* Most tokens the judge writes as its rationale: max_new - 1 (a response without its EOS) with
   spec.judge_rationale, else 0 (the verdict follows the judge prompt). */
int task_rationale_tokens(const Task *t, int max_new);

/* Token ids of the verdicts 'Y' and 'N' (bpe: their single-byte tokens); error when the charset
   lacks one. */
int task_verdict_ids(const Tokenizer *tok, int32_t *yes, int32_t *no, ErrMsg *e) WARN_UNUSED_RESULT;
/* Sequences below use tok->bos and tok->eos; lengths are in tokens after encoding (char: one per
   character; bpe: the prompt and the response are encoded separately, as generation sees them).
   "BOS + prompt" is the prompt's turn (tokenizer_encode_turn): with tokenizer_set_chat's "chatml"
   it is the ChatML turns around the prompt instead (no BOS) and EOS is <|im_end|>; the judge
   prompt is wrapped the same way.
   BOS + prompt into ids (max_len = model.max_seq_len, room for max_new response tokens kept).
   Returns the length, or -1 naming the unknown character or the length that does not fit. */
int task_encode_prompt(const Tokenizer *tok, const char *prompt, int max_new, int32_t *ids,
                       int max_len, ErrMsg *e) WARN_UNUSED_RESULT;
/* BOS + prompt + response + EOS into ids; *resp_start = tokens of BOS + prompt. Returns the
   length or -1 (unknown character, longer than max_len). */
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
