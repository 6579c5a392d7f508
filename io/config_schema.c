/* io/config_schema.c — the table of every config key (defaults, ranges, docs) and the string
   validators it uses; the cross-field rules are in io/config_check.c. See config.h and
   config_schema.h. */
#include "io/config_schema.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/task.h"

// ---- string validators ----

static int check_nonempty(const char *s, char *why, int n) {
    if (s[0]) return 0;
    snprintf(why, (size_t)n, "expected a non-empty string");
    return -1;
}

static int check_charset(const char *s, char *why, int n) {
    if (strcmp(s, "auto") == 0) return 0;
    if (!s[0]) {
        snprintf(why, (size_t)n, "expected \"auto\" or a non-empty string of distinct characters");
        return -1;
    }
    for (int i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e) {
            snprintf(why, (size_t)n,
                     "expected printable ASCII characters (byte 0x%02x at position %d)", c, i + 1);
            return -1;
        }
        if (strchr(s + i + 1, c)) {
            snprintf(why, (size_t)n, "expected distinct characters ('%c' repeats at position %d)",
                     c, i + 1);
            return -1;
        }
    }
    return 0;
}

static int check_operators(const char *s, char *why, int n) {
    int ok = s[0] != 0;
    for (int i = 0; ok && s[i]; i++) ok = strchr("+-*", s[i]) && !strchr(s + i + 1, s[i]);
    if (ok) return 0;
    snprintf(why, (size_t)n, "expected a non-empty set of distinct operators from \"+-*\"");
    return -1;
}

static int check_regex(const char *s, char *why, int n) {
    if (!s[0]) return 0;
    regex_t re;
    int rc = regcomp(&re, s, REG_EXTENDED);
    if (rc == 0) {
        regfree(&re);
        return 0;
    }
    char msg[128];
    regerror(rc, &re, msg, sizeof msg);
    snprintf(why, (size_t)n, "expected a POSIX extended regular expression (%s)", msg);
    return -1;
}

static int count_of(const char *s, const char *sub) {
    int k = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub)) k++;
    return k;
}

static int check_template(const char *s, char *why, int n) {
    int braces = 0;
    for (const char *p = s; *p; p++) braces += (*p == '{' || *p == '}');
    if (count_of(s, "{prompt}") == 1 && count_of(s, "{answer}") == 1 && braces == 4) return 0;
    snprintf(why, (size_t)n,
             "expected a template with {prompt} and {answer} once each and no other braces");
    return -1;
}

static int check_prompt_template(const char *s, char *why, int n) {
    int braces = 0;
    for (const char *p = s; *p; p++) braces += (*p == '{' || *p == '}');
    if (count_of(s, "{prompt}") == 1 && braces == 2) return 0;
    snprintf(why, (size_t)n, "expected a template with {prompt} once and no other braces");
    return -1;
}

static int check_schedule(const char *s, char *why, int n) {
    int levels[TASK_SCHEDULE_MAX];
    return task_parse_schedule(s, TASK_MAX_LEVELS, levels, why, n) < 0 ? -1 : 0;
}

// ---- the table ----

#define FLD(f) offsetof(Config, f), sizeof(((Config *)0)->f)
#define K_INT(k, f, d, lo, hi, fl, doc) \
    { k, CF_INT, FLD(f), d, NULL, lo, hi, fl, NULL, NULL, doc }
#define K_I64(k, f, d, lo, hi, fl, doc) \
    { k, CF_I64, FLD(f), d, NULL, lo, hi, fl, NULL, NULL, doc }
#define K_NUM(k, f, d, lo, hi, fl, doc) \
    { k, CF_NUM, FLD(f), d, NULL, lo, hi, fl, NULL, NULL, doc }
#define K_BOOL(k, f, d, fl, doc) \
    { k, CF_BOOL, FLD(f), d, NULL, 0, 1, fl, NULL, NULL, doc }
#define K_STR(k, f, d, chk, fl, doc) \
    { k, CF_STR, FLD(f), 0, d, 0, 0, fl, NULL, chk, doc }
#define K_ENUM(k, f, d, al, fl, doc) \
    { k, CF_ENUM, FLD(f), 0, d, 0, 0, fl, al, NULL, doc }

#define BIG      1e9                 // "practically unbounded" integer limit
#define SEED_MAX 9007199254740991.0  // 2^53 - 1: the largest integer a JSON number holds exactly
#define R        CF_RESUME_OK

const ConfigField config_fields[] = {
    K_STR("run.run_dir", run.run_dir, "runs/default", check_nonempty, R,
          "run directory (config.json, ckpt/, prefs/, metrics.jsonl, log.txt)"),
    K_I64("run.seed", run.seed, 1234, 0, SEED_MAX, 0,
          "run seed; every random stream derives from it"),
    K_INT("run.blas_threads", run.blas_threads, 1, 1, 256, R, "OpenBLAS threads per rank"),
    K_NUM("run.max_wall_seconds", run.max_wall_seconds, 0, 0, INFINITY, R,
          "checkpoint and stop after this many seconds (0 = unlimited)"),
    K_INT("run.log_every", run.log_every, 10, 1, BIG, R, "training steps between log lines"),
    K_NUM("run.stuck_timeout", run.stuck_timeout, 0, 0, 1e6, R,
          "end the job when a rank has not made progress for this many seconds (heartbeat files "
          "in run_dir/.heartbeat; 0 = off)"),

    K_INT("model.n_layer", model.n_layer, 4, 1, 128, 0, "transformer layers L"),
    K_INT("model.n_head", model.n_head, 4, 1, 256, 0, "attention heads NH (must divide n_embd)"),
    K_INT("model.n_embd", model.n_embd, 128, 1, 16384, 0, "channels C"),
    K_INT("model.max_seq_len", model.max_seq_len, 64, 2, 16384, 0,
          "maximum sequence length T (prompt + response)"),
    K_INT("model.vocab_pad_to", model.vocab_pad_to, 64, 1, 4096, 0,
          "padded vocab Vp = V rounded up to a multiple of this"),
    K_ENUM("model.position", model.position, "learned", "learned|none|abacus", 0,
           "position encoding: learned = GPT-2's wpe; none = NoPE (causal attention alone, so "
           "max_seq_len is only a buffer size); abacus = a digit's index in its number (wpe row "
           "1 for every number's first digit, 2 for the second, ...; row 0 for other tokens)"),
    K_INT("model.abacus_offset", model.abacus_offset, 0, 0, 16382, 0,
          "abacus: training shifts each sequence's digit rows by a random 0..this, so that rows "
          "past the trained number lengths are trained too (at most max_seq_len - 2)"),
    K_ENUM("model.arch", model.arch, "gpt2", "gpt2|llama", 0,
           "architecture: gpt2 = LayerNorm, learned positions, GELU MLP, biases; llama = RMSNorm, "
           "rotary positions, SwiGLU MLP, grouped-query attention, no biases (SmolLM2, LLaMA)"),
    K_INT(
        "model.n_kv_head", model.n_kv_head, 0, 0, 256, 0,
        "llama: key/value heads KV, a divisor of n_head (0 = n_head: plain multi-head attention)"),
    K_INT("model.ffn_hidden", model.ffn_hidden, 0, 0, 1 << 20, 0,
          "llama: MLP width F (Hugging Face's intermediate_size; 0 = 8*n_embd/3 rounded up to a "
          "multiple of 64)"),
    K_NUM("model.rope_theta", model.rope_theta, 10000, 1e-3, 1e12, 0, "llama: rotary base theta"),
    K_NUM("model.norm_eps", model.norm_eps, 1e-5, 1e-12, 1, 0, "llama: RMSNorm epsilon"),
    K_BOOL("model.tie_embeddings", model.tie_embeddings, 1, 0,
           "llama: the LM head is the token embedding (false: a separate lm_head tensor)"),
    K_STR("model.init", model.init, "", NULL, 0,
          "\"\" = random init from run.seed, else a concord or llm.c checkpoint to start from"),

    K_ENUM("tokenizer.kind", tokenizer.kind, "char", "char|bpe", 0,
           "char = one token per character (tokenizer.charset); bpe = GPT-2 byte-level BPE "
           "(from model.init's checkpoint, else tokenizer.files)"),
    K_STR("tokenizer.charset", tokenizer.charset, TOKENIZER_DEFAULT_CHARSET, check_charset, 0,
          "tokenizer characters (ids from 4 on, in order), or \"auto\" = collect from JSONL data"),
    K_STR("tokenizer.files", tokenizer.files, "", NULL, 0,
          "bpe: a directory with tokenizer.json, vocab.json + merges.txt or encoder.json + "
          "vocab.bpe; a tokenizer.json; or \"VOCAB.json,MERGES\" (\"\" = model.init's)"),

    K_ENUM("task.name", task.name, "arith", "arith|jsonl", 0,
           "arith = built-in arithmetic, jsonl = prompts from task.prompts_file"),
    K_INT("task.arith.digits", task.arith.digits, 2, 1, 9, 0, "digits per arithmetic operand"),
    K_STR("task.arith.operators", task.arith.operators, "+", check_operators, 0,
          "arithmetic operators used, a subset of \"+-*\""),
    K_BOOL("task.arith.reversed", task.arith.reversed, 0, 0,
           "write operands and result least-significant digit first, the result zero-padded to "
           "the longest operand's length + 1 (47+38= -> 74+83= answer 580); operators \"+\" only"),
    K_INT("task.arith.pad_to", task.arith.pad_to, 0, 0, TASK_ARITH_MAX_LEVEL, 0,
          "reversed: write both operands with trailing zeros to this many digits and the result "
          "to one more (74+83= -> 7400+8300= answer 58000 at 4), so every prompt has the same "
          "length and a level is a count of significant digits; 0 = off"),
    K_BOOL("task.arith.fresh_rounds", task.arith.fresh_rounds, 0, 0,
           "SFT and validation prompts come from prompts no round ever draws, so every round's "
           "prompts are unlabelled; limits rounds.count (the error names the largest)"),
    K_INT("task.levels.sft_min", task.levels.sft_min, 0, 0, TASK_ARITH_MAX_LEVEL, 0,
          "arith: lowest operand length (level) of SFT examples and validation prompts (0 = 1 "
          "when task.levels.sft_max is set)"),
    K_INT("task.levels.sft_max", task.levels.sft_max, 0, 0, TASK_ARITH_MAX_LEVEL, 0,
          "arith: highest SFT level; 0 = off (task.arith.digits)"),
    K_STR("task.levels.schedule", task.levels.schedule, "", check_schedule, 0,
          "comma-separated non-decreasing levels, one per round (the last repeats): round r's "
          "prompts have level schedule[r]; \"\" = off"),
    K_NUM("task.levels.replay", task.levels.replay, 0, 0, 1, CF_HI_OPEN,
          "share of each round's prompts drawn from lower levels (SFT and earlier schedule "
          "levels), taking turns; needs task.levels.schedule"),
    K_INT("task.levels.eval_max", task.levels.eval_max, 0, 0, TASK_ARITH_MAX_LEVEL, 0,
          "arith: evaluate every level from the lowest SFT level to this one, task.eval_prompts "
          "each (0 = the highest SFT or schedule level)"),
    K_ENUM("task.levels.operands", task.levels.operands, "equal", "equal|mixed", 0,
           "arith levels: equal = both operands of level L have L digits; mixed = the longer "
           "has L and the other 1..L, every pair of lengths equally often, so that operands "
           "must be aligned digit by digit rather than by a fixed distance"),
    K_NUM("task.levels.advance_min_agreement", task.levels.advance_min_agreement, 0, 0, 1, 0,
          "schedule guard: a round moves on to the schedule's next level only when at least this "
          "share of the current round's prompts at its own level got a kept label (the models "
          "agreed); otherwise the next round stays at that level with fresh prompts. 0 = off "
          "(the schedule advances every round); needs task.levels.schedule and rounds.count "
          "<= 63"),
    K_STR("task.prompts_file", task.prompts_file, "", NULL, 0,
          "JSONL {\"prompt\", \"answer\"?} training prompts (jsonl task)"),
    K_STR("task.sft_file", task.sft_file, "", NULL, 0,
          "JSONL {\"prompt\", \"answer\"} SFT examples (jsonl task; \"\" = none)"),
    K_STR("task.eval_file", task.eval_file, "", NULL, 0,
          "JSONL held-out prompts for evaluation (jsonl task; \"\" = none)"),
    K_STR("task.answer_regex", task.answer_regex, "", check_regex, 0,
          "POSIX extended regex whose first group (or match) is the answer; \"\" = task default"),
    K_STR("task.prompt_template", task.prompt_template, "{prompt}", check_prompt_template, 0,
          "jsonl: the text the model sees for a prompt, {prompt} once (e.g. "
          "\"Question: {prompt}\\nAnswer:\")"),
    K_ENUM("task.chat_template", task.chat_template, "none", "none|chatml", 0,
           "bpe: chatml = every prompt the model answers (after task.prompt_template) and the "
           "llm_judge prompt go in ChatML turns (<|im_start|>user\\n...<|im_end|>\\n"
           "<|im_start|>assistant\\n) and answers end with <|im_end|>; needs both as special "
           "tokens (SmolLM2-Instruct and other ChatML models)"),
    K_STR("task.system_prompt", task.system_prompt, "", NULL, 0,
          "chatml: text of a system turn before every prompt (\"\" = no system turn)"),
    K_STR("task.judge_template", task.judge_template, "{prompt}{answer}?", check_template, 0,
          "llm_judge prompt; the policy answers Y or N after it"),
    K_BOOL("task.judge_rationale", task.judge_rationale, 1, 0,
           "llm_judge writes its own answer to the prompt before Y or N (jsonl: evaluation lines "
           "need \"rationale\")"),
    K_INT("task.prompts_per_round", task.prompts_per_round, 1024, 1, BIG, 0,
          "training prompts per round"),
    K_INT("task.eval_prompts", task.eval_prompts, 200, 0, BIG, 0,
          "held-out prompts evaluated after each round"),
    K_INT("task.maj_k", task.maj_k, 8, 1, 256, 0, "samples for majority-vote (maj@k) evaluation"),

    K_INT("sft.steps", sft.steps, 4000, 0, BIG, 0,
          "SFT warm-up steps: the learning-rate schedule's length and the most run (the stop "
          "targets may end it earlier); 0 = skip SFT"),
    K_INT("sft.batch_size", sft.batch_size, 32, 1, 65536, 0, "sequences per SFT step"),
    K_NUM("sft.lr", sft.lr, 2e-3, 0, 1, CF_LO_OPEN, "SFT peak learning rate"),
    K_INT("sft.warmup_steps", sft.warmup_steps, 50, 0, BIG, 0, "SFT linear warmup steps"),
    K_INT("sft.n_instruction", sft.n_instruction, 3000, 0, BIG, 0,
          "generated instruction examples (prompt -> answer)"),
    K_INT("sft.n_evaluation", sft.n_evaluation, 9000, 0, BIG, 0,
          "generated evaluation examples (judge template -> Y/N)"),
    K_NUM("sft.eval_wrong_fraction", sft.eval_wrong_fraction, 0.5, 0, 1, 0,
          "fraction of evaluation examples that show a wrong answer (label N)"),
    K_NUM("sft.judge_weight", sft.judge_weight, 2.0, 0, 1000, 0,
          "loss weight of the evaluation (judging) examples' tokens, split so that Y and N "
          "examples weigh the same in total; instruction examples weigh 1"),
    K_NUM("sft.stop_at_accuracy", sft.stop_at_accuracy, 0.4, 0, 1, 0,
          "end SFT early once greedy accuracy on the validation prompts reaches this (0 = off; "
          "arith task only: a JSONL task runs all sft.steps)"),
    K_NUM("sft.stop_at_judge_accuracy", sft.stop_at_judge_accuracy, 0.6, 0, 1, 0,
          "and llm_judge's balanced accuracy on the validation prompts' judge examples reaches "
          "this (0 = off; both set: SFT ends when both are reached)"),
    K_INT("sft.check_every", sft.check_every, 100, 1, BIG, 0,
          "SFT steps between validation checks (with sft.stop_at_accuracy or "
          "sft.stop_at_judge_accuracy)"),
    K_INT("sft.n_validation", sft.n_validation, 1000, 1, BIG, 0,
          "validation prompts for the SFT stop targets: arith prompts outside task.eval_prompts "
          "that no instruction example uses"),

    K_INT("rounds.count", rounds.count, 3, 0, 100000, R,
          "self-rewarding rounds R after SFT (may be raised when resuming)"),

    K_INT("generate.samples_per_prompt", generate.samples_per_prompt, 8, 1, 256, 0,
          "responses sampled per prompt by each model (responses per prompt: this times "
          "ensemble.models, at least 2)"),
    K_NUM("generate.temperature", generate.temperature, 0.5, 0, 100, 0,
          "sampling temperature (0 = greedy)"),
    K_INT("generate.top_k", generate.top_k, 0, 0, BIG, 0, "top-k filter (0 = off)"),
    K_NUM("generate.top_p", generate.top_p, 1.0, 0, 1, CF_LO_OPEN, "nucleus filter (1 = off)"),
    K_INT("generate.max_new_tokens", generate.max_new_tokens, 8, 1, 16384, 0,
          "response length limit, end token included"),
    K_INT("generate.batch_size", generate.batch_size, 32, 1, 65536, 0,
          "sequences decoded together per generator rank"),

    {"generate.stop", CF_STRLIST, FLD(generate.stop), 0, "[]", 0, 0, 0, NULL, NULL,
     "strings that end a response, cut before the first one (checked on the decoded text)"},

    {"judges", CF_JUDGES, 0, 0, 0,
     "[{\"name\": \"llm_judge\"}, {\"name\": \"implicit\"}, {\"name\": \"self_consistency\"}]", 1,
     CONFIG_MAX_JUDGES, 0, NULL, NULL,
     "judge ensemble: [{name, weight, options}]; names " CONFIG_JUDGE_NAMES
     "; prev_round needs options.of"},

    K_ENUM("aggregate.mode", aggregate.mode, "unanimous",
           "single|mean|majority|unanimous|cream|consensus", 0,
           "how judges' rankings become pairs (consensus: keep the answer aggregate.judge's vote "
           "share puts on top when it reaches aggregate.min_agreement)"),
    K_ENUM("aggregate.judge", aggregate.judge, "llm_judge", CONFIG_JUDGE_NAMES, 0,
           "judge that ranks responses in modes single and cream"),
    K_ENUM("aggregate.pairs", aggregate.pairs, "best_vs_worst", "best_vs_worst|all", 0,
           "pairs per prompt: best against worst, or all ordered pairs"),
    K_ENUM("aggregate.ties", aggregate.ties, "drop", "drop|soft", 0,
           "tied pairs: drop them, or keep them with soft label 1/2"),
    K_ENUM("aggregate.cream_weight", aggregate.cream_weight, "per_pair", "per_pair|round_mean", 0,
           "CREAM consistency weight: each prompt's own, or the round mean"),
    K_NUM("aggregate.min_margin", aggregate.min_margin, 0, 0, INFINITY, 0,
          "drop pairs whose aggregated score margin is smaller"),
    K_BOOL("aggregate.allow_oracle", aggregate.allow_oracle, 0, 0,
           "allow the oracle (ground-truth) judge in the ensemble; for ablations only"),
    K_NUM("aggregate.min_agreement", aggregate.min_agreement, 0.75, 0, 1, CF_LO_OPEN,
          "consensus: vote share (of aggregate.judge, e.g. ensemble_vote) the kept answer needs"),

    K_ENUM("train.loss", train.loss, "dpo", "sft|dpo|cdpo|rdpo|ipo|inpo|sppo", 0,
           "preference objective"),
    K_NUM("train.beta", train.beta, 0.1, 0, 100, CF_LO_OPEN, "DPO-family beta"),
    K_NUM("train.eps", train.eps, 0.1, 0, 0.5, CF_HI_OPEN, "cDPO/rDPO label-flip rate"),
    K_NUM("train.ipo_tau", train.ipo_tau, 0.1, 0, 100, CF_LO_OPEN,
          "IPO tau (regression target 1/(2 tau))"),
    K_NUM("train.inpo_eta", train.inpo_eta, 0.005, 0, 100, CF_LO_OPEN,
          "INPO eta (proximal KL weight; target 1/(2 eta))"),
    K_NUM("train.inpo_tau", train.inpo_tau, 0.005 / 3, 0, 100, 0,
          "INPO tau (reference KL weight, <= inpo_eta; paper: eta/3)"),
    K_NUM("train.sppo_eta", train.sppo_eta, 1000, 0, 1e6, CF_LO_OPEN, "SPPO eta"),
    K_NUM("train.nll_weight", train.nll_weight, 0, 0, 100, 0,
          "weight of the NLL term on the chosen response"),
    K_NUM("train.scir_weight", train.scir_weight, 0, 0, 100, 0,
          "weight of the SCIR judge-consistency penalty (0 = off)"),
    K_NUM("train.scir_entropy", train.scir_entropy, 0, 0, 100, 0,
          "weight of the SCIR entropy (confidence) term"),
    K_ENUM("train.reference", train.reference, "round_start", "sft|round_start", 0,
           "reference policy of DPO-family losses: the SFT model or the round's start"),
    K_INT("train.epochs", train.epochs, 1, 1, 1000, 0, "passes over each round's pairs"),
    K_INT("train.batch_pairs", train.batch_pairs, 8, 1, 65536, 0,
          "pairs per optimizer step, over all learners"),
    K_INT("train.max_nan_skips", train.max_nan_skips, 10, 0, BIG, 0,
          "non-finite steps skipped per round before the round stops"),
    K_INT("train.steps", train.steps, 0, 0, BIG, 0,
          "optimizer steps per round (0 = train.epochs passes over the round's data)"),
    K_BOOL("train.replay", train.replay, 0, 0,
           "loss sft: every earlier round's kept labels are trained on again with the round's"),
    K_NUM("train.optimizer.lr", train.optimizer.lr, 1e-5, 0, 1, CF_LO_OPEN,
          "peak learning rate of preference training"),
    K_NUM("train.optimizer.lr_min_ratio", train.optimizer.lr_min_ratio, 0.1, 0, 1, 0,
          "cosine floor as a fraction of lr"),
    K_INT("train.optimizer.warmup_steps", train.optimizer.warmup_steps, 10, 0, BIG, 0,
          "linear warmup steps in each round"),
    K_NUM("train.optimizer.beta1", train.optimizer.beta1, 0.9, 0, 1, CF_HI_OPEN, "Adam beta1"),
    K_NUM("train.optimizer.beta2", train.optimizer.beta2, 0.95, 0, 1, CF_HI_OPEN,
          "Adam beta2 (0.95 as GPT-2/llm.c; 0.999 is Adam's default)"),
    K_NUM("train.optimizer.eps", train.optimizer.eps, 1e-8, 0, 1, CF_LO_OPEN, "Adam epsilon"),
    K_NUM("train.optimizer.weight_decay", train.optimizer.weight_decay, 0, 0, 10, 0,
          "decoupled weight decay of matrices and embeddings"),
    K_NUM("train.optimizer.grad_clip", train.optimizer.grad_clip, 1, 0, INFINITY, 0,
          "global gradient-norm clip (0 = off)"),

    K_INT("layout.generators", layout.generators, 0, 0, 1 << 20, R,
          "generator ranks (0 = every rank)"),
    K_INT("layout.judges", layout.judges, 0, 0, 1 << 20, R, "judge ranks (0 = every rank)"),
    K_INT("layout.learners", layout.learners, 0, 0, 1 << 20, R, "learner ranks (0 = every rank)"),
    K_INT("layout.aggregators", layout.aggregators, 1, 1, 1 << 20, R, "aggregator ranks"),

    K_INT("ensemble.models", ensemble.models, 1, 1, 64, 0,
          "K models with their own seeds, each on its own group of ranks, voting on each "
          "other's answers (1 = one model; more than the ranks is refused)"),
    K_ENUM("ensemble.labels", ensemble.labels, "all", "all|others", 0,
           "each model learns the vote of all models, or of the others only"),

    K_INT("checkpoint.keep", checkpoint.keep, 3, 1, 100000, R, "newest checkpoints kept"),
    K_INT("checkpoint.every", checkpoint.every, 0, 0, BIG, R,
          "training steps between mid-round checkpoints (0 = round ends only)"),
    K_INT("checkpoint.compress_level", checkpoint.compress_level, 0, 0, 9, 0,
          "deflate level of checkpoint datasets (0 = off)"),
};

const int config_n_fields = (int)(sizeof config_fields / sizeof config_fields[0]);

#undef R

int config_field_find(const char *key) {
    for (int i = 0; i < config_n_fields; i++)
        if (strcmp(config_fields[i].key, key) == 0) return i;
    return -1;
}

int config_enum_has(const char *list, const char *s) {
    size_t n = strlen(s);
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

void config_format_number(double v, char *buf, int size) {
    if (v == floor(v) && fabs(v) < 1e17) {
        snprintf(buf, (size_t)size, "%.0f", v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, (size_t)size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

void config_field_expect(const ConfigField *f, char *buf, int size) {
    size_t n = (size_t)size;
    const char *kind = f->type == CF_NUM ? "a number" : "an integer";
    switch (f->type) {
        case CF_INT:
        case CF_I64:
        case CF_NUM: {
            char lo[40], hi[40];
            config_format_number(f->lo, lo, sizeof lo);
            config_format_number(f->hi, hi, sizeof hi);
            if (isinf(f->hi))
                snprintf(buf, n, "%s %s %s", kind, (f->flags & CF_LO_OPEN) ? ">" : ">=", lo);
            else
                snprintf(buf, n, "%s in %c%s, %s%c", kind, (f->flags & CF_LO_OPEN) ? '(' : '[', lo,
                         hi, (f->flags & CF_HI_OPEN) ? ')' : ']');
            break;
        }
        case CF_BOOL: snprintf(buf, n, "true or false"); break;
        case CF_STR: snprintf(buf, n, "a string of at most %d characters", (int)f->size - 1); break;
        case CF_ENUM: {
            int k = snprintf(buf, n, "one of \"");
            for (const char *p = f->allowed; *p && k < size - 8; p++)
                k += snprintf(buf + k, n - (size_t)k, *p == '|' ? "\", \"" : "%c", *p);
            if (k < size - 1) snprintf(buf + k, n - (size_t)k, "\"");
            break;
        }
        case CF_STRLIST:
            snprintf(buf, n, "an array of at most %d non-empty strings", CONFIG_LIST_MAX);
            break;
        case CF_JUDGES:
            snprintf(buf, n,
                     "an array of 1 to %d judge objects {\"name\", \"weight\", \"options\"}",
                     CONFIG_MAX_JUDGES);
            break;
    }
}
