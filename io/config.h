/* io/config.h — the run configuration: one strict JSON file parsed into plain structs.
   Every key (type, default, range, meaning) lives in one table, io/config_schema.c. Unknown keys
   (with a did-you-mean), duplicate keys, wrong types and out-of-range values are errors naming the
   source, the dotted key, what was expected and what was found. `--set key.path=value` overrides
   apply after the file and are checked the same way; then cross-field rules run (config_check).
   cJSON never leaves this module. Invariants of a parsed Config: every field in range, strings
   NUL-terminated (enum keys are validated strings other modules map to their own enums), and
   config_parse(config_to_json(c)) gives back c byte for byte. */
#ifndef CONCORD_IO_CONFIG_H
#define CONCORD_IO_CONFIG_H

#include <stdint.h>

#include "train/adamw.h"
#include "train/params.h"
#include "train/tokenizer.h"
#include "util/err.h"

#define CONFIG_PATH_MAX   512  // capacity of path strings, NUL included
#define CONFIG_NAME_MAX   32   // capacity of enum and judge-name strings, NUL included
#define CONFIG_TEXT_MAX   256  // capacity of regex and template strings, NUL included
#define CONFIG_MAX_JUDGES 8    // most judges in the ensemble

typedef struct {
    char run_dir[CONFIG_PATH_MAX];  // run directory: config.json, ckpt/, prefs/, metrics.jsonl
    int64_t seed;                   // run seed; every RNG stream derives from it
    int blas_threads;               // OpenBLAS threads per rank
    double max_wall_seconds;        // stop (with a checkpoint) after this long; 0 = unlimited
    int log_every;                  // training steps between log lines
    double stuck_timeout;           // seconds without a heartbeat before a rank counts as stuck;
                                    // 0 = off (ranks/watchdog.h)
} ConfigRun;

typedef struct {
    int n_layer;                     // L
    int n_head;                      // NH; divides n_embd
    int n_embd;                      // C
    int max_seq_len;                 // T
    int vocab_pad_to;                // Vp = V rounded up to a multiple of this
    char position[CONFIG_NAME_MAX];  // "learned" (wpe) | "none" (NoPE) | "abacus" (digit positions)
    int abacus_offset;           // abacus: largest random shift of a training sequence's digit rows
    char arch[CONFIG_NAME_MAX];  // "gpt2" | "llama"
    int n_kv_head;               // llama: key/value heads KV (0 = n_head); divides n_head
    int ffn_hidden;      // llama: MLP width F (0 = 8·n_embd/3 rounded up to a multiple of 64)
    double rope_theta;   // llama: rotary base
    double norm_eps;     // llama: RMSNorm epsilon
    int tie_embeddings;  // llama: 1 = the LM head is wte; 0 = a separate lm_head
    char init[CONFIG_PATH_MAX];  // "" = random init from run.seed, else a checkpoint to start from
} ConfigModel;

typedef struct {
    char kind[CONFIG_NAME_MAX];  // "char" | "bpe" (GPT-2 byte-level BPE)
    char charset[TOKENIZER_MAX_CHARS +
                 1];              // char: tokenizer characters, or "auto" (from JSONL data)
    char files[CONFIG_PATH_MAX];  // bpe: directory, tokenizer.json or "VOCAB.json,MERGES"
} ConfigTokenizer;

typedef struct {
    int digits;         // operand digits, 1..9
    char operators[4];  // distinct characters from "+-*"
    int reversed;       // digits least-significant first, answer zero-padded ("+" only)
    int pad_to;         // reversed: operands zero-padded to this many digits (0 = off)
    int fresh_rounds;   // SFT/validation prompts are never round prompts (limits rounds.count)
} ConfigArith;

typedef struct {
    int sft_min, sft_max;            // operand lengths of SFT examples and validation (0 = off)
    char schedule[CONFIG_TEXT_MAX];  // "1,2,3": level of each round's prompts ("" = off)
    double replay;                   // share of round prompts from lower levels, [0, 1)
    int eval_max;                    // highest evaluated level (0 = highest SFT/schedule level)
    char operands[CONFIG_NAME_MAX];  // "equal" (both L digits) | "mixed" (the longer has L)
    double advance_min_agreement;    // schedule guard: least share of a round's level-L prompts
                                     // labelled for the next round to leave L (0 = off)
} ConfigLevels;

typedef struct {
    char name[CONFIG_NAME_MAX];             // "arith" | "jsonl"
    ConfigArith arith;                      // built-in arithmetic task
    ConfigLevels levels;                    // difficulty levels (easy-to-hard)
    char prompts_file[CONFIG_PATH_MAX];     // JSONL training prompts (jsonl task)
    char sft_file[CONFIG_PATH_MAX];         // JSONL SFT examples (jsonl task; "" = none)
    char eval_file[CONFIG_PATH_MAX];        // JSONL held-out prompts (jsonl task; "" = none)
    char answer_regex[CONFIG_TEXT_MAX];     // POSIX ERE extracting the answer; "" = task default
    char judge_template[CONFIG_TEXT_MAX];   // judge prompt with {prompt} and {answer}
    char prompt_template[CONFIG_TEXT_MAX];  // jsonl: text the model sees, with {prompt} once
    char chat_template[CONFIG_NAME_MAX];    // "none" | "chatml" (bpe: prompts in ChatML turns)
    char system_prompt[CONFIG_TEXT_MAX];    // chatml: system turn text ("" = no system turn)
    int judge_rationale;                    // llm_judge writes its own answer before Y/N
    int prompts_per_round;                  // prompts sampled each round
    int eval_prompts;                       // held-out prompts evaluated each round
    int maj_k;                              // samples for majority-vote (maj@k) evaluation
} ConfigTask;

typedef struct {
    int steps;                      // SFT warm-up optimizer steps (0 = skip SFT)
    int batch_size;                 // sequences per SFT step
    double lr;                      // SFT peak learning rate
    int warmup_steps;               // SFT linear warmup steps
    int n_instruction;              // generated instruction (answering) examples
    int n_evaluation;               // generated evaluation (judging) examples
    double eval_wrong_fraction;     // fraction of evaluation examples showing a wrong answer
    double judge_weight;            // loss weight of evaluation examples' tokens (instruction: 1)
    double stop_at_accuracy;        // end SFT once validation greedy accuracy reaches it (0 = off)
    double stop_at_judge_accuracy;  // ... and validation judge balanced accuracy reaches it
    int check_every;                // steps between validation checks
    int n_validation;               // validation prompts (arith: never instruction examples)
} ConfigSft;

typedef struct {
    int count;
} ConfigRounds;  // count: R, self-rewarding rounds after SFT

/* A JSON list of short non-empty strings (generate.stop). */
#define CONFIG_LIST_MAX 8   // entries
#define CONFIG_LIST_LEN 64  // capacity of one entry, NUL included
typedef struct {
    int n;                                        // entries used
    char text[CONFIG_LIST_MAX][CONFIG_LIST_LEN];  // (n) NUL-terminated, unused bytes zero
} ConfigStrList;

typedef struct {
    int samples_per_prompt;  // K responses per prompt
    double temperature;      // 0 = greedy
    int top_k;               // 0 = off
    double top_p;            // 1 = off
    int max_new_tokens;      // response length limit, EOS included
    int batch_size;          // sequences decoded together per generator rank
    ConfigStrList stop;      // strings that end a response (cut before them); none by default
} ConfigGenerate;

typedef struct {
    char name[CONFIG_NAME_MAX];  // llm_judge|implicit|self_consistency|likelihood|prev_round|oracle
    double weight;               // weight in aggregate.mode = "mean"
    char of[CONFIG_NAME_MAX];    // prev_round only: the judge recomputed with π_{t-1}; else ""
    // llm_judge only (options.mode, options.template, options.max_new_tokens):
    char mode[CONFIG_NAME_MAX];           // "" or "verdict": P(Y) after task.judge_template;
                                          // "score": the judge writes an evaluation ending
                                          // "Score: N" (0..5, train/judges.h judge_parse_score)
    char template_file[CONFIG_PATH_MAX];  // score: judge prompt file with {prompt}, {response}
                                          // ("" = the built-in additive 5-point rubric)
    int max_new_tokens;                   // score: evaluation length limit (0 = 128)
} JudgeSpec;

typedef struct {
    char mode[CONFIG_NAME_MAX];          // single | mean | majority | unanimous | cream | consensus
    char judge[CONFIG_NAME_MAX];         // judge used by single and cream
    char pairs[CONFIG_NAME_MAX];         // best_vs_worst | all
    char ties[CONFIG_NAME_MAX];          // drop | soft
    char cream_weight[CONFIG_NAME_MAX];  // per_pair | round_mean
    double min_margin;                   // pairs with a smaller score margin are dropped
    int allow_oracle;                    // 1: the oracle judge may be a training judge
    double min_agreement;                // consensus: share of votes the kept answer needs, (0, 1]
} ConfigAggregate;

typedef struct {
    double lr;            // peak learning rate of preference training
    double lr_min_ratio;  // cosine floor as a fraction of lr
    int warmup_steps;     // linear warmup steps (each round)
    double beta1, beta2;  // Adam moment decay rates
    double eps;           // Adam denominator epsilon
    double weight_decay;  // decoupled weight decay (matrices and embeddings)
    double grad_clip;     // global gradient-norm clip; 0 = off
} ConfigOptimizer;

typedef struct {
    char loss[CONFIG_NAME_MAX];       // sft | dpo | cdpo | rdpo | ipo | inpo | sppo
    double beta;                      // DPO-family inverse temperature β
    double eps;                       // cDPO/rDPO label-flip rate ε, < 0.5
    double ipo_tau;                   // IPO τ (target 1/(2τ))
    double inpo_eta;                  // INPO η (proximal KL weight)
    double inpo_tau;                  // INPO τ (reference KL weight), <= η
    double sppo_eta;                  // SPPO η
    double nll_weight;                // α of the added NLL term on the chosen response
    double scir_weight;               // λ_con of the SCIR consistency penalty
    double scir_entropy;              // λ_H of the SCIR entropy term
    char reference[CONFIG_NAME_MAX];  // sft | round_start
    int epochs;                       // passes over each round's pairs
    int batch_pairs;                  // pairs per optimizer step (over all learners)
    int max_nan_skips;                // non-finite steps tolerated per round before stopping
    int steps;                        // optimizer steps per round; 0 = epochs over the data
    int replay;                       // loss sft: earlier rounds' kept labels train again
    ConfigOptimizer optimizer;        // AdamW settings of preference training
} ConfigTrain;

typedef struct {
    int generators;   // generator ranks; 0 = every rank
    int judges;       // judge ranks; 0 = every rank
    int learners;     // learner ranks; 0 = every rank
    int aggregators;  // aggregator ranks
} ConfigLayout;

typedef struct {
    int models;                    // K independently seeded models, one per group of ranks
    char labels[CONFIG_NAME_MAX];  // all: every model learns the vote of all K; others: of the
                                   // other K - 1 (co-training keeps the models diverse)
} ConfigEnsemble;

typedef struct {
    int keep;            // newest checkpoints kept
    int every;           // training steps between mid-round checkpoints; 0 = round ends only
    int compress_level;  // deflate level of checkpoint datasets; 0 = off
} ConfigCheckpoint;

typedef struct {
    ConfigRun run;
    ConfigModel model;
    ConfigTokenizer tokenizer;
    ConfigTask task;
    ConfigSft sft;
    ConfigRounds rounds;
    ConfigGenerate generate;
    int n_judges;                         // judges in use, 1..CONFIG_MAX_JUDGES
    JudgeSpec judges[CONFIG_MAX_JUDGES];  // the judge ensemble, in configured order
    ConfigAggregate aggregate;
    ConfigTrain train;
    ConfigLayout layout;
    ConfigEnsemble ensemble;
    ConfigCheckpoint checkpoint;
} Config;

/* Fills cfg with every default of the table (the default config is valid). */
void config_defaults(Config *cfg);

/* Parses JSON text (source_name labels messages, e.g. the file name) over the defaults, applies the
   n_sets "key.path=value" overrides in order, then runs config_check. On error returns -1 with one
   sentence in e; cfg then holds an unspecified but safe state. */
int config_parse(Config *cfg, const char *json_text, const char *source_name,
                 const char *const *sets, int n_sets, ErrMsg *e) WARN_UNUSED_RESULT;

/* Reads path and calls config_parse. A missing or unreadable file is an error, not a crash. */
int config_load(Config *cfg, const char *path, const char *const *sets, int n_sets,
                ErrMsg *e) WARN_UNUSED_RESULT;

/* Cross-field rules (n_embd % n_head, judge references, oracle, sequence room...). Returns 0 or
   -1 with e naming source and key. config_parse calls it; exposed for configs built in code. */
int config_check(const Config *cfg, const char *source_name, ErrMsg *e) WARN_UNUSED_RESULT;

/* The resolved config as pretty JSON with every key, in table order. Caller xfree()s. */
char *config_to_json(const Config *cfg);

/* JSON text of the default config (what `concord config --defaults` prints). Caller xfree()s. */
char *config_defaults_json(void);
/* One line per key: dotted key, type, default, allowed range or values, and meaning.
   Caller xfree()s. */
char *config_help_text(void);

/* Writes config_to_json(cfg) to path atomically (path.tmp, fsync, rename). Returns 0 or -1 with e. */
int config_save(const Config *cfg, const char *path, ErrMsg *e) WARN_UNUSED_RESULT;

/* Number of dotted keys whose values differ between a and b ("judges" counts as one key); their
   names, comma-separated, go to out (truncated with "..." when out_size is short). With
   skip_resumable, keys that may change when a run resumes are ignored: rounds.count, run.run_dir,
   run.blas_threads, run.max_wall_seconds, run.log_every, run.stuck_timeout, layout.*,
   checkpoint.keep/every. */
int config_diff(const Config *a, const Config *b, int skip_resumable, char *out, int out_size);

/* 1 when SFT has an early-stop target (sft.stop_at_accuracy or sft.stop_at_judge_accuracy). */
int config_sft_early_stop(const Config *cfg);
/* Index of the configured judge named name, or -1. */
int config_judge_index(const Config *cfg, const char *name);
/* GPTConfig for a tokenizer of vocab_size tokens: Vp = vocab_size rounded up to
   model.vocab_pad_to. Check the result with gpt_config_check. */
void config_model(const Config *cfg, int vocab_size, GPTConfig *out);

/* AdamWConfig of preference training (train.optimizer). total_steps is 0 (constant after warmup);
   the learner sets it once it knows the round's number of steps. */
void config_adamw(const Config *cfg, AdamWConfig *out);
/* AdamWConfig of the SFT warm-up: sft.lr, sft.warmup_steps, total_steps = sft.steps, the other
   fields from train.optimizer. */
void config_adamw_sft(const Config *cfg, AdamWConfig *out);

#endif
