/* train/task_arith.c — the built-in arithmetic task: prompts (plain or reversed), levels and the
   layouts of their splits, SFT examples, corrupted answers; see task.h.
   Arith prompt index k in [0, N): operator = operators[k % n_ops], then a = (k / n_ops) % 10^d,
   b = (k / n_ops) / 10^d. Corrupted SFT answers: with probability 1/2 the truth plus or minus
   1..10 (kept non-negative when the truth is, and no longer than the longest true answer),
   otherwise one digit replaced by another (no leading zero, no "-0"); never the truth. Reversed
   answers are corrupted the same way within their fixed width (any digit may become any other). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/task_impl.h"
#include "util/alloc.h"

static int64_t arith_value(int64_t a, char op, int64_t b) {
    return op == '+' ? a + b : op == '-' ? a - b : a * b;
}

static int num_len(int64_t v) {
    char buf[32];
    return snprintf(buf, sizeof buf, "%lld", (long long)v);
}

static void reverse(char *s, int n) {
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        char c = s[i];
        s[i] = s[j];
        s[j] = c;
    }
}

// Prompt and answer texts of a <op> b (plain or reversed).
static void arith_format(const Task *t, int64_t a, char op, int64_t b, TaskItem *out) {
    int64_t v = arith_value(a, op, b);
    out->has_answer = 1;
    if (!t->spec.reversed) {
        snprintf(out->prompt, sizeof out->prompt, "%lld%c%lld=", (long long)a, op, (long long)b);
        snprintf(out->answer, sizeof out->answer, "%lld", (long long)v);
        return;
    }
    char sa[24], sb[24], sv[24];
    int la = snprintf(sa, sizeof sa, "%lld", (long long)a);
    int lb = snprintf(sb, sizeof sb, "%lld", (long long)b);
    int w = (la > lb ? la : lb) + 1;  // '+' only: the sum has at most one more digit
    if (t->spec.pad_to >= w) w = t->spec.pad_to + 1;
    snprintf(sv, sizeof sv, "%0*lld", w, (long long)v);
    reverse(sa, la), reverse(sb, lb), reverse(sv, w);
    for (; la < t->spec.pad_to; la++) sa[la] = '0';  // leading zeros, written last
    for (; lb < t->spec.pad_to; lb++) sb[lb] = '0';
    sa[la] = sb[lb] = '\0';
    snprintf(out->prompt, sizeof out->prompt, "%s%c%s=", sa, op, sb);
    snprintf(out->answer, sizeof out->answer, "%s", sv);
}

// Prompt index k of the plain (level-less) space.
static void arith_item(const Task *t, uint64_t k, TaskItem *out) {
    char op = t->spec.operators[k % (uint64_t)t->n_ops];
    uint64_t x = k / (uint64_t)t->n_ops;
    out->id = (int64_t)k;
    out->level = 0;
    arith_format(t, (int64_t)(x % (uint64_t)t->pow10), op, (int64_t)(x / (uint64_t)t->pow10), out);
}

// Operand range of numbers of d digits: [lo, lo + n); 1 digit includes 0.
static int64_t digits_lo(int d) {
    int64_t lo = 1;
    for (int i = 1; i < d; i++) lo *= 10;
    return d == 1 ? 0 : lo;
}
static int64_t digits_n(int d) { return d == 1 ? 10 : 9 * digits_lo(d); }

// Operand lengths of bucket k of mixed level L (see TaskLevel).
static void bucket_lengths(int L, int k, int *la, int *lb) {
    *la = k < L ? L : k - L + 1;
    *lb = k < L ? k + 1 : L;
}

// Mixed level: position -> (bucket, index within it). Positions fold so that both ends of
// [0, size) come first (even q from the bottom, odd from the top); then q walks the buckets
// smallest first: while the smallest has pairs left, all take turns; then the rest; and so on.
static void mixed_locate(const TaskLevel *lv, uint64_t pos, int *bucket, uint64_t *inner) {
    uint64_t half = (lv->size + 1) / 2;
    uint64_t q = pos < half ? 2 * pos : 2 * (lv->size - 1 - pos) + 1, done = 0;
    for (int j = 0; j < lv->n_buckets; j++) {
        uint64_t active = (uint64_t)(lv->n_buckets - j);
        uint64_t span = (lv->bucket_size[lv->by_size[j]] - done) * active;
        if (q < span) {
            *bucket = lv->by_size[j + (int)(q % active)];
            *inner = done + q / active;
            return;
        }
        q -= span;
        done = lv->bucket_size[lv->by_size[j]];
    }
    *bucket = -1;  // unreachable for pos < size
    *inner = 0;
}

// Position pos of a mixed level L; the id's low bits are the folded position.
static void mixed_item(const Task *t, int L, uint64_t pos, TaskItem *out) {
    const TaskLevel *lv = &t->lv[L];
    int k, la, lb;
    uint64_t inner;
    mixed_locate(lv, pos, &k, &inner);
    bucket_lengths(L, k, &la, &lb);
    uint64_t x = task_perm_apply(&lv->bucket_perm[k], inner), y = x / (uint64_t)t->n_ops;
    uint64_t na = (uint64_t)digits_n(la);
    out->id = (int64_t)(((uint64_t)L << 56) ^ pos);
    out->level = L;
    arith_format(t, digits_lo(la) + (int64_t)(y % na), t->spec.operators[x % (uint64_t)t->n_ops],
                 digits_lo(lb) + (int64_t)(y / na), out);
}

// Sizes and permutations of mixed level L's buckets; lv->size is their sum.
static void mixed_init(Task *t, int L, TaskLevel *lv) {
    lv->n_buckets = 2 * L - 1;
    lv->size = 0;
    for (int k = 0; k < lv->n_buckets; k++) {
        int la, lb;
        bucket_lengths(L, k, &la, &lb);
        lv->bucket_size[k] = (uint64_t)digits_n(la) * (uint64_t)digits_n(lb) * (uint64_t)t->n_ops;
        lv->bucket_perm[k] = task_perm_make(lv->bucket_size[k], t->spec.seed,
                                            TASK_STREAM(PURPOSE_MIXED, L * 64 + k));
        lv->size += lv->bucket_size[k];
        int i = k;  // insertion sort by size, ties by id
        while (i > 0 && lv->bucket_size[lv->by_size[i - 1]] > lv->bucket_size[k]) {
            lv->by_size[i] = lv->by_size[i - 1];
            i--;
        }
        lv->by_size[i] = k;
    }
}

// Position pos of level L. The id is (L << 56) ^ prompt index: distinct below level 9.
static void level_item(const Task *t, int L, uint64_t pos, TaskItem *out) {
    const TaskLevel *lv = &t->lv[L];
    if (lv->n_buckets) {
        mixed_item(t, L, pos, out);
        return;
    }
    uint64_t x, a, b;
    char op;
    if (lv->big) {
        a = task_perm_apply(&lv->perm, pos);
        b = task_perm_apply(&lv->perm_b, pos);
        op = t->spec.operators[pos % (uint64_t)t->n_ops];
        x = pos;
    } else {
        x = task_perm_apply(&lv->perm, pos);
        uint64_t y = x / (uint64_t)t->n_ops;
        op = t->spec.operators[x % (uint64_t)t->n_ops];
        a = y % (uint64_t)lv->n;
        b = y / (uint64_t)lv->n;
    }
    out->id = (int64_t)(((uint64_t)L << 56) ^ x);
    out->level = L;
    arith_format(t, lv->lo + (int64_t)a, op, lv->lo + (int64_t)b, out);
}

// Longest answer text over the configured operators with operands up to top.
static int arith_max_answer_len(const Task *t, int64_t top) {
    int digits = num_len(top) > t->spec.pad_to ? num_len(top) : t->spec.pad_to;
    int len = t->spec.reversed ? digits + 1 : 1;
    for (const char *op = t->spec.operators; *op; op++) {
        int64_t extreme = *op == '+' ? 2 * top : *op == '-' ? -top : top * top;
        int l = num_len(extreme);
        if (l > len) len = l;
    }
    return len;
}

static int arith_check_spec(const TaskSpec *s, ErrMsg *e) {
    if (s->digits < 1 || s->digits > 9)
        return err_set(e, "task.arith.digits: expected 1..9, got %d", s->digits);
    int n = (int)strnlen(s->operators, sizeof s->operators);
    if (n == 0 || n >= (int)sizeof s->operators)
        return err_set(e, "task.arith.operators: expected 1 to 3 characters of \"+-*\", got %d", n);
    for (int i = 0; i < n; i++)
        if (!strchr("+-*", s->operators[i]) || strchr(s->operators + i + 1, s->operators[i]))
            return err_set(e,
                           "task.arith.operators: expected distinct characters of \"+-*\", "
                           "got \"%s\"",
                           s->operators);
    if (s->n_instruction < 0 || s->n_evaluation < 0 ||
        !(s->eval_wrong_fraction >= 0 && s->eval_wrong_fraction <= 1))
        return err_set(e,
                       "task: expected sft.n_instruction >= 0, sft.n_evaluation >= 0 and "
                       "sft.eval_wrong_fraction in [0, 1], got %d, %d and %g",
                       s->n_instruction, s->n_evaluation, s->eval_wrong_fraction);
    if (s->reversed && strcmp(s->operators, "+") != 0)
        return err_set(e,
                       "task.arith.reversed: the reversed format needs task.arith.operators "
                       "\"+\", got \"%s\"",
                       s->operators);
    int M = TASK_ARITH_MAX_LEVEL;
    if (s->pad_to < 0 || s->pad_to > M || (s->pad_to > 0 && !s->reversed))
        return err_set(e, "task.arith.pad_to: expected 0..%d and task.arith.reversed, got %d", M,
                       s->pad_to);
    if (s->sft_max < 0 || s->sft_max > M || s->sft_min < 0 || s->sft_min > s->sft_max ||
        s->eval_max < 0 || s->eval_max > M)
        return err_set(e,
                       "task.levels: expected 0 <= task.levels.sft_min <= task.levels.sft_max <= "
                       "%d and task.levels.eval_max in 0..%d, got %d, %d and %d",
                       M, M, s->sft_min, s->sft_max, s->eval_max);
    if (s->n_schedule < 0 || s->n_schedule > TASK_SCHEDULE_MAX)
        return err_set(e, "task.levels.schedule: expected at most %d levels, got %d",
                       TASK_SCHEDULE_MAX, s->n_schedule);
    for (int i = 0; i < s->n_schedule; i++)
        if (s->schedule[i] < 1 || s->schedule[i] > M ||
            (i > 0 && s->schedule[i] < s->schedule[i - 1]))
            return err_set(e,
                           "task.levels.schedule: expected non-decreasing levels in 1..%d, got %d "
                           "at entry %d",
                           M, s->schedule[i], i + 1);
    if (s->mixed_operands && s->sft_max == 0 && s->n_schedule == 0)
        return err_set(e,
                       "task.levels.operands: \"mixed\" needs levels (task.levels.sft_max or "
                       "task.levels.schedule)");
    if (!(s->replay >= 0 && s->replay < 1) || (s->replay > 0 && s->n_schedule == 0))
        return err_set(e,
                       "task.levels.replay: expected a share in [0, 1), and 0 without "
                       "task.levels.schedule, got %g",
                       s->replay);
    return 0;
}

// ---- levels: layouts and round slots -------------------------------------------------------

// Schedule position (1..n) of round r: one step per round but for the rounds that hold.
static int round_pos(const Task *t, int round) {
    int pos = round;
    for (int q = 2; q <= round && q <= TASK_HOLDS_MAX_ROUND; q++) pos -= (int)(t->holds >> q & 1);
    return pos < t->n_sched ? pos : t->n_sched;
}

int task_round_level(const Task *t, int round) {
    if (t->n_sched == 0) return 0;
    return t->sched[round_pos(t, round) - 1];
}

void task_set_level_holds(Task *t, uint64_t holds) {
    CHECKF(t->spec.level_holds || holds == 0, "task_set_level_holds: the task has no level holds");
    CHECKF((holds & 3ull) == 0, "task_set_level_holds: rounds 0 and 1 cannot hold (0x%llx)",
           (unsigned long long)holds);
    t->holds = holds;
}

// Known levels below main, ascending (where replay draws from); returns their count.
static int earlier_levels(const Task *t, int main, int out[TASK_MAX_LEVELS]) {
    int n = 0;
    for (int l = 1; l < main; l++)
        if (t->known[l]) out[n++] = l;
    return n;
}

static int64_t replay_count(const Task *t, int n_earlier) {
    if (n_earlier == 0) return 0;
    int64_t P = t->spec.prompts_per_round, k = llround(t->spec.replay * (double)P);
    return k < P ? k : P;
}

// Prompts round r takes from each level when its main level is main: the main level's, then
// replay prompt j (of nrep) from earlier level (j + r) mod n_earlier, so the levels take turns
// across rounds.
static void round_counts_at(const Task *t, int r, int main, int64_t cnt[TASK_MAX_LEVELS + 1]) {
    memset(cnt, 0, (TASK_MAX_LEVELS + 1) * sizeof *cnt);
    int ear[TASK_MAX_LEVELS], ne = earlier_levels(t, main, ear);
    int64_t nrep = replay_count(t, ne);
    cnt[main] += t->spec.prompts_per_round - nrep;
    for (int q = 0; q < ne; q++) {
        int64_t j0 = ((int64_t)q - r % ne + ne) % ne;  // first replay index of earlier level q
        cnt[ear[q]] += j0 < nrep ? (nrep - 1 - j0) / ne + 1 : 0;
    }
}

static void round_counts(const Task *t, int r, int64_t cnt[TASK_MAX_LEVELS + 1]) {
    round_counts_at(t, r, task_round_level(t, r), cnt);
}

void task_round_slot(const Task *t, int round, int index, int *level, int64_t *seq) {
    int ear[TASK_MAX_LEVELS], main = task_round_level(t, round), ne = earlier_levels(t, main, ear);
    int64_t nrep = replay_count(t, ne), n_main = t->spec.prompts_per_round - nrep, local;
    if (index < n_main) {
        *level = main;
        local = index;
    } else {
        int64_t j = index - n_main;
        *level = ear[(j + round) % ne];
        local = j / ne;
    }
    int64_t off = 0, cnt[TASK_MAX_LEVELS + 1];
    for (int q = 1; q < round; q++) {
        round_counts(t, q, cnt);
        off += cnt[*level];
    }
    *seq = off + local;
}

// With level holds, round r may be at any schedule position 1..min(r, n): each round is counted
// at the position that takes the most from each level, a bound on every plan of holds.
void task_round_need(const Task *t, int64_t need[TASK_MAX_LEVELS + 1]) {
    int64_t cnt[TASK_MAX_LEVELS + 1], most[TASK_MAX_LEVELS + 1];
    memset(need, 0, (TASK_MAX_LEVELS + 1) * sizeof *need);
    for (int r = 1; r <= t->spec.rounds && t->n_sched > 0; r++) {
        if (!t->spec.level_holds) {
            round_counts(t, r, most);
        } else {
            memset(most, 0, sizeof most);
            for (int p = 1; p <= r && p <= t->n_sched; p++) {
                round_counts_at(t, r, t->sched[p - 1], cnt);
                for (int l = 0; l <= TASK_MAX_LEVELS; l++)
                    most[l] = cnt[l] > most[l] ? cnt[l] : most[l];
            }
        }
        for (int l = 0; l <= TASK_MAX_LEVELS; l++) need[l] += most[l];
    }
}

// Sizes lv's regions (lv->size set); -1 when EVAL, VALID, SFT and round prompts do not fit.
static int layout_fill(TaskLevel *lv, uint64_t E, uint64_t ni, uint64_t nv, uint64_t ne,
                       uint64_t need) {
    lv->eval = E;
    lv->valid = nv;
    lv->instr = lv->judge = lv->cap = 0;
    if (E + nv > lv->size) return -1;
    uint64_t avail = lv->size - E - nv;
    lv->instr = ni < avail ? ni : avail;  // more instruction examples than prompts: they cycle
    lv->judge = ni == 0 && ne > 0 ? (ne < avail ? ne : avail) : 0;
    if ((ni > 0 && lv->instr == 0) || (ne > 0 && lv->instr + lv->judge == 0)) return -1;
    lv->cap = avail - lv->instr - lv->judge;
    return need <= lv->cap ? 0 : -1;
}

// Share of total that the idx-th of n round-robin buckets gets.
static uint64_t share(int64_t total, int n, int idx) {
    return (uint64_t)(total / n + (idx < total % n));
}

static int levels_init(Task *t, ErrMsg *e) {
    const TaskSpec *s = &t->spec;
    t->levels = 1;
    t->sft_lo = s->sft_max > 0 ? (s->sft_min > 0 ? s->sft_min : 1) : s->digits;
    t->sft_hi = s->sft_max > 0 ? s->sft_max : s->digits;
    if (t->n_sched == 0) t->sched[0] = s->digits, t->n_sched = 1;
    int top = t->sft_hi;
    for (int i = 0; i < t->n_sched; i++) top = t->sched[i] > top ? t->sched[i] : top;
    t->eval_lo = t->sft_lo;
    t->eval_hi = s->eval_max > 0 ? s->eval_max : top;
    if (t->eval_hi < t->eval_lo)
        return err_set(e, "task.levels.eval_max: expected at least the lowest SFT level %d, got %d",
                       t->eval_lo, t->eval_hi);
    int maxlev = top > t->eval_hi ? top : t->eval_hi;
    if (s->pad_to > 0 && s->pad_to < maxlev)
        return err_set(e, "task.arith.pad_to: expected at least the highest level %d, got %d",
                       maxlev, s->pad_to);
    if (s->mixed_operands && maxlev > TASK_MIXED_MAX_LEVEL)
        return err_set(e, "task.levels.operands: \"mixed\" levels go up to %d digits, got level %d",
                       TASK_MIXED_MAX_LEVEL, maxlev);
    if (maxlev > 9 && strchr(s->operators, '*'))
        return err_set(e,
                       "task.levels: level %d with task.arith.operators \"%s\": products of "
                       "operands above 9 digits overflow; drop '*' or stay at 9 digits",
                       maxlev, s->operators);
    for (int l = t->sft_lo; l <= t->sft_hi; l++) t->known[l] = 1;
    for (int i = 0; i < t->n_sched; i++) t->known[t->sched[i]] = 1;
    int64_t need[TASK_MAX_LEVELS + 1];
    task_round_need(t, need);
    t->lv = xcalloc("task_levels", TASK_MAX_LEVELS + 1, sizeof *t->lv);
    int nsft = t->sft_hi - t->sft_lo + 1;
    int64_t ten = 1;
    for (int L = 1; L <= maxlev; L++, ten *= 10) {
        TaskLevel *lv = &t->lv[L];
        lv->lo = L == 1 ? 0 : ten;
        lv->n = L == 1 ? 10 : 9 * ten;
        uint64_t n = (uint64_t)lv->n, ops = (uint64_t)t->n_ops;
        if (s->mixed_operands) {
            mixed_init(t, L, lv);
        } else {
            lv->big = n > (1ull << 31) || n * n > (1ull << 62) / ops;
            lv->size = lv->big ? n : n * n * ops;
            lv->perm = task_perm_make(lv->size, s->seed, TASK_STREAM(PURPOSE_LEVEL, L));
            if (lv->big) lv->perm_b = task_perm_make(n, s->seed, TASK_STREAM(PURPOSE_LEVEL_B, L));
        }
        uint64_t E = L >= t->eval_lo && L <= t->eval_hi ? (uint64_t)s->eval_prompts : 0;
        int in_sft = L >= t->sft_lo && L <= t->sft_hi, k = L - t->sft_lo;
        uint64_t ni = in_sft ? share(s->n_instruction, nsft, k) : 0;
        uint64_t nv = in_sft ? share(s->n_validation, nsft, k) : 0;
        uint64_t ne = in_sft ? share(s->n_evaluation, nsft, k) : 0;
        if (layout_fill(lv, E, ni, nv, ne, (uint64_t)need[L]))
            return err_set(e,
                           "task.levels: level %d has %llu distinct prompts, too few for %llu "
                           "held-out (task.eval_prompts), %llu validation (sft.n_validation), "
                           "%llu instruction and %llu evaluation-only SFT prompts "
                           "(sft.n_instruction, sft.n_evaluation) and %lld round prompts "
                           "(task.prompts_per_round x rounds.count %d via task.levels.schedule "
                           "and task.levels.replay) without overlap; lower them or change "
                           "task.levels",
                           L, (unsigned long long)lv->size, (unsigned long long)E,
                           (unsigned long long)nv, (unsigned long long)(ni ? ni : 0),
                           (unsigned long long)(ni ? 0 : ne), (long long)need[L], s->rounds);
    }
    t->max_answer_len = arith_max_answer_len(t, ten - 1);
    return 0;
}

// Today's split (no levels): EVAL [0, E), rounds after it, SFT from the rest (fresh_rounds: from
// the top, never reaching the rounds).
static int plain_init(Task *t, ErrMsg *e) {
    const TaskSpec *s = &t->spec;
    t->space = (uint64_t)t->pow10 * (uint64_t)t->pow10 * (uint64_t)t->n_ops;
    t->max_answer_len = arith_max_answer_len(t, t->pow10 - 1);
    if (s->pad_to > 0 && s->pad_to < s->digits)
        return err_set(e, "task.arith.pad_to: expected at least task.arith.digits %d, got %d",
                       s->digits, s->pad_to);
    int64_t E = s->eval_prompts, need = E + (int64_t)s->rounds * s->prompts_per_round;
    if ((uint64_t)need > t->space)
        return err_set(e,
                       "task.arith.digits %d with task.arith.operators \"%s\" gives %llu distinct "
                       "prompts, fewer than the %lld needed: task.eval_prompts (%d) + rounds.count "
                       "(%d) x task.prompts_per_round (%d); raise task.arith.digits or lower the "
                       "others",
                       s->digits, s->operators, (unsigned long long)t->space, (long long)need,
                       s->eval_prompts, s->rounds, s->prompts_per_round);
    t->split = task_perm_make(t->space, s->seed, TASK_STREAM(PURPOSE_SPLIT, 0));
    if (s->fresh_rounds) {
        TaskLevel *w = &t->whole;
        w->size = t->space;
        uint64_t rounds = (uint64_t)s->rounds * (uint64_t)s->prompts_per_round;
        if (s->n_validation < 0 ||
            layout_fill(w, (uint64_t)E, (uint64_t)s->n_instruction, (uint64_t)s->n_validation,
                        (uint64_t)s->n_evaluation, rounds))
            return err_set(e,
                           "task.arith.fresh_rounds: the %llu prompts hold task.eval_prompts %d, "
                           "sft.n_validation %d and %llu SFT prompts (sft.n_instruction, "
                           "sft.n_evaluation), leaving %llu fresh round prompts: rounds.count "
                           "(%d) x task.prompts_per_round (%d) = %llu do not fit, so rounds.count "
                           "can be at most %llu (also when resuming)",
                           (unsigned long long)t->space, s->eval_prompts, s->n_validation,
                           (unsigned long long)(w->instr + w->judge), (unsigned long long)w->cap,
                           s->rounds, s->prompts_per_round, (unsigned long long)rounds,
                           (unsigned long long)(w->cap / (uint64_t)s->prompts_per_round));
        return 0;
    }
    uint64_t pool = t->space - (uint64_t)E;  // SFT draws from split positions [E, N)
    if (s->n_validation < 0 ||
        (s->n_validation > 0 && (uint64_t)s->n_instruction + (uint64_t)s->n_validation > pool) ||
        (s->n_validation > 0 && s->n_evaluation > 0 && (uint64_t)s->n_validation == pool))
        return err_set(e,
                       "sft.n_validation: %d validation prompts and sft.n_instruction %d "
                       "instruction examples must fit, without overlapping, in the %llu prompts "
                       "outside task.eval_prompts; lower one of them",
                       s->n_validation, s->n_instruction, (unsigned long long)pool);
    if ((s->n_instruction > 0 || s->n_evaluation > 0) && pool == 0)
        return err_set(e,
                       "task.eval_prompts: %d holds out all %llu arithmetic prompts, leaving none "
                       "for the SFT examples (sft.n_instruction %d, sft.n_evaluation %d)",
                       s->eval_prompts, (unsigned long long)t->space, s->n_instruction,
                       s->n_evaluation);
    if (pool > 0) {
        t->sft_instr = task_perm_make(pool, s->seed, TASK_STREAM(PURPOSE_SFT_INSTR, 0));
        // evaluation examples skip the VALID prompts too: with the judge's rationale they show
        // the right answer
        uint64_t eval_pool = pool - (uint64_t)s->n_validation;
        if (eval_pool > 0)
            t->sft_eval = task_perm_make(eval_pool, s->seed, TASK_STREAM(PURPOSE_SFT_EVAL, 0));
    }
    return 0;
}

int task_init_arith(Task *t, const TaskSpec *spec, ErrMsg *e) {
    if (task_init_common(t, TASK_ARITH, spec, e) || arith_check_spec(&t->spec, e)) {
        task_free(t);
        return -1;
    }
    const TaskSpec *s = &t->spec;
    t->n_ops = (int)strlen(s->operators);
    t->pow10 = 1;
    for (int i = 0; i < s->digits; i++) t->pow10 *= 10;
    int rc = s->sft_max > 0 || s->n_schedule > 0 ? levels_init(t, e) : plain_init(t, e);
    if (rc) {
        task_free(t);
        return -1;
    }
    if (s->n_evaluation > 0)
        t->wrong =
            task_perm_make((uint64_t)s->n_evaluation, s->seed, TASK_STREAM(PURPOSE_WRONG, 0));
    t->n_wrong = llround(s->eval_wrong_fraction * s->n_evaluation);
    return 0;
}

// ---- items and SFT examples ----------------------------------------------------------------

enum { SLOT_INSTR, SLOT_VALID, SLOT_EVAL };

// Position of SFT slot idx of a kind in lv: instruction and evaluation examples cycle over the
// instruction region (evaluation-only region when there is none), VALID below it.
static uint64_t sft_pos(const TaskLevel *lv, int kind, uint64_t idx) {
    uint64_t off;
    if (kind == SLOT_VALID)
        off = lv->instr + idx;
    else if (lv->instr > 0)
        off = idx % lv->instr;
    else
        off = lv->instr + lv->valid + idx % lv->judge;
    return lv->size - 1 - off;
}

// Item of SFT slot j of a kind with levels or fresh_rounds: levels take turns (round-robin).
static void sft_slot_item(const Task *t, int kind, int64_t j, TaskItem *out) {
    if (!t->levels) {
        arith_item(t, task_perm_apply(&t->split, sft_pos(&t->whole, kind, (uint64_t)j)), out);
        return;
    }
    int n = t->sft_hi - t->sft_lo + 1, L = t->sft_lo + (int)(j % n);
    level_item(t, L, sft_pos(&t->lv[L], kind, (uint64_t)(j / n)), out);
}

void task_arith_item(const Task *t, TaskSplit s, int round, int index, TaskItem *out) {
    const TaskSpec *sp = &t->spec;
    int64_t E = sp->eval_prompts;
    if (s == TASK_SPLIT_VALID && (t->levels || sp->fresh_rounds)) {
        sft_slot_item(t, SLOT_VALID, index, out);
    } else if (s == TASK_SPLIT_VALID) {  // pool positions no instruction example uses
        uint64_t pos = (uint64_t)E + task_perm_apply(&t->sft_instr,
                                                     (uint64_t)sp->n_instruction + (uint64_t)index);
        arith_item(t, task_perm_apply(&t->split, pos), out);
    } else if (t->levels && s == TASK_SPLIT_EVAL) {
        level_item(t, t->eval_lo + (int)(index / E), (uint64_t)(index % E), out);
    } else if (t->levels) {
        int L;
        int64_t seq;
        task_round_slot(t, round, index, &L, &seq);
        level_item(t, L, t->lv[L].eval + (uint64_t)seq, out);
    } else {
        int64_t pos =
            s == TASK_SPLIT_EVAL ? index : E + (int64_t)(round - 1) * sp->prompts_per_round + index;
        arith_item(t, task_perm_apply(&t->split, (uint64_t)pos), out);
    }
}

// A wrong plain answer for truth, drawn from r (see the file comment).
static void corrupt_plain(const Task *t, int64_t truth, Rng *r, char *out, int size) {
    if (rng_below(r, 2) == 0) {
        int64_t d = 1 + (int64_t)rng_below(r, 10);
        if (rng_below(r, 2)) d = -d;
        int64_t cand[2] = {truth + d, truth - d};
        for (int i = 0; i < 2; i++) {
            if (truth >= 0 && cand[i] < 0) continue;
            if (num_len(cand[i]) > t->max_answer_len) continue;
            snprintf(out, (size_t)size, "%lld", (long long)cand[i]);
            return;
        }
    }
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)truth);
    int neg = truth < 0, nd = (int)strlen(s) - neg;
    int pos = (int)rng_below(r, (uint32_t)nd);
    int cur = s[neg + pos] - '0';
    int lo = (pos == 0 && (nd > 1 || neg)) ? 1 : 0;  // no leading zero, no "-0"
    int digit =
        lo + (int)rng_below(r, (uint32_t)(9 - lo));  // 10 - lo choices minus the current one
    if (digit >= cur) digit++;
    s[neg + pos] = (char)('0' + digit);
    snprintf(out, (size_t)size, "%s", s);
}

void task_arith_corrupt(const Task *t, const char *truth, Rng *r, char *out, int size) {
    if (!t->spec.reversed) {
        corrupt_plain(t, strtoll(truth, NULL, 10), r, out, size);
        return;
    }
    char s[32];
    int w = snprintf(s, sizeof s, "%s", truth);
    if (rng_below(r, 2) == 0) {  // value +- 1..10, same width
        reverse(s, w);
        int64_t v = strtoll(s, NULL, 10), d = 1 + (int64_t)rng_below(r, 10);
        if (rng_below(r, 2)) d = -d;
        int64_t cand[2] = {v + d, v - d};
        for (int i = 0; i < 2; i++) {
            if (cand[i] < 0 || num_len(cand[i]) > w) continue;
            snprintf(s, sizeof s, "%0*lld", w, (long long)cand[i]);
            reverse(s, w);
            snprintf(out, (size_t)size, "%s", s);
            return;
        }
        snprintf(s, sizeof s, "%s", truth);
    }
    int pos = (int)rng_below(r, (uint32_t)w), cur = s[pos] - '0';
    int digit = (int)rng_below(r, 9);
    if (digit >= cur) digit++;
    s[pos] = (char)('0' + digit);
    snprintf(out, (size_t)size, "%s", s);
}

void task_arith_sft_example(const Task *t, int64_t index, TaskSftExample *out) {
    const TaskSpec *s = &t->spec;
    TaskItem it;
    int evaluation = index >= s->n_instruction;
    int64_t j = evaluation ? index - s->n_instruction : index;
    if (t->levels || s->fresh_rounds) {
        sft_slot_item(t, evaluation ? SLOT_EVAL : SLOT_INSTR, j, &it);
    } else {
        uint64_t pool = t->space - (uint64_t)s->eval_prompts;
        // instruction example j: pool index sft_instr(j); VALID k: sft_instr(n_instruction + k);
        // evaluation example j: sft_instr of an index outside the VALID range
        uint64_t x = (uint64_t)j % pool;
        if (evaluation) {
            uint64_t nv = (uint64_t)s->n_validation, ni = (uint64_t)s->n_instruction;
            x = task_perm_apply(&t->sft_eval, (uint64_t)j % (pool - nv));
            if (nv > 0) x = task_perm_apply(&t->sft_instr, x < ni ? x : x + nv);
        } else {
            x = task_perm_apply(&t->sft_instr, x);
        }
        arith_item(t, task_perm_apply(&t->split, (uint64_t)s->eval_prompts + x), &it);
    }
    memcpy(out->prompt, it.prompt, sizeof out->prompt);
    if (!evaluation) {
        out->kind = TASK_SFT_INSTRUCTION;
        out->verdict = -1;
        out->rationale[0] = '\0';
        memcpy(out->response, it.answer, sizeof out->response);
        return;
    }
    out->kind = TASK_SFT_EVALUATION;
    out->verdict = (int64_t)task_perm_apply(&t->wrong, (uint64_t)j) >= t->n_wrong;
    snprintf(out->rationale, sizeof out->rationale, "%s", s->judge_rationale ? it.answer : "");
    if (out->verdict) {
        memcpy(out->response, it.answer, sizeof out->response);
    } else {
        Rng r = rng_stream(s->seed, TASK_STREAM(PURPOSE_CORRUPT, j));
        task_arith_corrupt(t, it.answer, &r, out->response, sizeof out->response);
    }
}
