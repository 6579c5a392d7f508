/* io/config_check.c — config_check: every field of a config against the key table again (configs
   built in code skip the parser), then the rules between keys (judges, aggregation, ensemble,
   tokenizer, task levels, room in max_seq_len, architecture); see config_schema.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config_schema.h"
#include "train/task.h"

// ---- config_check: every field again (configs built in code), then cross-field rules ----

static int check_field(const Config *c, const ConfigField *f, const char *src, ErrMsg *e) {
    const char *p = (const char *)c + f->offset;
    char exp[256], why[256];
    double v = 0;
    switch (f->type) {
        case CF_INT: v = *(const int *)(const void *)p; break;
        case CF_I64: v = (double)*(const int64_t *)(const void *)p; break;
        case CF_NUM: v = *(const double *)(const void *)p; break;
        case CF_BOOL: v = *(const int *)(const void *)p; break;
        case CF_JUDGES:
        case CF_STRLIST: return 0;
        case CF_STR:
        case CF_ENUM:
            config_field_expect(f, exp, sizeof exp);
            if (!memchr(p, 0, f->size))
                return err_set(e, "%s: %s: expected %s, got an unterminated string", src, f->key,
                               exp);
            if (f->type == CF_ENUM && !config_enum_has(f->allowed, p))
                return err_set(e, "%s: %s: expected %s, got \"%s\"", src, f->key, exp, p);
            if (f->check && f->check(p, why, sizeof why))
                return err_set(e, "%s: %s: %s, got \"%s\"", src, f->key, why, p);
            return 0;
    }
    int lo_ok = (f->flags & CF_LO_OPEN) ? v > f->lo : v >= f->lo;
    int hi_ok = (f->flags & CF_HI_OPEN) ? v < f->hi : v <= f->hi;
    if (isfinite(v) && lo_ok && hi_ok) return 0;
    char got[40];
    config_field_expect(f, exp, sizeof exp);
    config_format_number(v, got, sizeof got);
    return err_set(e, "%s: %s: expected %s, got %s", src, f->key, exp, got);
}

static int check_judges(const Config *c, const char *src, ErrMsg *e) {
    if (c->n_judges < 1 || c->n_judges > CONFIG_MAX_JUDGES)
        return err_set(e, "%s: judges: expected 1 to %d judges, got %d", src, CONFIG_MAX_JUDGES,
                       c->n_judges);
    double wsum = 0;
    for (int i = 0; i < c->n_judges; i++) {
        const JudgeSpec *j = &c->judges[i];
        if (!memchr(j->name, 0, sizeof j->name) || !config_enum_has(CONFIG_JUDGE_NAMES, j->name))
            return err_set(e, "%s: judges[%d].name: expected one of %s", src, i,
                           CONFIG_JUDGE_NAMES);
        if (!(j->weight >= 0 && j->weight <= 1000))
            return err_set(e, "%s: judges[%d].weight: expected a number in [0, 1000], got %.17g",
                           src, i, j->weight);
        wsum += j->weight;
        for (int k = 0; k < i; k++)
            if (strcmp(c->judges[k].name, j->name) == 0)
                return err_set(e, "%s: judges[%d].name: \"%s\" is configured twice (judges[%d])",
                               src, i, j->name, k);
        if (!memchr(j->of, 0, sizeof j->of))
            return err_set(e, "%s: judges[%d].options.of: unterminated string", src, i);
        int is_prev = strcmp(j->name, "prev_round") == 0;
        if (!is_prev && j->of[0])
            return err_set(e, "%s: judges[%d].options.of: only prev_round takes options.of", src,
                           i);
        if (is_prev && !config_enum_has(CONFIG_JUDGE_OF_NAMES, j->of))
            return err_set(e,
                           "%s: judges[%d].options.of: prev_round needs options.of naming one of "
                           "llm_judge, implicit, likelihood, got \"%s\"",
                           src, i, j->of);
        if (is_prev && config_judge_index(c, j->of) < 0)
            return err_set(
                e,
                "%s: judges[%d].options.of: \"%s\" is not a configured judge (prev_round "
                "recomputes a configured judge with the previous round's policy)",
                src, i, j->of);
        if (strcmp(j->name, "oracle") == 0 && !c->aggregate.allow_oracle)
            return err_set(e,
                           "%s: judges[%d].name: the oracle judge uses ground truth and is refused "
                           "as a training judge unless aggregate.allow_oracle is true",
                           src, i);
    }
    if (!(wsum > 0))
        return err_set(e, "%s: judges: expected at least one judge with weight > 0", src);
    return 0;
}

static int check_aggregate(const Config *c, const char *src, ErrMsg *e) {
    const ConfigAggregate *a = &c->aggregate;
    int single = strcmp(a->mode, "single") == 0, cream = strcmp(a->mode, "cream") == 0;
    if ((single || cream) && config_judge_index(c, a->judge) < 0)
        return err_set(e,
                       "%s: aggregate.judge: \"%s\" is not a configured judge (mode \"%s\" needs "
                       "one of the judges list)",
                       src, a->judge, a->mode);
    if (cream && strcmp(a->judge, "prev_round") == 0)
        return err_set(e,
                       "%s: aggregate.judge: mode \"cream\" needs a current-round judge, got "
                       "\"prev_round\"",
                       src);
    if (cream) {
        for (int i = 0; i < c->n_judges; i++)
            if (strcmp(c->judges[i].name, "prev_round") == 0 &&
                strcmp(c->judges[i].of, a->judge) == 0)
                return 0;
        return err_set(e,
                       "%s: aggregate.mode: \"cream\" needs a prev_round judge with options.of "
                       "= \"%s\" (the aggregate.judge) in the judges list",
                       src, a->judge);
    }
    return 0;
}

// Responses per prompt, the consensus vote and the ensemble's labels.
static int check_ensemble(const Config *c, const char *src, ErrMsg *e) {
    int K = c->ensemble.models, S = c->generate.samples_per_prompt;
    int others = strcmp(c->ensemble.labels, "others") == 0 && K > 1;  // one model: no "others"
    int voters = (others ? K - 1 : K) * S;
    // rounds compare responses (SFT and eval do not); consensus of one voter is self-training
    if (voters < 2 && c->rounds.count > 0 && strcmp(c->aggregate.mode, "consensus") != 0)
        return err_set(e,
                       "%s: generate.samples_per_prompt: expected at least 2 responses per "
                       "prompt to compare (ensemble.models %d x samples_per_prompt %d%s; only "
                       "aggregate.mode \"consensus\" takes one), got %d",
                       src, K, S,
                       others ? ", less the model's own with ensemble.labels "
                                "\"others\""
                              : "",
                       voters);
    if (strcmp(c->aggregate.mode, "consensus") == 0 &&
        config_judge_index(c, c->aggregate.judge) < 0)
        return err_set(e,
                       "%s: aggregate.judge: \"%s\" is not a configured judge (mode "
                       "\"consensus\" keeps the answer this judge's votes put on top)",
                       src, c->aggregate.judge);
    if (c->train.replay && strcmp(c->train.loss, "sft") != 0)
        return err_set(e,
                       "%s: train.replay: replays earlier rounds' labels for train.loss "
                       "\"sft\" only, got train.loss \"%s\"",
                       src, c->train.loss);
    if (K > 1 && c->checkpoint.keep < 2)
        return err_set(e,
                       "%s: checkpoint.keep: expected at least 2 with ensemble.models > 1 (a "
                       "resume may go back one round so that every model restarts at the same "
                       "point), got %d",
                       src, c->checkpoint.keep);
    return 0;
}

// tokenizer.kind against the other keys: bpe takes its vocabulary from model.init or
// tokenizer.files and serves JSONL text tasks; char ignores files; templates are for JSONL.
static int check_tokenizer_kind(const Config *c, const char *src, ErrMsg *e) {
    int bpe = strcmp(c->tokenizer.kind, "bpe") == 0;
    int jsonl = strcmp(c->task.name, "jsonl") == 0;
    if (!bpe && c->tokenizer.files[0])
        return err_set(e,
                       "%s: tokenizer.files: applies to tokenizer.kind \"bpe\" only, expected "
                       "\"\" with kind \"%s\", got \"%s\"",
                       src, c->tokenizer.kind, c->tokenizer.files);
    if (bpe && !c->tokenizer.files[0] && !c->model.init[0])
        return err_set(e,
                       "%s: tokenizer.files: tokenizer.kind \"bpe\" needs the BPE from "
                       "model.init's checkpoint or from tokenizer.files, and both are \"\" (set "
                       "tokenizer.files to a directory with tokenizer.json, vocab.json + "
                       "merges.txt or encoder.json + vocab.bpe)",
                       src);
    if (bpe && !jsonl)
        return err_set(e,
                       "%s: tokenizer.kind: \"bpe\" serves JSONL text tasks, expected "
                       "task.name \"jsonl\", got \"%s\"",
                       src, c->task.name);
    if (bpe && strcmp(c->model.position, "abacus") == 0)
        return err_set(e,
                       "%s: model.position: \"abacus\" counts single-digit tokens and needs "
                       "tokenizer.kind \"char\", got \"bpe\"",
                       src);
    if (!jsonl && strcmp(c->task.prompt_template, "{prompt}") != 0)
        return err_set(e,
                       "%s: task.prompt_template: applies to task.name \"jsonl\" only, "
                       "expected \"{prompt}\" with \"%s\"",
                       src, c->task.name);
    int chatml = strcmp(c->task.chat_template, "chatml") == 0;
    if (chatml && !bpe)
        return err_set(e,
                       "%s: task.chat_template: \"chatml\" needs tokenizer.kind \"bpe\" (its "
                       "turns are special tokens), got \"%s\"",
                       src, c->tokenizer.kind);
    if (!chatml && c->task.system_prompt[0])
        return err_set(e,
                       "%s: task.system_prompt: applies to task.chat_template \"chatml\" only, "
                       "expected \"\" with \"%s\"",
                       src, c->task.chat_template);
    return 0;
}

// Characters needed by the arithmetic task and the judge template must be in the charset.
static int check_charset_covers(const Config *c, const char *src, ErrMsg *e) {
    if (strcmp(c->tokenizer.kind, "bpe") == 0) return 0;  // every byte has a token
    const char *cs = c->tokenizer.charset;
    int arith = strcmp(c->task.name, "arith") == 0;
    if (strcmp(cs, "auto") == 0) {
        if (arith)
            return err_set(
                e,
                "%s: tokenizer.charset: \"auto\" collects characters from JSONL data "
                "and needs task.name \"jsonl\"; the arith task needs an explicit charset",
                src);
        return 0;
    }
    char need[CONFIG_TEXT_MAX + 32];
    int k = 0;
    if (config_judge_index(c, "llm_judge") >= 0) {
        // verdict tokens and the template's literal characters (placeholders excluded)
        need[k++] = 'Y';
        need[k++] = 'N';
        for (const char *t = c->task.judge_template; *t;) {
            if (strncmp(t, "{prompt}", 8) == 0 || strncmp(t, "{answer}", 8) == 0)
                t += 8;
            else
                need[k++] = *t++;
        }
    }
    need[k] = 0;
    if (arith)
        snprintf(need + k, sizeof need - (size_t)k, "0123456789=%s", c->task.arith.operators);
    for (const char *p = need; *p; p++)
        if (!strchr(cs, *p))
            return err_set(e, "%s: tokenizer.charset: missing '%c', which %s needs", src, *p,
                           p - need < k ? "llm_judge (verdicts Y/N and task.judge_template)"
                                        : "the arith task (digits, '=' and task.arith.operators)");
    return 0;
}

// Abacus positions count digits: the charset must hold 0-9 in order (consecutive ids), and the
// offset must leave room in wpe.
static int check_abacus(const Config *c, const char *src, ErrMsg *e) {
    int abacus = strcmp(c->model.position, "abacus") == 0;
    if (!abacus && c->model.abacus_offset != 0)
        return err_set(e,
                       "%s: model.abacus_offset: applies to model.position \"abacus\" only, "
                       "expected 0 with \"%s\", got %d",
                       src, c->model.position, c->model.abacus_offset);
    if (!abacus) return 0;
    if (c->model.abacus_offset > c->model.max_seq_len - 2)
        return err_set(e,
                       "%s: model.abacus_offset: expected at most model.max_seq_len - 2 = %d, "
                       "got %d",
                       src, c->model.max_seq_len - 2, c->model.abacus_offset);
    if (strcmp(c->tokenizer.kind, "char") == 0 && strcmp(c->tokenizer.charset, "auto") != 0 &&
        !strstr(c->tokenizer.charset, "0123456789"))
        return err_set(e,
                       "%s: tokenizer.charset: model.position \"abacus\" needs the digits "
                       "\"0123456789\" together and in order in the charset",
                       src);
    return 0;
}

// Highest arith level of the config (SFT, schedule, eval_max), 0 without levels.
static int levels_top(const Config *c) {
    const ConfigLevels *l = &c->task.levels;
    int levels[TASK_SCHEDULE_MAX],
        n = task_parse_schedule(l->schedule, TASK_MAX_LEVELS, levels, (char[8]){0}, 8);
    int top = l->sft_max > l->eval_max ? l->sft_max : l->eval_max;
    for (int i = 0; i < n; i++) top = levels[i] > top ? levels[i] : top;
    if (top > 0 && l->sft_max == 0 && c->task.arith.digits > top) top = c->task.arith.digits;
    return top;
}

// task.arith.reversed and task.levels.*: rules between the keys.
static int check_task_levels(const Config *c, const char *src, ErrMsg *e) {
    const ConfigLevels *l = &c->task.levels;
    int arith = strcmp(c->task.name, "arith") == 0;
    if (c->task.arith.reversed && strcmp(c->task.arith.operators, "+") != 0)
        return err_set(e,
                       "%s: task.arith.reversed: true needs task.arith.operators \"+\" (the "
                       "reversed format is defined for addition), got \"%s\"",
                       src, c->task.arith.operators);
    if (c->task.arith.pad_to > 0 && !c->task.arith.reversed)
        return err_set(e, "%s: task.arith.pad_to: %d needs task.arith.reversed true", src,
                       c->task.arith.pad_to);
    if (l->sft_min > 0 && l->sft_max == 0)
        return err_set(e, "%s: task.levels.sft_min: %d needs task.levels.sft_max (0 = off)", src,
                       l->sft_min);
    if (l->sft_min > l->sft_max)
        return err_set(e,
                       "%s: task.levels.sft_min: expected at most task.levels.sft_max (%d), "
                       "got %d",
                       src, l->sft_max, l->sft_min);
    if (l->replay > 0 && !l->schedule[0])
        return err_set(e,
                       "%s: task.levels.replay: %.15g needs task.levels.schedule (replay draws "
                       "part of each scheduled round from lower levels)",
                       src, l->replay);
    if (l->advance_min_agreement > 0 && !l->schedule[0])
        return err_set(e,
                       "%s: task.levels.advance_min_agreement: %.15g needs task.levels.schedule "
                       "(it decides when the schedule moves on)",
                       src, l->advance_min_agreement);
    if (l->advance_min_agreement > 0 && c->rounds.count > TASK_HOLDS_MAX_ROUND)
        return err_set(
            e, "%s: rounds.count: at most %d with task.levels.advance_min_agreement, got %d", src,
            TASK_HOLDS_MAX_ROUND, c->rounds.count);
    int top = levels_top(c);
    if (arith && top > TASK_ARITH_MAX_LEVEL)
        return err_set(e,
                       "%s: task.levels.schedule: arith levels are operand lengths 1..%d, got "
                       "%d",
                       src, TASK_ARITH_MAX_LEVEL, top);
    int mixed = strcmp(l->operands, "mixed") == 0;
    if (arith && mixed && l->sft_max == 0 && !l->schedule[0])
        return err_set(e,
                       "%s: task.levels.operands: \"mixed\" needs levels (task.levels.sft_max or "
                       "task.levels.schedule)",
                       src);
    if (arith && mixed && top > TASK_MIXED_MAX_LEVEL)
        return err_set(e,
                       "%s: task.levels.operands: \"mixed\" levels go up to %d digits, got level "
                       "%d",
                       src, TASK_MIXED_MAX_LEVEL, top);
    if (arith && top > 9 && strchr(c->task.arith.operators, '*'))
        return err_set(e,
                       "%s: task.levels: level %d with task.arith.operators \"%s\": products "
                       "of operands above 9 digits overflow; drop '*' or stay at 9 digits",
                       src, top, c->task.arith.operators);
    return 0;
}

// The arith task's sequences must fit model.max_seq_len: BOS + prompt + response for generation,
// BOS + rendered judge template + verdict for llm_judge.
static int check_arith_room(const Config *c, const char *src, ErrMsg *e) {
    if (strcmp(c->task.name, "arith") != 0) return 0;
    int top = levels_top(c);  // levels: the longest operands
    int d = top > c->task.arith.digits ? top : c->task.arith.digits;
    if (c->task.arith.pad_to > 0 && c->task.arith.pad_to < d)
        return err_set(e,
                       "%s: task.arith.pad_to: expected 0 or at least the longest operand (%d "
                       "digits), got %d",
                       src, d, c->task.arith.pad_to);
    d = c->task.arith.pad_to > d ? c->task.arith.pad_to : d;
    int T = c->model.max_seq_len, mnt = c->generate.max_new_tokens;
    int prompt = 2 * d + 2;
    int answer = strchr(c->task.arith.operators, '*') ? 2 * d : d + 1;
    if (mnt < answer + 1)
        return err_set(e,
                       "%s: generate.max_new_tokens: expected at least %d for %d-digit \"%s\" "
                       "arithmetic (answers up to %d characters plus the end token), got %d",
                       src, answer + 1, d, c->task.arith.operators, answer, mnt);
    if (1 + prompt + mnt > T)
        return err_set(e,
                       "%s: model.max_seq_len: expected at least %d (1 + prompt %d + "
                       "generate.max_new_tokens %d), got %d",
                       src, 1 + prompt + mnt, prompt, mnt, T);
    int rationale = c->task.judge_rationale ? mnt - 1 : 0;
    int judge = 1 + (int)strlen(c->task.judge_template) - 16 + prompt + (mnt - 1) + rationale + 1;
    if (config_judge_index(c, "llm_judge") >= 0 && judge > T)
        return err_set(e,
                       "%s: model.max_seq_len: expected at least %d for the llm_judge template "
                       "with a %d-character prompt, a %d-token response and a %d-token rationale, "
                       "got %d",
                       src, judge, prompt, mnt - 1, rationale, T);
    return 0;
}

// The llama-only keys, and what each architecture cannot use.
static int check_arch(const Config *c, const char *src, ErrMsg *e) {
    const ConfigModel *m = &c->model;
    if (strcmp(m->arch, "llama") != 0) {
        if (m->n_kv_head != 0 || m->ffn_hidden != 0)
            return err_set(e,
                           "%s: model.%s: applies to model.arch \"llama\" only, expected 0 with "
                           "\"%s\", got %d",
                           src, m->n_kv_head ? "n_kv_head" : "ffn_hidden", m->arch,
                           m->n_kv_head ? m->n_kv_head : m->ffn_hidden);
        return 0;
    }
    if (strcmp(m->position, "learned") != 0)
        return err_set(e,
                       "%s: model.position: llama encodes positions with rotary embeddings, "
                       "expected the default \"learned\" (unused), got \"%s\"",
                       src, m->position);
    if (m->n_kv_head != 0 && m->n_head % m->n_kv_head != 0)
        return err_set(e, "%s: model.n_kv_head: expected a divisor of model.n_head (%d), got %d",
                       src, m->n_head, m->n_kv_head);
    if ((m->n_embd / m->n_head) % 2 != 0)
        return err_set(e,
                       "%s: model.n_head: rotary embeddings rotate pairs of channels, so the head "
                       "size n_embd / n_head must be even, got %d / %d = %d",
                       src, m->n_embd, m->n_head, m->n_embd / m->n_head);
    return 0;
}

int config_check(const Config *c, const char *src, ErrMsg *e) {
    if (!src) src = "config";
    for (int i = 0; i < config_n_fields; i++)
        if (check_field(c, &config_fields[i], src, e)) return -1;
    if (check_judges(c, src, e) || check_aggregate(c, src, e)) return -1;
    if (c->model.n_embd % c->model.n_head != 0)
        return err_set(e, "%s: model.n_head: expected a divisor of model.n_embd (%d), got %d", src,
                       c->model.n_embd, c->model.n_head);
    if (check_arch(c, src, e)) return -1;
    if (c->train.inpo_tau > c->train.inpo_eta)
        return err_set(e, "%s: train.inpo_tau: expected at most train.inpo_eta (%.15g), got %.15g",
                       src, c->train.inpo_eta, c->train.inpo_tau);
    if (c->run.stuck_timeout > 0 && c->run.stuck_timeout < 1)  // beats every timeout / 4
        return err_set(e, "%s: run.stuck_timeout: expected 0 (off) or at least 1 second, got %.15g",
                       src, c->run.stuck_timeout);
    if (strcmp(c->task.name, "jsonl") == 0 && !c->task.prompts_file[0])
        return err_set(e, "%s: task.prompts_file: task \"jsonl\" needs a JSONL prompts file", src);
    if (check_tokenizer_kind(c, src, e)) return -1;
    if (check_task_levels(c, src, e) || check_abacus(c, src, e)) return -1;
    if (check_charset_covers(c, src, e) || check_arith_room(c, src, e)) return -1;
    return check_ensemble(c, src, e);
}
