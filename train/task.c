/* train/task.c — the seeded permutation, prompt lists, splits, answers and token sequences; see
   task.h (the arithmetic task is in task_arith.c). */
#include "train/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/rng.h"
#include "train/task_impl.h"
#include "util/alloc.h"

#define FEISTEL_ROUNDS 6
#define QUOTE_MAX      48  // characters of a text quoted in an error message

// ---- seeded permutation --------------------------------------------------------------------

TaskPerm task_perm_make(uint64_t n, uint64_t seed, uint64_t stream) {
    CHECKF(n >= 1 && n <= (1ull << 62), "task_perm_make: n = %llu outside 1..2^62",
           (unsigned long long)n);
    int bits = 2;
    while (bits < 62 && (1ull << bits) < n) bits += 2;
    TaskPerm p = {n, rng_derive_key(seed, stream), bits / 2};
    return p;
}

// One pass of the balanced Feistel network over [0, 4^half_bits): a bijection for any round
// function, here the first Philox word of (right half, round) under the permutation's key.
static uint64_t feistel(const TaskPerm *p, uint64_t x) {
    uint32_t mask = (uint32_t)((1ull << p->half_bits) - 1);
    uint32_t left = (uint32_t)(x >> p->half_bits), right = (uint32_t)x & mask;
    uint32_t key[2] = {(uint32_t)p->key, (uint32_t)(p->key >> 32)};
    for (uint32_t r = 0; r < FEISTEL_ROUNDS; r++) {
        uint32_t ctr[4] = {right, r, 0, 0}, out[4];
        philox4x32(out, ctr, key);
        uint32_t next = (left ^ out[0]) & mask;
        left = right;
        right = next;
    }
    return ((uint64_t)left << p->half_bits) | right;
}

uint64_t task_perm_apply(const TaskPerm *p, uint64_t x) {
    CHECKF(x < p->n, "task_perm_apply: %llu outside [0, %llu)", (unsigned long long)x,
           (unsigned long long)p->n);
    // Cycle-walking: the cycle through x returns to x, so it meets [0, n) again.
    do x = feistel(p, x);
    while (x >= p->n);
    return x;
}

// ---- shared set-up ----------------------------------------------------------------------------

static int count_of(const char *s, const char *sub) {
    int k = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub)) k++;
    return k;
}

// "text" or "first QUOTE_MAX characters..." for messages.
static const char *quote(char buf[QUOTE_MAX + 4], const char *text) {
    snprintf(buf, QUOTE_MAX + 1, "%s", text);
    if (strlen(text) > QUOTE_MAX) strcat(buf, "...");
    return buf;
}

int task_init_common(Task *t, TaskKind kind, const TaskSpec *spec, ErrMsg *e) {
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->spec = *spec;
    const TaskSpec *s = &t->spec;
    if (s->eval_prompts < 0 || s->prompts_per_round < 1 || s->rounds < 0)
        return err_set(e,
                       "task: expected task.eval_prompts >= 0, task.prompts_per_round >= 1 and "
                       "rounds.count >= 0, got %d, %d and %d",
                       s->eval_prompts, s->prompts_per_round, s->rounds);
    const char *tpl = s->judge_template;
    int braces = 0;
    for (const char *p = tpl; *p; p++) braces += (*p == '{' || *p == '}');
    if (count_of(tpl, "{prompt}") != 1 || count_of(tpl, "{answer}") != 1 || braces != 4)
        return err_set(e,
                       "task.judge_template: expected {prompt} and {answer} once each and no "
                       "other braces, got \"%s\"",
                       tpl);
    if (s->answer_regex[0]) {
        int rc = regcomp(&t->regex, s->answer_regex, REG_EXTENDED);
        if (rc != 0) {
            char why[128];
            regerror(rc, &t->regex, why, sizeof why);
            return err_set(e,
                           "task.answer_regex: expected a POSIX extended regular expression, "
                           "got \"%s\" (%s)",
                           s->answer_regex, why);
        }
        t->has_regex = 1;
    }
    if (s->n_schedule < 0 || s->n_schedule > TASK_SCHEDULE_MAX)
        return err_set(e, "task.levels.schedule: expected at most %d levels, got %d",
                       TASK_SCHEDULE_MAX, s->n_schedule);
    t->n_sched = s->n_schedule;
    memcpy(t->sched, s->schedule, (size_t)s->n_schedule * sizeof *t->sched);
    return 0;
}

void task_free(Task *t) {
    if (t->has_regex) regfree(&t->regex);
    xfree(t->text);
    xfree(t->prompts.rec);
    xfree(t->evals.rec);
    xfree(t->sft.rec);
    xfree(t->order);
    xfree(t->lv);
    xfree(t->by_level);
    memset(t, 0, sizeof *t);
}

// ---- prompt lists --------------------------------------------------------------------------

int task_init_list(Task *t, const TaskSpec *spec, ErrMsg *e) {
    if (task_init_common(t, TASK_LIST, spec, e)) {
        task_free(t);
        return -1;
    }
    return 0;
}

// Copies text into the arena; returns its offset.
static int64_t list_text(Task *t, const char *text) {
    int64_t n = (int64_t)strlen(text) + 1;
    if (t->text_len + n > t->text_cap) {
        int64_t cap = t->text_cap ? t->text_cap : 4096;
        while (cap < t->text_len + n) cap *= 2;
        t->text = xrealloc("task_text", t->text, (size_t)cap);
        t->text_cap = cap;
    }
    memcpy(t->text + t->text_len, text, (size_t)n);
    t->text_len += n;
    return t->text_len - n;
}

static void list_push(Task *t, TaskRecords *rs, const char *a, const char *b, int flag,
                      const char *rationale, int level) {
    CHECKF(level >= 0 && level <= TASK_MAX_LEVELS, "task_list_add: level %d outside 0..%d", level,
           TASK_MAX_LEVELS);
    CHECKF(t->kind == TASK_LIST && !t->finished, "task_list_add: not an unfinished list task");
    CHECKF(rs->n < (1 << 30), "task_list_add: more than 2^30 lines");
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 256;
        rs->rec = xrealloc("task_records", rs->rec, (size_t)rs->cap * sizeof *rs->rec);
    }
    TaskRecord *r = &rs->rec[rs->n++];
    r->prompt = list_text(t, a);
    r->second = b ? list_text(t, b) : -1;
    r->rationale = rationale ? list_text(t, rationale) : -1;
    r->flag = flag;
    r->level = level;
}

void task_list_add_prompt_level(Task *t, int from_eval_file, const char *prompt, const char *answer,
                                int no_holdout, int level) {
    list_push(t, from_eval_file ? &t->evals : &t->prompts, prompt, answer, no_holdout ? 1 : 0, NULL,
              level);
}

void task_list_add_prompt(Task *t, int from_eval_file, const char *prompt, const char *answer,
                          int no_holdout) {
    task_list_add_prompt_level(t, from_eval_file, prompt, answer, no_holdout, 0);
}

void task_list_add_sft_level(Task *t, const char *prompt, const char *response, int verdict,
                             const char *rationale, int level) {
    CHECKF(verdict >= -1 && verdict <= 1, "task_list_add_sft: verdict %d", verdict);
    list_push(t, &t->sft, prompt, response, verdict, verdict >= 0 ? rationale : NULL, level);
}

void task_list_add_sft(Task *t, const char *prompt, const char *response, int verdict,
                       const char *rationale) {
    task_list_add_sft_level(t, prompt, response, verdict, rationale, 0);
}

// With a schedule: groups the round lines (order[first, n)) by level, in order, and checks each
// level has the lines the configured rounds take from it.
static int list_group_levels(Task *t, int first, const char *prompts_file, ErrMsg *e) {
    int count[TASK_MAX_LEVELS + 2] = {0};
    for (int i = first; i < t->n_order; i++) count[t->prompts.rec[t->order[i]].level]++;
    for (int l = 1; l <= TASK_MAX_LEVELS; l++) t->known[l] = count[l] > 0;
    t->level_start[0] = 0;
    for (int l = 0; l <= TASK_MAX_LEVELS; l++) t->level_start[l + 1] = t->level_start[l] + count[l];
    t->by_level = xmalloc("task_order", (size_t)(t->n_order + 1) * sizeof *t->by_level);
    int at[TASK_MAX_LEVELS + 1];
    memcpy(at, t->level_start, sizeof at);
    for (int i = first; i < t->n_order; i++)
        t->by_level[at[t->prompts.rec[t->order[i]].level]++] = t->order[i];
    int64_t need[TASK_MAX_LEVELS + 1];
    task_round_need(t, need);
    for (int l = 1; l <= TASK_MAX_LEVELS; l++)
        if (need[l] > count[l])
            return err_set(e,
                           "task.prompts_file \"%s\" has %d round lines of level %d, fewer than "
                           "the %lld that rounds.count (%d) x task.prompts_per_round (%d) take "
                           "from it with task.levels.schedule and task.levels.replay",
                           prompts_file, count[l], l, (long long)need[l], t->spec.rounds,
                           t->spec.prompts_per_round);
    return 0;
}

int task_list_finish(Task *t, const char *prompts_file, const char *eval_file, ErrMsg *e) {
    CHECKF(t->kind == TASK_LIST && !t->finished, "task_list_finish: not an unfinished list task");
    const TaskSpec *s = &t->spec;
    int n = t->prompts.n, from_file = t->evals.n > 0;
    int64_t E = s->eval_prompts, rounds = (int64_t)s->rounds * s->prompts_per_round;
    if (from_file && t->evals.n < E)
        return err_set(e,
                       "task.eval_file \"%s\" has %d usable lines, fewer than task.eval_prompts "
                       "(%d)",
                       eval_file, t->evals.n, s->eval_prompts);
    int64_t need = from_file ? rounds : E + rounds;
    if (n < need)
        return err_set(e,
                       "task.prompts_file \"%s\" has %d usable lines, fewer than the %lld needed: "
                       "%srounds.count (%d) x task.prompts_per_round (%d); add prompts or lower "
                       "those settings",
                       prompts_file, n, (long long)need,
                       from_file ? "" : (E ? "task.eval_prompts + " : ""), s->rounds,
                       s->prompts_per_round);
    int eligible = 0;
    for (int i = 0; i < n; i++) eligible += t->prompts.rec[i].flag == 0;
    if (!from_file && eligible < E)
        return err_set(
            e,
            "task.prompts_file \"%s\": only %d of its %d lines can be held out (the "
            "others' prompts appear in task.sft_file), fewer than task.eval_prompts (%d)",
            prompts_file, eligible, n, s->eval_prompts);
    int32_t *shuffled = xmalloc("task_order", (size_t)(n ? n : 1) * sizeof *shuffled);
    for (int i = 0; i < n; i++) shuffled[i] = i;
    Rng r = rng_stream(s->seed, TASK_STREAM(PURPOSE_SHUFFLE, 0));
    rng_shuffle_i32(&r, shuffled, n);
    // EVAL = the first E shuffled lines that may be held out; then every other line in order.
    t->order = xmalloc("task_order", (size_t)(n ? n : 1) * sizeof *t->order);
    int k = 0, held = 0;
    if (!from_file)
        for (int i = 0; i < n && held < E; i++)
            if (t->prompts.rec[shuffled[i]].flag == 0) {
                t->order[k++] = shuffled[i];
                shuffled[i] = -1;
                held++;
            }
    for (int i = 0; i < n; i++)
        if (shuffled[i] >= 0) t->order[k++] = shuffled[i];
    xfree(shuffled);
    t->n_order = n;
    if (t->n_sched > 0 && list_group_levels(t, from_file ? 0 : (int)E, prompts_file, e)) return -1;
    t->finished = 1;
    return 0;
}

static void list_prompt_item(const Task *t, const TaskRecords *rs, int i, int64_t id,
                             TaskItem *out) {
    const TaskRecord *r = &rs->rec[i];
    out->id = id;
    snprintf(out->prompt, sizeof out->prompt, "%s", t->text + r->prompt);
    out->has_answer = r->second >= 0;
    snprintf(out->answer, sizeof out->answer, "%s", out->has_answer ? t->text + r->second : "");
    out->level = r->level;
}

int task_parse_schedule(const char *text, int max_level, int *levels, char *why, int why_size) {
    int n = 0;
    const char *p = text;
    while (*p == ' ') p++;
    if (!*p) return 0;
    for (;;) {
        char *end;
        while (*p == ' ') p++;
        long v = (*p >= '0' && *p <= '9') ? strtol(p, &end, 10) : -1;
        if (v < 0) {
            snprintf(why, (size_t)why_size,
                     "expected comma-separated levels (integers 1..%d) like \"1,2,3\"", max_level);
            return -1;
        }
        if (v < 1 || v > max_level) {
            snprintf(why, (size_t)why_size, "expected levels in 1..%d, found %ld", max_level, v);
            return -1;
        }
        if (n > 0 && v < levels[n - 1]) {
            snprintf(why, (size_t)why_size, "expected non-decreasing levels");
            return -1;
        }
        if (n == TASK_SCHEDULE_MAX) {
            snprintf(why, (size_t)why_size, "expected at most %d levels", TASK_SCHEDULE_MAX);
            return -1;
        }
        levels[n++] = (int)v;
        p = end;
        while (*p == ' ') p++;
        if (!*p) return n;
        if (*p++ != ',') {
            snprintf(why, (size_t)why_size,
                     "expected comma-separated levels (integers 1..%d) like \"1,2,3\"", max_level);
            return -1;
        }
    }
}

int task_item_level(const Task *t, const TaskItem *it) {
    (void)t;
    return it->level;
}

// ---- splits ----------------------------------------------------------------------------------

int64_t task_split_size(const Task *t, TaskSplit s) {
    switch (s) {
        case TASK_SPLIT_EVAL:
            return t->levels ? (int64_t)t->spec.eval_prompts * (t->eval_hi - t->eval_lo + 1)
                             : t->spec.eval_prompts;
        case TASK_SPLIT_ROUND: return t->spec.prompts_per_round;
        case TASK_SPLIT_SFT:
            return t->kind == TASK_ARITH ? (int64_t)t->spec.n_instruction + t->spec.n_evaluation
                                         : t->sft.n;
        case TASK_SPLIT_VALID: return t->kind == TASK_ARITH ? t->spec.n_validation : 0;
    }
    die("task_split_size: unknown split %d", (int)s);
}

void task_item(const Task *t, TaskSplit s, int round, int index, TaskItem *out) {
    const TaskSpec *sp = &t->spec;
    CHECKF(s == TASK_SPLIT_EVAL || s == TASK_SPLIT_ROUND || s == TASK_SPLIT_VALID,
           "task_item: split %d has no items", (int)s);
    CHECKF(index >= 0 && index < task_split_size(t, s), "task_item: index %d out of range", index);
    CHECKF(s != TASK_SPLIT_ROUND || (round >= 1 && round <= sp->rounds),
           "task_item: round %d outside 1..%d", round, sp->rounds);
    if (t->kind == TASK_ARITH) {
        task_arith_item(t, s, round, index, out);
        return;
    }
    CHECKF(t->finished, "task_item: list task not finished");
    if (s == TASK_SPLIT_ROUND && t->n_sched > 0) {
        int level;
        int64_t seq;
        task_round_slot(t, round, index, &level, &seq);
        int line = t->by_level[t->level_start[level] + seq];
        list_prompt_item(t, &t->prompts, line, line, out);
        return;
    }
    int64_t E = sp->eval_prompts;
    int64_t pos =
        s == TASK_SPLIT_EVAL ? index : E + (int64_t)(round - 1) * sp->prompts_per_round + index;
    if (t->evals.n > 0) {  // EVAL from the eval file; rounds from the start of the order
        if (s == TASK_SPLIT_EVAL) {
            list_prompt_item(t, &t->evals, index, t->prompts.n + index, out);
            return;
        }
        pos -= E;
    }
    int line = t->order[pos];
    list_prompt_item(t, &t->prompts, line, line, out);
}

int task_held_out_judge_example(const Task *t, int index, const TaskItem *it, char *answer,
                                int size) {
    if (!it->has_answer) return -1;
    Rng r = rng_stream(t->spec.seed, TASK_STREAM(PURPOSE_HELD_OUT, index));
    if (rng_below(&r, 2)) {
        snprintf(answer, (size_t)size, "%s", it->answer);
        return 1;
    }
    if (t->kind == TASK_ARITH) {  // the same corruptions as the SFT evaluation examples
        task_arith_corrupt(t, it->answer, &r, answer, size);
        return 0;
    }
    // list: the answer of another EVAL item, the first that differs from this one's
    int64_t E = task_split_size(t, TASK_SPLIT_EVAL);
    int64_t k = (int64_t)rng_below(&r, (uint32_t)E);
    for (int64_t step = 0; step < E; step++) {
        TaskItem other;
        task_item(t, TASK_SPLIT_EVAL, 0, (int)((k + step) % E), &other);
        if (other.has_answer && strcmp(other.answer, it->answer) != 0) {
            snprintf(answer, (size_t)size, "%s", other.answer);
            return 0;
        }
    }
    return -1;  // every held-out answer is the same: no wrong answer to show
}

void task_sft_example(const Task *t, int64_t index, TaskSftExample *out) {
    CHECKF(index >= 0 && index < task_split_size(t, TASK_SPLIT_SFT),
           "task_sft_example: index %lld out of range", (long long)index);
    if (t->kind == TASK_ARITH) {
        task_arith_sft_example(t, index, out);
        return;
    }
    const TaskRecord *r = &t->sft.rec[index];
    out->kind = r->flag < 0 ? TASK_SFT_INSTRUCTION : TASK_SFT_EVALUATION;
    out->verdict = r->flag;
    snprintf(out->prompt, sizeof out->prompt, "%s", t->text + r->prompt);
    snprintf(out->response, sizeof out->response, "%s", t->text + r->second);
    int with = t->spec.judge_rationale && r->rationale >= 0;
    snprintf(out->rationale, sizeof out->rationale, "%s", with ? t->text + r->rationale : "");
}

void task_sft_verdict_counts(const Task *t, int64_t *yes, int64_t *no) {
    if (t->kind == TASK_ARITH) {
        *no = t->n_wrong;
        *yes = t->spec.n_evaluation - t->n_wrong;
        return;
    }
    *yes = *no = 0;
    for (int i = 0; i < t->sft.n; i++) {
        *yes += t->sft.rec[i].flag == 1;
        *no += t->sft.rec[i].flag == 0;
    }
}

// ---- answers and judge prompts -------------------------------------------------------------

// Copies n bytes of src as the answer; -1 when empty or too long for size.
static int put_answer(char *answer, int size, const char *src, size_t n) {
    if (n == 0 || n >= (size_t)size) return -1;
    memcpy(answer, src, n);
    answer[n] = '\0';
    return 0;
}

int task_extract(const Task *t, const char *response, char *answer, int size) {
    if (t->has_regex) {
        regmatch_t m[2];
        if (regexec(&t->regex, response, 2, m, 0) != 0) return -1;
        int g = t->regex.re_nsub >= 1 ? 1 : 0;
        if (m[g].rm_so < 0) return -1;
        return put_answer(answer, size, response + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
    }
    if (t->kind == TASK_ARITH && t->spec.reversed) {  // every digit counts, zeros included
        size_t nd = strspn(response, "0123456789");
        if (response[nd] != '\0') return -1;
        return put_answer(answer, size, response, nd);
    }
    if (t->kind == TASK_ARITH) {
        const char *p = response + (response[0] == '-');
        size_t nd = strspn(p, "0123456789");
        if (nd == 0 || p[nd] != '\0') return -1;
        if (p[0] == '0' && (nd > 1 || p != response)) return -1;  // leading zero, or "-0"
        return put_answer(answer, size, response, strlen(response));
    }
    const char *b = response, *end = response + strlen(response);
    while (*b == ' ') b++;
    while (end > b && end[-1] == ' ') end--;
    return put_answer(answer, size, b, (size_t)(end - b));
}

int task_format_ok(const Task *t, const TaskItem *it, const char *response) {
    char got[TASK_TEXT_MAX];
    if (task_extract(t, response, got, sizeof got) != 0) return 0;
    if (t->kind != TASK_ARITH) return 1;
    // operand lengths from the prompt "<digits><op><digits>="
    const char *p = it->prompt;
    size_t la = strspn(p, "0123456789");
    char op = p[la];
    size_t lb = op ? strspn(p + la + 1, "0123456789") : 0;
    size_t longest = la > lb ? la : lb, n = strlen(got);
    if (t->spec.reversed) return strspn(got, "0123456789") == n && n == longest + 1;
    if (op != '+') return 1;
    int plain = strspn(got, "0123456789") == n && (got[0] != '0' || n == 1);
    return plain && n >= longest && n <= longest + 1;
}

int task_verify(const Task *t, const TaskItem *it, const char *response) {
    if (!it->has_answer) return -1;
    char got[TASK_TEXT_MAX];
    if (task_extract(t, response, got, sizeof got) != 0) return 0;
    return strcmp(got, it->answer) == 0;
}

int task_fill_prompt_template(const char *tmpl, const char *prompt, char *out, int size) {
    const char *at = strstr(tmpl, "{prompt}");
    size_t head = at ? (size_t)(at - tmpl) : strlen(tmpl);
    size_t np = at ? strlen(prompt) : 0;
    const char *tail = at ? at + 8 : "";
    size_t n = head + np + strlen(tail);
    if (size <= 0 || n >= (size_t)size) return -1;
    memcpy(out, tmpl, head);
    memcpy(out + head, prompt, np);
    memcpy(out + head + np, tail, strlen(tail) + 1);
    return (int)n;
}

int task_judge_prompt(const Task *t, const char *prompt, const char *answer, char *out, int size) {
    int len = 0;
    for (const char *p = t->spec.judge_template; *p;) {
        const char *piece = p;
        size_t n = 1;
        if (strncmp(p, "{prompt}", 8) == 0 || strncmp(p, "{answer}", 8) == 0) {
            piece = p[1] == 'p' ? prompt : answer;
            n = strlen(piece);
            p += 8;
        } else {
            p++;
        }
        if ((size_t)len + n >= (size_t)size) return -1;
        memcpy(out + len, piece, n);
        len += (int)n;
    }
    out[len] = '\0';
    return len;
}

// ---- token sequences -------------------------------------------------------------------------

int task_verdict_ids(const Tokenizer *tok, int32_t *yes, int32_t *no, ErrMsg *e) {
    *yes = tokenizer_byte_id(tok, 'Y');
    *no = tokenizer_byte_id(tok, 'N');
    if (*yes < 0 || *no < 0)
        return err_set(e,
                       "tokenizer.charset: the judge verdicts need 'Y' and 'N', charset \"%s\" "
                       "lacks '%c'",
                       tok->charset, *yes < 0 ? 'Y' : 'N');
    return 0;
}

// Encodes text at ids with room for `room` ids; what names the text in the error. Returns the
// number of ids (char kind: the text's length).
static int encode_part(const Tokenizer *tok, const char *what, const char *text, int32_t *ids,
                       int room, ErrMsg *e) {
    ErrMsg inner;
    int n = tokenizer_encode(tok, text, ids, room, &inner);
    if (n < 0) {
        const char *msg = strncmp(inner.msg, "text: ", 6) == 0 ? inner.msg + 6 : inner.msg;
        char q[QUOTE_MAX + 4];
        return err_set(e, "task: %s \"%s\": %s", what, quote(q, text), msg);
    }
    return n;
}

static int too_long(ErrMsg *e, const char *what, const char *text, int need, const char *parts,
                    int max_len) {
    char q[QUOTE_MAX + 4];
    return err_set(e, "task: %s \"%s\" needs %d tokens (%s), more than model.max_seq_len %d", what,
                   quote(q, text), need, parts, max_len);
}

// Tokens of text: its length for char (unknown characters are found by encode_part, which runs
// after the length check as before), the BPE's count for bpe.
static int n_tokens(const Tokenizer *tok, const char *text) { return tokenizer_count(tok, text); }

// The prompt turn of text (tokenizer_encode_turn: BOS + text, or the chat template's turns) at
// ids with room for `room` ids; errors as encode_part.
static int encode_turn(const Tokenizer *tok, const char *what, const char *text, int32_t *ids,
                       int room, ErrMsg *e) {
    ErrMsg inner;
    int n = tokenizer_encode_turn(tok, text, ids, room, &inner);
    if (n < 0) {
        const char *msg = strncmp(inner.msg, "text: ", 6) == 0 ? inner.msg + 6 : inner.msg;
        char q[QUOTE_MAX + 4];
        return err_set(e, "task: %s \"%s\": %s", what, quote(q, text), msg);
    }
    return n;
}

// How a prompt turn is named in length messages.
static const char *turn_name(const Tokenizer *tok) {
    return tok->chat == TOKENIZER_CHAT_CHATML ? "ChatML turns with the prompt" : "BOS + prompt";
}

int task_encode_prompt(const Tokenizer *tok, const char *prompt, int max_new, int32_t *ids,
                       int max_len, ErrMsg *e) {
    int n = tokenizer_count_turn(tok, prompt);
    if ((int64_t)n + max_new > max_len) {
        char parts[96];
        snprintf(parts, sizeof parts, "%s + generate.max_new_tokens", turn_name(tok));
        return too_long(e, "prompt", prompt, n + max_new, parts, max_len);
    }
    return encode_turn(tok, "prompt", prompt, ids, n, e);
}

int task_encode_answered(const Tokenizer *tok, const char *prompt, const char *response,
                         int32_t *ids, int max_len, int *resp_start, ErrMsg *e) {
    int np = tokenizer_count_turn(tok, prompt), nr = n_tokens(tok, response);
    if ((int64_t)np + nr + 1 > max_len) {
        char parts[96];
        snprintf(parts, sizeof parts, "%s + response + EOS", turn_name(tok));
        return too_long(e, "prompt", prompt, np + nr + 1, parts, max_len);
    }
    if (encode_turn(tok, "prompt", prompt, ids, np, e) < 0) return -1;
    if (encode_part(tok, "response", response, ids + np, nr, e) < 0) return -1;
    ids[np + nr] = tok->eos;
    *resp_start = np;
    return np + nr + 1;
}

int task_rationale_tokens(const Task *t, int max_new) {
    return t->spec.judge_rationale && max_new > 1 ? max_new - 1 : 0;
}

// The judge prompt's turn (BOS + judge prompt, or its chat turns) into ids with `extra` more
// tokens of room; returns its length or -1.
static int encode_judge(const Task *t, const Tokenizer *tok, const char *prompt, const char *answer,
                        int32_t *ids, int max_len, int extra, const char *parts, ErrMsg *e) {
    char text[2 * TASK_TEXT_MAX + TASK_TEMPLATE_MAX];
    int n = task_judge_prompt(t, prompt, answer, text, sizeof text);
    if (n < 0) return err_set(e, "task: judge prompt of \"%.*s\" is too long", QUOTE_MAX, prompt);
    n = tokenizer_count_turn(tok, text);
    if ((int64_t)n + extra > max_len) {
        char named[160];  // with chatml the judge prompt is a user turn like any prompt
        int chat = tok->chat == TOKENIZER_CHAT_CHATML && strncmp(parts, "BOS + ", 6) == 0;
        snprintf(named, sizeof named, "%s%s", chat ? "ChatML turns with the " : "",
                 chat ? parts + 6 : parts);
        return too_long(e, "judge prompt", text, n + extra, named, max_len);
    }
    return encode_turn(tok, "judge prompt", text, ids, n, e);
}

int task_encode_judge(const Task *t, const Tokenizer *tok, const char *prompt, const char *answer,
                      int32_t *ids, int max_len, ErrMsg *e) {
    return encode_judge(t, tok, prompt, answer, ids, max_len, 1, "BOS + judge prompt + verdict", e);
}

int task_encode_sft(const Task *t, const Tokenizer *tok, const TaskSftExample *ex, int32_t *ids,
                    int max_len, int *resp_start, ErrMsg *e) {
    if (ex->kind == TASK_SFT_INSTRUCTION)
        return task_encode_answered(tok, ex->prompt, ex->response, ids, max_len, resp_start, e);
    int32_t yes, no;
    if (task_verdict_ids(tok, &yes, &no, e)) return -1;
    int nr = n_tokens(tok, ex->rationale);
    int n = encode_judge(t, tok, ex->prompt, ex->response, ids, max_len, nr + 2,
                         nr ? "BOS + judge prompt + rationale + verdict + EOS"
                            : "BOS + judge prompt + verdict + EOS",
                         e);
    if (n < 0) return -1;
    if (nr && encode_part(tok, "rationale", ex->rationale, ids + n, nr, e) < 0) return -1;
    ids[n + nr] = ex->verdict ? yes : no;
    ids[n + nr + 1] = tok->eos;
    *resp_start = n;
    return n + nr + 2;
}
