/* tests/test_task_levels.c — train/task's reversed sums, the format check (length implied by the
   prompt), difficulty levels (SFT range, round schedule, level holds, replay, per-level EVAL, big
   levels, disjoint splits), fresh_rounds, and levels of list tasks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "task_fixture.h"
#include "train/task.h"
#include "util/alloc.h"

// Index of prompt in the EVAL split of t (-1 when absent).
static int find_eval(const Task *t, const char *prompt, TaskItem *out) {
    for (int i = 0; i < task_split_size(t, TASK_SPLIT_EVAL); i++) {
        task_item(t, TASK_SPLIT_EVAL, 0, i, out);
        if (strcmp(out->prompt, prompt) == 0) return i;
    }
    return -1;
}

static void test_reversed(void) {
    TaskSpec s = arith_spec(2, "+", 3, 10000, 1, 0);
    s.n_instruction = s.n_evaluation = 0;
    s.reversed = 1;
    Task t;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    const char *cases[][2] = {{"74+83=", "580"}, {"5+7=", "21"}, {"99+1=", "001"}, {"0+0=", "00"}};
    for (int c = 0; c < 4; c++) {
        TaskItem it;
        CHECK_MSG(find_eval(&t, cases[c][0], &it) >= 0, "no prompt %s", cases[c][0]);
        CHECK_STR(it.answer, cases[c][1]);
    }
    TaskItem it;
    find_eval(&t, "99+1=", &it);
    CHECK_EQ_I64(task_verify(&t, &it, "001"), 1);
    CHECK_EQ_I64(task_verify(&t, &it, "1"), 0);
    CHECK_EQ_I64(task_verify(&t, &it, "0010"), 0);
    char ans[16];
    CHECK_TRUE(task_extract(&t, "010", ans, sizeof ans) == 0 && strcmp(ans, "010") == 0);
    CHECK_TRUE(task_extract(&t, "01a", ans, sizeof ans) < 0);
    CHECK_TRUE(task_extract(&t, "", ans, sizeof ans) < 0);
    // the length comes from the prompt: 2-digit operands -> 3 digits
    CHECK_EQ_I64(task_format_ok(&t, &it, "000"), 1);
    CHECK_EQ_I64(task_format_ok(&t, &it, "01"), 0);
    CHECK_EQ_I64(task_format_ok(&t, &it, "0100"), 0);
    CHECK_EQ_I64(task_format_ok(&t, &it, "0-1"), 0);
    // every item: the reversed answer is the padded reversed sum
    int ok = 1;
    for (int i = 0; i < 10000; i += 7) {
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        char a[8], b[8], w[8];
        if (sscanf(it.prompt, "%7[0-9]+%7[0-9]=", a, b) != 2) ok = 0;
        int la = (int)strlen(a), lb = (int)strlen(b), W = (la > lb ? la : lb) + 1;
        for (int k = 0; k < la / 2; k++) {
            char x = a[k];
            a[k] = a[la - 1 - k];
            a[la - 1 - k] = x;
        }
        for (int k = 0; k < lb / 2; k++) {
            char x = b[k];
            b[k] = b[lb - 1 - k];
            b[lb - 1 - k] = x;
        }
        snprintf(w, sizeof w, "%0*ld", W, atol(a) + atol(b));
        for (int k = 0; k < W / 2; k++) {
            char x = w[k];
            w[k] = w[W - 1 - k];
            w[W - 1 - k] = x;
        }
        ok &= strcmp(w, it.answer) == 0 && task_format_ok(&t, &it, it.answer);
    }
    CHECK_TRUE(ok);
    task_free(&t);
    // SFT corruptions keep the format and differ from the truth
    s = arith_spec(2, "+", 3, 100, 100, 2);
    s.reversed = 1;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    int wrong = 0;
    for (int64_t j = 0; j < task_split_size(&t, TASK_SPLIT_SFT); j++) {
        TaskSftExample ex;
        task_sft_example(&t, j, &ex);
        TaskItem p = {0, "", "", 1, 0};
        snprintf(p.prompt, sizeof p.prompt, "%s", ex.prompt);
        CHECK_TRUE(task_format_ok(&t, &p, ex.response));
        if (ex.kind == TASK_SFT_EVALUATION && !ex.verdict) wrong++;
    }
    CHECK_TRUE(wrong > 20);
    task_free(&t);
    s.operators[0] = '-';
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "task.arith.reversed");
}

static void test_format_ok(void) {
    TaskSpec s = arith_spec(2, "+-", 3, 10, 1, 0);
    Task t;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    TaskItem it = {0, "47+38=", "85", 1, 0};
    CHECK_EQ_I64(task_format_ok(&t, &it, "85"), 1);
    CHECK_EQ_I64(task_format_ok(&t, &it, "185"), 1);  // wrong but well formed: 2 or 3 digits
    CHECK_EQ_I64(task_format_ok(&t, &it, "8"), 0);
    CHECK_EQ_I64(task_format_ok(&t, &it, "085"), 0);
    CHECK_EQ_I64(task_format_ok(&t, &it, "1850"), 0);
    CHECK_EQ_I64(task_format_ok(&t, &it, "8x"), 0);
    TaskItem small = {0, "5+7=", "12", 1, 0};
    CHECK_EQ_I64(task_format_ok(&t, &small, "2"), 1);
    CHECK_EQ_I64(task_format_ok(&t, &small, "0"), 1);
    CHECK_EQ_I64(task_format_ok(&t, &small, "123"), 0);
    TaskItem neg = {0, "1-5=", "-4", 1, 0};
    CHECK_EQ_I64(task_format_ok(&t, &neg, "-4"), 1);
    CHECK_EQ_I64(task_format_ok(&t, &neg, "-0"), 0);
    task_free(&t);
    TaskSpec ls = arith_spec(1, "+", 3, 0, 1, 0);
    CHECK_TRUE(task_init_list(&t, &ls, &err) == 0);
    TaskItem q = {0, "Capital?", "Paris", 1, 0};
    CHECK_EQ_I64(task_format_ok(&t, &q, " Rome "), 1);
    CHECK_EQ_I64(task_format_ok(&t, &q, "   "), 0);
    task_free(&t);
}

// Every prompt seen so far, to check splits never share one.
typedef struct {
    char (*p)[32];
    int n;
} Seen;

static int seen_has(const Seen *s, const char *p) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->p[i], p) == 0) return 1;
    return 0;
}

static void seen_add(Seen *s, const char *p) { snprintf(s->p[s->n++], 32, "%.31s", p); }

// Operand digits of a level item; both operands must have the same count.
static int item_digits(const TaskItem *it) {
    char a[24], b[24];
    if (sscanf(it->prompt, "%23[0-9]+%23[0-9]=", a, b) != 2) return -1;
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la != lb || (la > 1 && (a[0] == '0' || b[0] == '0'))) return -1;
    long long sum = atoll(a) + atoll(b);
    char want[32];
    snprintf(want, sizeof want, "%lld", sum);
    return strcmp(want, it->answer) == 0 ? la : -2;
}

static TaskSpec level_spec(int R) {
    TaskSpec s = arith_spec(1, "+", 11, 30, 40, R);
    s.n_instruction = 50;
    s.n_evaluation = 50;
    s.n_validation = 20;
    s.sft_min = 1;
    s.sft_max = 2;
    s.schedule[0] = 2, s.schedule[1] = 3, s.n_schedule = 2;
    s.replay = 0.25;
    s.eval_max = 3;
    return s;
}

static void test_levels(void) {
    TaskSpec s = level_spec(4);
    Task t;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_EVAL), 90);  // 30 per level, levels 1..3
    Seen seen = {xcalloc("test", 2000, 32), 0}, sft = {xcalloc("test", 2000, 32), 0};
    int ok = 1;
    for (int i = 0; i < 90; i++) {  // level-major
        TaskItem it;
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        ok &= it.level == 1 + i / 30 && item_digits(&it) == it.level && !seen_has(&seen, it.prompt);
        seen_add(&seen, it.prompt);
    }
    CHECK_MSG(ok, "EVAL items: wrong level or repeated");
    for (int i = 0; i < 20; i++) {  // VALID: SFT levels in turn, never EVAL
        TaskItem it;
        task_item(&t, TASK_SPLIT_VALID, 0, i, &it);
        ok &= it.level == 1 + i % 2 && item_digits(&it) == it.level && !seen_has(&seen, it.prompt);
        seen_add(&seen, it.prompt);
    }
    CHECK_MSG(ok, "VALID items: wrong level or shared with EVAL");
    for (int64_t j = 0; j < task_split_size(&t, TASK_SPLIT_SFT); j++) {
        TaskSftExample ex;
        task_sft_example(&t, j, &ex);
        ok &= !seen_has(&seen, ex.prompt);  // never EVAL or VALID
        if (!seen_has(&sft, ex.prompt)) seen_add(&sft, ex.prompt);
    }
    CHECK_MSG(ok, "an SFT prompt is held out or a validation prompt");
    CHECK_EQ_I64(sft.n, 50);  // evaluation examples reuse the instruction prompts
    for (int i = 0; i < sft.n; i++) seen_add(&seen, sft.p[i]);
    // rounds: 1 at level 2 with 10 replay prompts of level 1; then level 3 with 5 + 5
    int want[5][4] = {{0}, {0, 10, 30, 0}, {0, 5, 5, 30}, {0, 5, 5, 30}, {0, 5, 5, 30}};
    for (int r = 1; r <= 4; r++) {
        int count[4] = {0};
        for (int i = 0; i < 40; i++) {
            TaskItem it;
            task_item(&t, TASK_SPLIT_ROUND, r, i, &it);
            ok &= item_digits(&it) == it.level && !seen_has(&seen, it.prompt);
            seen_add(&seen, it.prompt);
            count[it.level]++;
        }
        for (int l = 1; l <= 3; l++)
            CHECK_MSG(count[l] == want[r][l], "round %d level %d: %d prompts, expected %d", r, l,
                      count[l], want[r][l]);
        CHECK_EQ_I64(task_round_level(&t, r), r == 1 ? 2 : 3);
    }
    CHECK_MSG(ok, "a round prompt repeats or is held out / SFT");
    // SFT, VALID and EVAL do not depend on rounds.count (it may grow on resume)
    Task t2;
    TaskSpec s2 = level_spec(1);
    CHECK_MSG(task_init_arith(&t2, &s2, &err) == 0, "%s", err.msg);
    for (int64_t j = 0; j < task_split_size(&t, TASK_SPLIT_SFT); j++) {
        TaskSftExample a, b;
        task_sft_example(&t, j, &a);
        task_sft_example(&t2, j, &b);
        ok &= strcmp(a.prompt, b.prompt) == 0 && strcmp(a.response, b.response) == 0;
    }
    for (int i = 0; i < 90; i++) {
        TaskItem a, b;
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &a);
        task_item(&t2, TASK_SPLIT_EVAL, 0, i, &b);
        ok &= strcmp(a.prompt, b.prompt) == 0;
    }
    CHECK_MSG(ok, "SFT or EVAL changed with rounds.count");
    task_free(&t2);
    task_free(&t);
    // level 1 (100 prompts) used up exactly by 6 rounds: EVAL 30 + VALID 10 + SFT 25 + replay
    // 10 + 5 x 5 = 100
    s = level_spec(6);
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    task_free(&t);
    s = level_spec(7);
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "level 1 ");
    CHECK_CONTAINS(err.msg, "task.levels.replay");
    // a schedule that shrinks, a bad replay, '*' above 9 digits
    s = level_spec(1);
    s.schedule[1] = 1;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "non-decreasing");
    s = level_spec(1);
    s.replay = 1;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "task.levels.replay");
    s = level_spec(1);
    strcpy(s.operators, "+*");
    s.schedule[1] = 10;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "overflow");
    xfree(seen.p);
    xfree(sft.p);
}

// Level holds (the schedule guard): every plan of holds over 5 rounds gives each round the level
// its plan says, never repeats a prompt, and a round's prompts depend only on the holds of the
// rounds up to it (the scheduler sets round r + 1's bit after round r ran). Without holds the
// task is the one without level_holds; capacity is checked for the worst plan.
static void test_level_holds(void) {
    TaskSpec s = level_spec(5);
    s.sft_min = s.sft_max = 2;
    s.schedule[0] = 3, s.schedule[1] = 4, s.schedule[2] = 5, s.n_schedule = 3;
    s.eval_max = 5;
    TaskSpec plain = s;
    s.level_holds = 1;
    Task t, base;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    CHECK_MSG(task_init_arith(&base, &plain, &err) == 0, "%s", err.msg);
    int ok = 1;
    for (int r = 1; r <= 5; r++)
        for (int i = 0; i < 40; i++) {
            TaskItem a, b;
            task_item(&t, TASK_SPLIT_ROUND, r, i, &a);
            task_item(&base, TASK_SPLIT_ROUND, r, i, &b);
            ok &= strcmp(a.prompt, b.prompt) == 0 && a.level == b.level;
        }
    CHECK_MSG(ok, "no holds: round prompts differ from the task without level_holds");
    Seen eval = {xcalloc("test", 200, 32), 0}, seen = {xcalloc("test", 400, 32), 0};
    for (int i = 0; i < task_split_size(&t, TASK_SPLIT_EVAL); i++) {
        TaskItem it;
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        seen_add(&eval, it.prompt);
    }
    for (uint64_t plan = 0; plan < 16; plan++) {  // bits 0..3 = holds of rounds 2..5
        uint64_t holds = plan << 2;
        int pos = 0;
        seen.n = 0;
        for (int r = 1; r <= 5; r++) {
            pos += r == 1 || !(holds >> r & 1);
            int main = s.schedule[(pos < 3 ? pos : 3) - 1], n_main = 0;
            task_set_level_holds(&t, holds);
            CHECK_EQ_I64(task_round_level(&t, r), main);
            TaskItem full[40];
            for (int i = 0; i < 40; i++) {
                TaskItem *it = &full[i];
                task_item(&t, TASK_SPLIT_ROUND, r, i, it);
                n_main += it->level == main;
                ok &= item_digits(it) == it->level && it->level <= main;
                ok &= !seen_has(&seen, it->prompt) && !seen_has(&eval, it->prompt);
                seen_add(&seen, it->prompt);
            }
            CHECK_MSG(n_main == 30, "plan %llu round %d: %d prompts at level %d, expected 30",
                      (unsigned long long)plan, r, n_main, main);
            task_set_level_holds(&t, holds & ((2ull << r) - 1));  // only the holds so far
            for (int i = 0; i < 40; i++) {
                TaskItem it;
                task_item(&t, TASK_SPLIT_ROUND, r, i, &it);
                ok &= strcmp(it.prompt, full[i].prompt) == 0;
            }
        }
        CHECK_MSG(ok,
                  "plan %llu: a prompt repeats, is held out, has the wrong level, or depends "
                  "on a later round's hold",
                  (unsigned long long)plan);
    }
    task_free(&t);
    task_free(&base);
    // level 1 has 100 prompts: 6 rounds fit without holds (test_levels); with holds every round
    // may stay at level 2 and replay 10 prompts of level 1, 60 > 35 left
    s = level_spec(6);
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    task_free(&t);
    s.level_holds = 1;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "level 1 ");
    xfree(eval.p);
    xfree(seen.p);
}

static void test_big_levels(void) {
    TaskSpec s = arith_spec(1, "+", 4, 20, 20, 3);
    s.n_instruction = s.n_evaluation = 10;
    s.sft_max = 1;
    s.schedule[0] = 17, s.schedule[1] = 18, s.n_schedule = 2;
    s.eval_max = 18;
    s.reversed = 1;
    Task t;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_EVAL), 18 * 20);
    Seen seen = {xcalloc("test", 500, 32), 0};
    int ok = 1;
    for (int i = 0; i < 360; i++) {
        TaskItem it;
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        ok &= it.level == 1 + i / 20 && (int)strlen(it.answer) == it.level + 1;
        ok &= !seen_has(&seen, it.prompt) && task_format_ok(&t, &it, it.answer);
        seen_add(&seen, it.prompt);
    }
    for (int r = 1; r <= 3; r++)
        for (int i = 0; i < 20; i++) {
            TaskItem it;
            task_item(&t, TASK_SPLIT_ROUND, r, i, &it);
            ok &= it.level == (r == 1 ? 17 : 18) && !seen_has(&seen, it.prompt);
            seen_add(&seen, it.prompt);
            // reversed 18-digit sum: un-reverse and add in int64
            char a[24], b[24], w[24];
            sscanf(it.prompt, "%23[0-9]+%23[0-9]=", a, b);
            int n = (int)strlen(a);
            ok &= n == it.level && (int)strlen(b) == n && a[n - 1] != '0' && b[n - 1] != '0';
            for (int k = 0; k < n / 2; k++) {
                char x = a[k];
                a[k] = a[n - 1 - k];
                a[n - 1 - k] = x;
                x = b[k];
                b[k] = b[n - 1 - k];
                b[n - 1 - k] = x;
            }
            snprintf(w, sizeof w, "%0*lld", n + 1, atoll(a) + atoll(b));
            for (int k = 0; k < (n + 1) / 2; k++) {
                char x = w[k];
                w[k] = w[n - k];
                w[n - k] = x;
            }
            ok &= strcmp(w, it.answer) == 0;
        }
    CHECK_MSG(ok, "big levels: wrong level, length, sum or a repeated prompt");
    xfree(seen.p);
    task_free(&t);
}

static void test_fresh_rounds(void) {
    TaskSpec s = arith_spec(2, "+", 6, 100, 200, 5);
    s.n_instruction = 3000, s.n_evaluation = 500, s.n_validation = 1000;
    s.fresh_rounds = 1;
    Task t;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    unsigned char *mark = xcalloc("test", 10000, 1);  // 1 EVAL, 2 round, 4 SFT, 8 VALID
    TaskItem it;
    for (int i = 0; i < 100; i++) task_item(&t, TASK_SPLIT_EVAL, 0, i, &it), mark[it.id] |= 1;
    for (int r = 1; r <= 5; r++)
        for (int i = 0; i < 200; i++) task_item(&t, TASK_SPLIT_ROUND, r, i, &it), mark[it.id] |= 2;
    for (int i = 0; i < 1000; i++) task_item(&t, TASK_SPLIT_VALID, 0, i, &it), mark[it.id] |= 8;
    int bad = 0;
    for (int64_t j = 0; j < task_split_size(&t, TASK_SPLIT_SFT); j++) {
        TaskSftExample ex;
        task_sft_example(&t, j, &ex);
        int a, b;
        sscanf(ex.prompt, "%d+%d=", &a, &b);
        mark[a + 100 * b] |= 4;
    }
    for (int k = 0; k < 10000; k++)
        bad += mark[k] != 0 && mark[k] != 1 && mark[k] != 2 && mark[k] != 4 && mark[k] != 8;
    CHECK_EQ_I64(bad, 0);
    // EVAL and rounds are today's, with or without fresh_rounds
    Task plain;
    s.fresh_rounds = 0;
    CHECK_MSG(task_init_arith(&plain, &s, &err) == 0, "%s", err.msg);
    TaskItem a, b;
    task_item(&t, TASK_SPLIT_ROUND, 3, 17, &a);
    task_item(&plain, TASK_SPLIT_ROUND, 3, 17, &b);
    CHECK_STR(a.prompt, b.prompt);
    task_free(&plain);
    task_free(&t);
    xfree(mark);
    // 10000 - 100 - 1000 - 3000 = 5900 round prompts: at most 29 rounds of 200
    s.fresh_rounds = 1;
    s.rounds = 29;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    task_free(&t);
    s.rounds = 30;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "task.arith.fresh_rounds");
    CHECK_CONTAINS(err.msg, "at most 29");
}

static void test_list_levels(void) {
    TaskSpec s = arith_spec(1, "+", 8, 4, 8, 3);
    s.schedule[0] = 1, s.schedule[1] = 2, s.n_schedule = 2;
    s.replay = 0.25;
    for (int variant = 0; variant < 2; variant++) {
        Task t;
        CHECK_TRUE(task_init_list(&t, &s, &err) == 0);
        char p[16];
        for (int i = 0; i < 40; i++)
            task_list_add_prompt_level(&t, 0, (snprintf(p, sizeof p, "q%d", i), p), NULL, 0,
                                       variant ? 1 + (i % 4 != 0) : 1 + (i & 1));
        int rc = task_list_finish(&t, "p.jsonl", "", &err);
        if (variant) {  // level 1 gives 8 + 2 + 2 round lines, it has at most 10
            CHECK_TRUE(rc < 0);
            CHECK_CONTAINS(err.msg, "of level 1");
            task_free(&t);
            continue;
        }
        CHECK_MSG(rc == 0, "%s", err.msg);
        Seen seen = {xcalloc("test", 100, 32), 0};
        TaskItem it;
        for (int i = 0; i < 4; i++)
            task_item(&t, TASK_SPLIT_EVAL, 0, i, &it), seen_add(&seen, it.prompt);
        int ok = 1, want[4][3] = {{0}, {0, 8, 0}, {0, 2, 6}, {0, 2, 6}};
        for (int r = 1; r <= 3; r++) {
            int count[3] = {0};
            for (int i = 0; i < 8; i++) {
                task_item(&t, TASK_SPLIT_ROUND, r, i, &it);
                int line = atoi(it.prompt + 1);
                ok &= it.level == 1 + (line & 1) && !seen_has(&seen, it.prompt);
                seen_add(&seen, it.prompt);
                count[it.level]++;
            }
            ok &= count[1] == want[r][1] && count[2] == want[r][2];
        }
        CHECK_MSG(ok, "list rounds: wrong levels, proportions or a repeated line");
        xfree(seen.p);
        task_free(&t);
    }
    int lv[8];
    char why[128];
    CHECK_EQ_I64(task_parse_schedule("1, 2,2 ,5", 18, lv, why, sizeof why), 4);
    CHECK_TRUE(lv[0] == 1 && lv[1] == 2 && lv[2] == 2 && lv[3] == 5);
    CHECK_EQ_I64(task_parse_schedule("", 18, lv, why, sizeof why), 0);
    CHECK_TRUE(task_parse_schedule("3,2", 18, lv, why, sizeof why) < 0);
    CHECK_CONTAINS(why, "non-decreasing");
    CHECK_TRUE(task_parse_schedule("1,,2", 18, lv, why, sizeof why) < 0);
    CHECK_TRUE(task_parse_schedule("0", 18, lv, why, sizeof why) < 0);
    CHECK_TRUE(task_parse_schedule("19", 18, lv, why, sizeof why) < 0);
}

// Operand lengths of a plain sum "a+b=" whose answer is right and operands have no leading zero;
// returns la * 10 + lb, or -1.
static int mixed_lengths(const TaskItem *it) {
    char a[24], b[24], want[32];
    if (sscanf(it->prompt, "%23[0-9]+%23[0-9]=", a, b) != 2) return -1;
    int la = (int)strlen(a), lb = (int)strlen(b);
    if ((la > 1 && a[0] == '0') || (lb > 1 && b[0] == '0')) return -1;
    snprintf(want, sizeof want, "%lld", atoll(a) + atoll(b));
    return strcmp(want, it->answer) == 0 ? la * 10 + lb : -1;
}

static void test_padded(void) {
    TaskSpec s = arith_spec(2, "+", 3, 10000, 1, 0);
    s.n_instruction = s.n_evaluation = 0;
    s.reversed = 1;
    s.pad_to = 4;
    Task t;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    const char *cases[][2] = {
        {"7400+8300=", "58000"}, {"5000+7000=", "21000"}, {"9900+1000=", "00100"}};
    TaskItem it;
    for (int c = 0; c < 3; c++) {
        CHECK_MSG(find_eval(&t, cases[c][0], &it) >= 0, "no prompt %s", cases[c][0]);
        CHECK_STR(it.answer, cases[c][1]);
    }
    CHECK_EQ_I64(task_format_ok(&t, &it, "00100"), 1);
    CHECK_EQ_I64(task_format_ok(&t, &it, "001"), 0);  // the unpadded length is not enough
    task_free(&t);
    s.pad_to = 1;  // shorter than the operands
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "task.arith.pad_to");
    s.pad_to = 4;
    s.reversed = 0;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "task.arith.reversed");
    // levels: a level counts significant digits, every prompt is equally long
    s = arith_spec(1, "+", 4, 20, 20, 1);
    s.n_instruction = 20;
    s.n_evaluation = 0;
    s.reversed = 1;
    s.pad_to = 6;
    s.sft_max = 3;
    s.schedule[0] = 4, s.n_schedule = 1;
    s.mixed_operands = 1;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    int ok = 1;
    for (int i = 0; i < 20; i++) {
        task_item(&t, TASK_SPLIT_ROUND, 1, i, &it);
        const char *b = it.prompt + 7;  // one operand has a 4th digit, none a 5th
        ok &= strlen(it.prompt) == 14 && strlen(it.answer) == 7 && it.prompt[6] == '+';
        ok &= (it.prompt[3] != '0' || b[3] != '0');
        ok &= it.prompt[4] == '0' && it.prompt[5] == '0' && b[4] == '0' && b[5] == '0';
        ok &= task_format_ok(&t, &it, it.answer);
    }
    CHECK_MSG(ok, "padded level-4 round prompts: wrong length or level");
    task_free(&t);
    s.schedule[0] = 7;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "highest level 7");
}

static void test_mixed_levels(void) {
    // level 2 held out whole: every pair with a longest operand of 2 digits, once
    TaskSpec s = arith_spec(1, "+", 5, 9900, 10, 0);
    s.n_instruction = s.n_evaluation = 0;
    s.sft_min = s.sft_max = 2;
    s.mixed_operands = 1;
    Task t;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_EVAL), 9900);
    unsigned char *hit = xcalloc("test", 10000, 1);
    int count[100] = {0}, first[100] = {0}, ok = 1;
    for (int i = 0; i < 9900; i++) {
        TaskItem it;
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        int ab = mixed_lengths(&it);
        ok &= it.level == 2 && (ab == 21 || ab == 12 || ab == 22);
        if (ab < 0) continue;
        int a = atoi(it.prompt), b = atoi(strchr(it.prompt, '+') + 1);
        ok &= !hit[a * 100 + b];
        hit[a * 100 + b] = 1;
        count[ab]++;
        if (i < 300) first[ab]++;
    }
    CHECK_MSG(ok, "mixed level 2: a pair repeats or has the wrong lengths");
    CHECK_TRUE(count[21] == 900 && count[12] == 900 && count[22] == 8100);
    CHECK_MSG(first[21] == 100 && first[12] == 100 && first[22] == 100,
              "the first 300 positions are not balanced: %d %d %d", first[21], first[12],
              first[22]);
    task_free(&t);
    xfree(hit);
    // SFT (from the top of a level) and rounds (from the bottom): every pair of lengths equally
    // often; reversed answers are as long as the longer operand + 1
    s = arith_spec(1, "+", 6, 30, 70, 1);
    s.n_instruction = 60;
    s.n_evaluation = 0;
    s.sft_min = s.sft_max = 3;
    s.schedule[0] = 4, s.n_schedule = 1;
    s.mixed_operands = 1;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    int sft[100] = {0}, round[100] = {0};
    for (int64_t j = 0; j < 60; j++) {
        TaskSftExample ex;
        task_sft_example(&t, j, &ex);
        TaskItem it = {.has_answer = 1};
        snprintf(it.prompt, sizeof it.prompt, "%s", ex.prompt);
        snprintf(it.answer, sizeof it.answer, "%s", ex.response);
        int ab = mixed_lengths(&it);
        if (ab > 0) sft[ab]++;
    }
    for (int i = 0; i < 70; i++) {
        TaskItem it;
        task_item(&t, TASK_SPLIT_ROUND, 1, i, &it);
        int ab = mixed_lengths(&it);
        ok &= it.level == 4 && task_format_ok(&t, &it, it.answer);
        if (ab > 0) round[ab]++;
    }
    for (int k = 0; k < 5; k++) {  // (3,1) (3,2) (3,3) (1,3) (2,3)
        int ab = k < 3 ? 30 + k + 1 : (k - 2) * 10 + 3;
        CHECK_MSG(sft[ab] == 12, "SFT lengths %d: %d examples, expected 12", ab, sft[ab]);
    }
    for (int k = 0; k < 7; k++) {
        int ab = k < 4 ? 40 + k + 1 : (k - 3) * 10 + 4;
        CHECK_MSG(round[ab] == 10, "round lengths %d: %d prompts, expected 10", ab, round[ab]);
    }
    CHECK_MSG(ok, "mixed round prompts: wrong level or format");
    task_free(&t);
    s.reversed = 1;
    CHECK_MSG(task_init_arith(&t, &s, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 70; i++) {
        TaskItem it;
        task_item(&t, TASK_SPLIT_ROUND, 1, i, &it);
        ok &= (int)strlen(it.answer) == 5 && task_format_ok(&t, &it, it.answer) &&
              !task_format_ok(&t, &it, "0000");
    }
    CHECK_MSG(ok, "mixed reversed answers: not 5 digits or the format check disagrees");
    task_free(&t);
    // refused: no levels, a level above 9
    s = arith_spec(2, "+", 1, 10, 10, 1);
    s.mixed_operands = 1;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "task.levels.operands");
    s.sft_max = 2;
    s.schedule[0] = 10, s.n_schedule = 1;
    CHECK_TRUE(task_init_arith(&t, &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "up to 9 digits");
}

int main(void) {
    test_reversed();
    test_format_ok();
    test_levels();
    test_level_holds();
    test_big_levels();
    test_padded();
    test_mixed_levels();
    test_fresh_rounds();
    test_list_levels();
    CHECK_EQ_I64(alloc_live_bytes("task_text") + alloc_live_bytes("task_records") +
                     alloc_live_bytes("task_order"),
                 0);
    return check_report();
}
