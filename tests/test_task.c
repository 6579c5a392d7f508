/* tests/test_task.c — train/task: the seeded permutation, arithmetic items and their splits
   (determinism, disjointness exhaustively for 1 digit and by sampling for 3), the too-small-space
   error, the SFT validation split (disjoint from EVAL and from every instruction example; the
   too-many error), answer extraction and verification, judge prompts, SFT examples (correct
   answers correct, corrupted ones wrong, the configured wrong fraction), token sequences, and list
   tasks. Reversed sums, the format check and levels are in test_task_levels.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "task_fixture.h"
#include "train/task.h"
#include "util/alloc.h"

// Parses "a<op>b=" and recomputes the answer; 1 when the item is well formed and right.
static int arith_item_ok(const TaskItem *it, int digits, const char *ops) {
    long long a, b, lim = 1;
    char op, eq, rest;
    for (int i = 0; i < digits; i++) lim *= 10;
    if (sscanf(it->prompt, "%lld%c%lld%c%c", &a, &op, &b, &eq, &rest) != 4 || eq != '=') return 0;
    if (a < 0 || a >= lim || b < 0 || b >= lim || !strchr(ops, op) || !it->has_answer) return 0;
    long long v = op == '+' ? a + b : op == '-' ? a - b : a * b;
    char want[32];
    snprintf(want, sizeof want, "%lld", v);
    return strcmp(want, it->answer) == 0;
}

static void test_perm(void) {
    const uint64_t sizes[] = {1, 2, 3, 5, 7, 77, 1001, 4097, 12345};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        uint64_t n = sizes[s];
        TaskPerm p = task_perm_make(n, 42, 9);
        unsigned char *hit = xcalloc("test", n, 1);
        int ok = 1;
        for (uint64_t x = 0; x < n; x++) {
            uint64_t y = task_perm_apply(&p, x);
            if (y >= n || hit[y])
                ok = 0;
            else
                hit[y] = 1;
        }
        CHECK_MSG(ok, "permutation of [0, %llu) is not a bijection", (unsigned long long)n);
        xfree(hit);
    }
    TaskPerm a = task_perm_make(1001, 1, 5), b = task_perm_make(1001, 1, 5),
             c = task_perm_make(1001, 2, 5), d = task_perm_make(1001, 1, 6);
    int same = 1, diff_seed = 0, diff_stream = 0, moved = 0;
    for (uint64_t x = 0; x < 1001; x++) {
        uint64_t y = task_perm_apply(&a, x);
        same &= y == task_perm_apply(&b, x);
        diff_seed += y != task_perm_apply(&c, x);
        diff_stream += y != task_perm_apply(&d, x);
        moved += y != x;
    }
    CHECK_TRUE(same);
    CHECK_MSG(diff_seed > 900 && diff_stream > 900 && moved > 900,
              "permutations barely differ: %d %d %d", diff_seed, diff_stream, moved);
    // the largest arith space (9 digits, 3 operators) is in range and stays bijective on a sample
    TaskPerm big = task_perm_make(3000000000000000000ull, 7, 1);
    CHECK_TRUE(task_perm_apply(&big, 0) < 3000000000000000000ull);
    CHECK_TRUE(task_perm_apply(&big, 1) != task_perm_apply(&big, 2));
}

static void test_arith_items_and_determinism(void) {
    Task t1, t2, t3;
    TaskSpec s = arith_spec(3, "+-*", 1234, 20, 10, 3);
    CHECK_TRUE(task_init_arith(&t1, &s, &err) == 0);
    CHECK_TRUE(task_init_arith(&t2, &s, &err) == 0);
    s.seed = 1235;
    CHECK_TRUE(task_init_arith(&t3, &s, &err) == 0);
    CHECK_EQ_I64(task_split_size(&t1, TASK_SPLIT_EVAL), 20);
    CHECK_EQ_I64(task_split_size(&t1, TASK_SPLIT_ROUND), 10);
    CHECK_EQ_I64(task_split_size(&t1, TASK_SPLIT_SFT), 200);
    int ok = 1, same = 1, differ = 0, neg = 0, ops_seen[3] = {0};
    TaskItem a, b, c;
    for (int r = 0; r <= 3; r++) {
        TaskSplit sp = r ? TASK_SPLIT_ROUND : TASK_SPLIT_EVAL;
        int n = (int)task_split_size(&t1, sp);
        for (int i = 0; i < n; i++) {
            task_item(&t1, sp, r, i, &a);
            task_item(&t2, sp, r, i, &b);
            task_item(&t3, sp, r, i, &c);
            ok &= arith_item_ok(&a, 3, "+-*") && arith_item_ok(&c, 3, "+-*");
            same &= strcmp(a.prompt, b.prompt) == 0 && a.id == b.id;
            differ += strcmp(a.prompt, c.prompt) != 0;
            neg += a.answer[0] == '-';
            ops_seen[strchr("+-*", a.prompt[strcspn(a.prompt, "+-*")]) - "+-*"]++;
        }
    }
    CHECK_TRUE(ok);
    CHECK_TRUE(same);
    CHECK_MSG(differ >= 45, "seed change altered only %d of 50 prompts", differ);
    CHECK_MSG(ops_seen[0] && ops_seen[1] && ops_seen[2], "operators not all used");
    CHECK_TRUE(neg > 0);
    task_item(&t1, TASK_SPLIT_EVAL, 0, 0, &a);
    printf("first eval prompt: %s%s\n", a.prompt, a.answer);
    task_free(&t1);
    task_free(&t2);
    task_free(&t3);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

// Every EVAL and ROUND prompt is distinct; no SFT example uses an EVAL prompt. With exhaustive,
// E + R*P = N and every prompt index must appear once.
static void check_splits(int digits, const char *ops, int E, int P, int R, int n_sft,
                         int exhaustive) {
    Task t;
    TaskSpec s = arith_spec(digits, ops, 99, E, P, R);
    s.n_instruction = n_sft;
    s.n_evaluation = n_sft;
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    int n = E + R * P;
    int64_t *ids = xmalloc("test", (size_t)n * sizeof *ids);
    char(*evals)[32] = xmalloc("test", (size_t)(E ? E : 1) * 32);
    TaskItem it;
    int k = 0, ok = 1;
    for (int i = 0; i < E; i++) {
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        ids[k++] = it.id;
        snprintf(evals[i], 32, "%.31s", it.prompt);
        ok &= arith_item_ok(&it, digits, ops);
    }
    for (int r = 1; r <= R; r++)
        for (int i = 0; i < P; i++) {
            task_item(&t, TASK_SPLIT_ROUND, r, i, &it);
            ids[k++] = it.id;
            ok &= arith_item_ok(&it, digits, ops);
        }
    CHECK_TRUE(ok);
    qsort(ids, (size_t)n, sizeof *ids, cmp_i64);
    int dup = 0;
    for (int i = 1; i < n; i++) dup += ids[i] == ids[i - 1];
    CHECK_MSG(dup == 0, "%d-digit \"%s\": %d repeated prompts across EVAL and rounds", digits, ops,
              dup);
    if (exhaustive) CHECK_TRUE(ids[0] == 0 && ids[n - 1] == n - 1);
    qsort(evals, (size_t)E, 32, cmp_str);
    int leaks = 0;
    TaskSftExample ex;
    for (int64_t i = 0; i < task_split_size(&t, TASK_SPLIT_SFT); i++) {
        task_sft_example(&t, i, &ex);
        leaks += E && bsearch(ex.prompt, evals, (size_t)E, 32, cmp_str) != NULL;
    }
    CHECK_MSG(leaks == 0, "%d SFT examples use EVAL prompts", leaks);
    xfree(ids);
    xfree(evals);
    task_free(&t);
}

static void test_disjoint(void) {
    check_splits(1, "+-*", 50, 50, 5, 400, 1);  // N = 300, all used; SFT pool = 250, cycled
    check_splits(1, "+", 10, 30, 3, 200, 1);    // N = 100
    check_splits(2, "+-", 500, 1000, 10, 3000, 0);
    check_splits(3, "+-*", 2000, 4000, 5, 5000, 0);
}

static void test_too_small(void) {
    Task t;
    TaskSpec s = arith_spec(1, "+", 1, 50, 20, 3);  // 50 + 60 > 100
    err.msg[0] = 0;
    CHECK_TRUE(task_init_arith(&t, &s, &err) == -1);
    const char *want[] = {"task.arith.digits", "task.prompts_per_round", "task.eval_prompts",
                          "rounds.count",      "100 distinct",           "110 needed"};
    for (int i = 0; i < 6; i++)
        CHECK_MSG(strstr(err.msg, want[i]) != NULL, "message \"%s\" lacks \"%s\"", err.msg,
                  want[i]);
    s.eval_prompts = 40;  // exactly fits
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    task_free(&t);
    s.eval_prompts = 100;  // R = 0: EVAL takes all, nothing left for SFT
    s.rounds = 0;
    CHECK_TRUE(task_init_arith(&t, &s, &err) == -1);
    CHECK_TRUE(strstr(err.msg, "SFT") != NULL);
    s = arith_spec(0, "+", 1, 1, 1, 1);
    CHECK_TRUE(task_init_arith(&t, &s, &err) == -1 && strstr(err.msg, "task.arith.digits"));
    s = arith_spec(2, "+/", 1, 1, 1, 1);
    CHECK_TRUE(task_init_arith(&t, &s, &err) == -1 && strstr(err.msg, "task.arith.operators"));
    s = arith_spec(2, "+", 1, 1, 1, 1);
    strcpy(s.judge_template, "{prompt}?");
    CHECK_TRUE(task_init_arith(&t, &s, &err) == -1 && strstr(err.msg, "task.judge_template"));
    s = arith_spec(2, "+", 1, 1, 1, 1);
    strcpy(s.answer_regex, "([0-9]");
    CHECK_TRUE(task_init_arith(&t, &s, &err) == -1 && strstr(err.msg, "task.answer_regex"));
}

static void expect_extract(const Task *t, const char *resp, const char *want, int line) {
    char got[64] = "untouched";
    int rc = task_extract(t, resp, got, sizeof got);
    if (want)
        CHECK_MSG(rc == 0 && strcmp(got, want) == 0, "line %d: \"%s\" -> rc %d \"%s\", want \"%s\"",
                  line, resp, rc, got, want);
    else
        CHECK_MSG(rc == -1, "line %d: \"%s\" should have no answer, got \"%s\"", line, resp, got);
}
#define EXTRACT(t, resp, want) expect_extract(t, resp, want, __LINE__)

static void test_extract_verify(void) {
    Task t;
    TaskSpec s = arith_spec(3, "+-", 1, 10, 10, 1);
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    EXTRACT(&t, "933", "933");
    EXTRACT(&t, "-239", "-239");
    EXTRACT(&t, "0", "0");
    EXTRACT(&t, "-0", NULL);
    EXTRACT(&t, "007", NULL);
    EXTRACT(&t, "-07", NULL);
    EXTRACT(&t, "", NULL);
    EXTRACT(&t, "-", NULL);
    EXTRACT(&t, "12a", NULL);
    EXTRACT(&t, " 12", NULL);
    EXTRACT(&t, "12 ", NULL);
    EXTRACT(&t, "+5", NULL);
    EXTRACT(&t, "1-2", NULL);
    char small[3];
    CHECK_TRUE(task_extract(&t, "1234", small, sizeof small) == -1);  // does not fit
    TaskItem it = {0, "1+2=", "3", 1, 0};
    CHECK_EQ_I64(task_verify(&t, &it, "3"), 1);
    CHECK_EQ_I64(task_verify(&t, &it, "4"), 0);
    CHECK_EQ_I64(task_verify(&t, &it, "03"), 0);
    CHECK_EQ_I64(task_verify(&t, &it, "3?"), 0);
    CHECK_EQ_I64(task_verify(&t, &it, ""), 0);
    TaskItem neg = {0, "1-5=", "-4", 1, 0};
    CHECK_EQ_I64(task_verify(&t, &neg, "-4"), 1);
    CHECK_EQ_I64(task_verify(&t, &neg, "4"), 0);
    TaskItem none = {0, "what?", "", 0, 0};
    CHECK_EQ_I64(task_verify(&t, &none, "4"), -1);
    task_free(&t);

    // arith with a regex: the regex decides
    strcpy(s.answer_regex, "^ans ([0-9-]+)$");
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    EXTRACT(&t, "ans 12", "12");
    EXTRACT(&t, "12", NULL);
    CHECK_EQ_I64(task_verify(&t, &it, "ans 3"), 1);
    task_free(&t);

    // lists: trimmed response; regex with a group, without a group, not matching
    TaskSpec ls = arith_spec(1, "+", 5, 0, 1, 1);
    CHECK_TRUE(task_init_list(&t, &ls, &err) == 0);
    EXTRACT(&t, "  Paris  ", "Paris");
    EXTRACT(&t, "New York", "New York");
    EXTRACT(&t, "   ", NULL);
    EXTRACT(&t, "", NULL);
    TaskItem city = {0, "Capital of France?", "Paris", 1, 0};
    CHECK_EQ_I64(task_verify(&t, &city, " Paris"), 1);
    CHECK_EQ_I64(task_verify(&t, &city, "paris"), 0);
    task_free(&t);
    strcpy(ls.answer_regex, "answer: ([0-9]+)");
    CHECK_TRUE(task_init_list(&t, &ls, &err) == 0);
    EXTRACT(&t, "so the answer: 42 and answer: 7", "42");
    EXTRACT(&t, "no answer here", NULL);
    task_free(&t);
    strcpy(ls.answer_regex, "[0-9]+");
    CHECK_TRUE(task_init_list(&t, &ls, &err) == 0);
    EXTRACT(&t, "x 12 y 34", "12");
    EXTRACT(&t, "none", NULL);
    task_free(&t);
    strcpy(ls.answer_regex, "(x)?y");  // group that does not take part in the match
    CHECK_TRUE(task_init_list(&t, &ls, &err) == 0);
    EXTRACT(&t, "y", NULL);
    EXTRACT(&t, "xy", "x");
    task_free(&t);
}

static void test_judge_prompt(void) {
    Task t;
    TaskSpec s = arith_spec(3, "+", 1, 1, 1, 1);
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    char out[64];
    CHECK_EQ_I64(task_judge_prompt(&t, "347+586=", "933", out, sizeof out), 12);
    CHECK_TRUE(strcmp(out, "347+586=933?") == 0);
    CHECK_EQ_I64(task_judge_prompt(&t, "347+586=", "933", out, 12), -1);  // no room for NUL
    CHECK_EQ_I64(task_judge_prompt(&t, "347+586=", "933", out, 13), 12);
    task_free(&t);
    strcpy(s.judge_template, "A {answer} to {prompt} ok?");
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    CHECK_EQ_I64(task_judge_prompt(&t, "1+1=", "2", out, sizeof out), 15);
    CHECK_TRUE(strcmp(out, "A 2 to 1+1= ok?") == 0);
    task_free(&t);
}

// A corrupted answer is the truth moved by 1..10 (no sign change from a non-negative truth) or the
// truth with exactly one digit changed.
static int corruption_ok(const char *truth, const char *wrong) {
    long long t = atoll(truth), w = atoll(wrong);
    if (w != t && llabs(w - t) <= 10 && !(t >= 0 && w < 0)) return 1;
    if (strlen(truth) != strlen(wrong)) return 0;
    int changed = 0;
    for (size_t i = 0; truth[i]; i++)
        changed += truth[i] != wrong[i] ? (truth[i] == '-' || wrong[i] == '-' ? 2 : 1) : 0;
    return changed == 1;
}

static void check_sft(int digits, const char *ops, int n_instr, int n_eval, double frac) {
    Task t;
    TaskSpec s = arith_spec(digits, ops, 77, 30, 20, 2);
    s.n_instruction = n_instr;
    s.n_evaluation = n_eval;
    s.eval_wrong_fraction = frac;
    s.judge_rationale = 1;
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_SFT), n_instr + n_eval);
    int bad = 0, wrong = 0, malformed = 0, too_long = 0, kinds = 0, max_len = 0, shape_bad = 0;
    // the longest true answer, from the extremes of the operators
    long long top = 1;
    for (int i = 0; i < digits; i++) top *= 10;
    top -= 1;
    for (const char *o = ops; *o; o++) {
        char buf[32];
        int l = snprintf(buf, sizeof buf, "%lld",
                         *o == '+'   ? 2 * top
                         : *o == '-' ? -top
                                     : top * top);
        if (l > max_len) max_len = l;
    }
    TaskSftExample ex, again;
    for (int64_t i = 0; i < n_instr + n_eval; i++) {
        task_sft_example(&t, i, &ex);
        task_sft_example(&t, i, &again);
        bad += ex.kind != again.kind || ex.verdict != again.verdict ||
               strcmp(ex.prompt, again.prompt) != 0 || strcmp(ex.response, again.response) != 0;
        kinds += ex.kind == (i < n_instr ? TASK_SFT_INSTRUCTION : TASK_SFT_EVALUATION);
        TaskItem it = {0, "", "", 1, 0};
        snprintf(it.prompt, sizeof it.prompt, "%s", ex.prompt);
        // recompute the truth from the prompt
        long long a, b;
        char op;
        sscanf(ex.prompt, "%lld%c%lld=", &a, &op, &b);
        snprintf(it.answer, sizeof it.answer, "%lld",
                 op == '+'   ? a + b
                 : op == '-' ? a - b
                             : a * b);
        bad += !arith_item_ok(&it, digits, ops);
        char got[64];
        malformed += task_extract(&t, ex.response, got, sizeof got) != 0;
        too_long += (int)strlen(ex.response) > max_len;
        if (ex.kind == TASK_SFT_INSTRUCTION) {
            bad += ex.verdict != -1 || task_verify(&t, &it, ex.response) != 1 || ex.rationale[0];
        } else {  // the judge's rationale is the right answer, whatever the verdict
            bad += task_verify(&t, &it, ex.response) != ex.verdict;
            bad += strcmp(ex.rationale, it.answer) != 0;
            wrong += ex.verdict == 0;
            if (ex.verdict == 0) shape_bad += !corruption_ok(it.answer, ex.response);
        }
    }
    CHECK_MSG(bad == 0, "%d bad SFT examples", bad);
    CHECK_EQ_I64(kinds, n_instr + n_eval);
    CHECK_EQ_I64(malformed, 0);
    CHECK_EQ_I64(shape_bad, 0);
    CHECK_EQ_I64(too_long, 0);
    CHECK_EQ_I64(wrong, llround(frac * n_eval));
    int64_t yes, no;
    task_sft_verdict_counts(&t, &yes, &no);
    CHECK_TRUE(no == wrong && yes == n_eval - wrong);
    task_free(&t);
}

static void test_sft(void) {
    check_sft(3, "+-*", 300, 1000, 0.3);
    check_sft(1, "-", 50, 2000, 0.5);  // small numbers: sign and length edge cases of corruption
    check_sft(1, "+*", 10, 500, 1.0);
    check_sft(2, "+", 10, 200, 0.0);
    check_sft(9, "+-*", 10, 300, 0.5);  // the largest space
}

static void test_encode(void) {
    Tokenizer tok;
    CHECK_TRUE(tokenizer_init(&tok, TOKENIZER_DEFAULT_CHARSET, &err) == 0);
    Task t;
    TaskSpec s = arith_spec(3, "+", 1, 1, 1, 1);
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    int32_t ids[64], yes, no;
    int rs = -1;
    CHECK_TRUE(task_verdict_ids(&tok, &yes, &no, &err) == 0);
    CHECK_TRUE(yes == tok.id_of['Y'] && no == tok.id_of['N']);
    int n = task_encode_answered(&tok, "347+586=", "933", ids, 64, &rs, &err);
    CHECK_EQ_I64(n, 13);
    CHECK_EQ_I64(rs, 9);
    CHECK_TRUE(ids[0] == TOK_BOS && ids[12] == TOK_EOS && ids[9] == tok.id_of['9']);
    char text[64];
    tokenizer_decode(&tok, ids + rs, n - rs, text, sizeof text);
    CHECK_TRUE(strcmp(text, "933") == 0);
    CHECK_EQ_I64(task_encode_answered(&tok, "347+586=", "933", ids, 13, &rs, &err), 13);
    CHECK_EQ_I64(task_encode_answered(&tok, "347+586=", "933", ids, 12, &rs, &err), -1);
    CHECK_TRUE(strstr(err.msg, "model.max_seq_len 12") && strstr(err.msg, "13 tokens"));
    CHECK_EQ_I64(task_encode_answered(&tok, "347x586=", "933", ids, 64, &rs, &err), -1);
    CHECK_TRUE(strstr(err.msg, "'x'") && strstr(err.msg, "column 4"));
    CHECK_EQ_I64(task_encode_prompt(&tok, "347+586=", 5, ids, 14, &err), 9);
    CHECK_TRUE(ids[0] == TOK_BOS && ids[8] == tok.id_of['=']);
    CHECK_EQ_I64(task_encode_prompt(&tok, "347+586=", 6, ids, 14, &err), -1);
    CHECK_TRUE(strstr(err.msg, "generate.max_new_tokens"));
    CHECK_EQ_I64(task_encode_judge(&t, &tok, "347+586=", "933", ids, 64, &err), 13);
    CHECK_TRUE(ids[0] == TOK_BOS && ids[12] == tok.id_of['?']);
    CHECK_EQ_I64(task_encode_judge(&t, &tok, "347+586=", "933", ids, 13, &err), -1);
    TaskSftExample ex = {TASK_SFT_EVALUATION, "347+586=", "934", 0, ""};
    n = task_encode_sft(&t, &tok, &ex, ids, 64, &rs, &err);
    CHECK_EQ_I64(n, 15);
    CHECK_EQ_I64(rs, 13);
    CHECK_TRUE(ids[13] == no && ids[14] == TOK_EOS);
    ex.verdict = 1;
    CHECK_TRUE(task_encode_sft(&t, &tok, &ex, ids, 64, &rs, &err) == 15 && ids[13] == yes);
    CHECK_EQ_I64(task_encode_sft(&t, &tok, &ex, ids, 14, &rs, &err), -1);
    TaskSftExample ins = {TASK_SFT_INSTRUCTION, "1+2=", "3", -1, ""};
    CHECK_TRUE(task_encode_sft(&t, &tok, &ins, ids, 64, &rs, &err) == 7 && rs == 5);
    // with a rationale: BOS + judge prompt (12) + "933" + verdict + EOS, trained from the rationale
    TaskSftExample why = {TASK_SFT_EVALUATION, "347+586=", "934", 0, "933"};
    n = task_encode_sft(&t, &tok, &why, ids, 64, &rs, &err);
    CHECK_EQ_I64(n, 18);
    CHECK_EQ_I64(rs, 13);
    CHECK_TRUE(ids[13] == tok.id_of['9'] && ids[14] == tok.id_of['3'] && ids[15] == tok.id_of['3']);
    CHECK_TRUE(ids[16] == no && ids[17] == TOK_EOS);
    CHECK_EQ_I64(task_encode_sft(&t, &tok, &why, ids, 17, &rs, &err), -1);
    CHECK_TRUE(strstr(err.msg, "rationale") && strstr(err.msg, "18 tokens"));
    CHECK_EQ_I64(task_rationale_tokens(&t, 5), 0);  // spec.judge_rationale is 0 here
    why.rationale[1] = 'x';
    CHECK_TRUE(task_encode_sft(&t, &tok, &why, ids, 64, &rs, &err) == -1 && strstr(err.msg, "'x'"));
    Tokenizer bare;
    CHECK_TRUE(tokenizer_init(&bare, "0123456789+=?Y", &err) == 0);
    CHECK_TRUE(task_verdict_ids(&bare, &yes, &no, &err) == -1 && strstr(err.msg, "'N'"));
    CHECK_TRUE(task_encode_sft(&t, &bare, &ex, ids, 64, &rs, &err) == -1);
    task_free(&t);
}

static void test_list(void) {
    TaskSpec s = arith_spec(1, "+", 3, 5, 4, 3);  // E 5, P 4, R 3: 17 lines needed
    Task t, u;
    char p[32], a[32];
    for (int pass = 0; pass < 2; pass++) {
        Task *x = pass ? &u : &t;
        CHECK_TRUE(task_init_list(x, &s, &err) == 0);
        for (int i = 0; i < 20; i++) {
            snprintf(p, sizeof p, "q%d", i);
            snprintf(a, sizeof a, "a%d", i);
            task_list_add_prompt(x, 0, p, i % 2 ? a : NULL,
                                 i < 12);  // only q12..q19 may be held out
        }
        task_list_add_sft(x, "q0", "a0", -1, NULL);
        task_list_add_sft(x, "q1", "b", 0, "a1");
        CHECK_TRUE(task_list_finish(x, "p.jsonl", "", &err) == 0);
    }
    int seen[20] = {0}, ok = 1;
    TaskItem it, it2;
    for (int r = 0; r <= 3; r++) {
        TaskSplit sp = r ? TASK_SPLIT_ROUND : TASK_SPLIT_EVAL;
        for (int i = 0; i < task_split_size(&t, sp); i++) {
            task_item(&t, sp, r, i, &it);
            task_item(&u, sp, r, i, &it2);
            ok &= it.id == it2.id && strcmp(it.prompt, it2.prompt) == 0 &&
                  strcmp(it.answer, it2.answer) == 0;
            ok &= it.id >= 0 && it.id < 20 && atoi(it.prompt + 1) == it.id;
            ok &= it.has_answer == (int)(it.id % 2) &&
                  (!it.has_answer || atoi(it.answer + 1) == it.id);
            if (!r) ok &= it.id >= 12;  // no-holdout lines never in EVAL
            seen[it.id]++;
        }
    }
    CHECK_TRUE(ok);
    int dup = 0;
    for (int i = 0; i < 20; i++) dup += seen[i] > 1;
    CHECK_EQ_I64(dup, 0);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_SFT), 2);
    TaskSftExample ex;
    task_sft_example(&t, 1, &ex);
    CHECK_TRUE(ex.kind == TASK_SFT_EVALUATION && ex.verdict == 0 && strcmp(ex.response, "b") == 0);
    CHECK_TRUE(ex.rationale[0] == '\0');  // spec.judge_rationale 0: the rationale is not used
    int64_t yes, no;
    task_sft_verdict_counts(&t, &yes, &no);
    CHECK_TRUE(yes == 0 && no == 1);  // one evaluation line (verdict false), one instruction line
    u.spec.judge_rationale = 1;
    task_sft_example(&u, 1, &ex);
    CHECK_TRUE(strcmp(ex.rationale, "a1") == 0 && task_rationale_tokens(&u, 5) == 4);
    task_sft_example(&u, 0, &ex);
    CHECK_TRUE(ex.rationale[0] == '\0');
    task_free(&t);
    task_free(&u);

    // too few lines; too few lines that may be held out; EVAL from an eval file
    CHECK_TRUE(task_init_list(&t, &s, &err) == 0);
    for (int i = 0; i < 16; i++)
        task_list_add_prompt(&t, 0, (snprintf(p, sizeof p, "q%d", i), p), NULL, 0);
    CHECK_TRUE(task_list_finish(&t, "p.jsonl", "", &err) == -1);
    CHECK_TRUE(strstr(err.msg, "p.jsonl") && strstr(err.msg, "16 usable") &&
               strstr(err.msg, "17 needed"));
    task_free(&t);
    CHECK_TRUE(task_init_list(&t, &s, &err) == 0);
    for (int i = 0; i < 20; i++)
        task_list_add_prompt(&t, 0, (snprintf(p, sizeof p, "q%d", i), p), NULL, i > 3);
    CHECK_TRUE(task_list_finish(&t, "p.jsonl", "", &err) == -1 && strstr(err.msg, "only 4"));
    task_free(&t);
    CHECK_TRUE(task_init_list(&t, &s, &err) == 0);
    for (int i = 0; i < 12; i++)
        task_list_add_prompt(&t, 0, (snprintf(p, sizeof p, "q%d", i), p), NULL, 0);
    for (int i = 0; i < 5; i++)
        task_list_add_prompt(&t, 1, (snprintf(p, sizeof p, "e%d", i), p), "x", 0);
    CHECK_TRUE(task_list_finish(&t, "p.jsonl", "e.jsonl", &err) == 0);
    for (int i = 0; i < 5; i++) {
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        CHECK_TRUE(it.prompt[0] == 'e' && atoi(it.prompt + 1) == i && it.id == 12 + i);
    }
    int rounds_ok = 1;
    memset(seen, 0, sizeof seen);
    for (int r = 1; r <= 3; r++)
        for (int i = 0; i < 4; i++) {
            task_item(&t, TASK_SPLIT_ROUND, r, i, &it);
            rounds_ok &= it.prompt[0] == 'q' && seen[it.id]++ == 0;
        }
    CHECK_TRUE(rounds_ok);
    task_free(&t);
    CHECK_TRUE(task_init_list(&t, &s, &err) == 0);
    for (int i = 0; i < 12; i++)
        task_list_add_prompt(&t, 0, (snprintf(p, sizeof p, "q%d", i), p), NULL, 0);
    task_list_add_prompt(&t, 1, "e0", NULL, 0);
    CHECK_TRUE(task_list_finish(&t, "p.jsonl", "e.jsonl", &err) == -1 &&
               strstr(err.msg, "e.jsonl"));
    task_free(&t);

    // held-out judge examples of a list task: the item's own answer, or another EVAL item's
    // (different) answer; none when every EVAL answer is the same; no VALID split
    CHECK_TRUE(task_init_list(&t, &s, &err) == 0);
    for (int i = 0; i < 12; i++)
        task_list_add_prompt(&t, 0, (snprintf(p, sizeof p, "q%d", i), p), NULL, 0);
    const char *answers[] = {"a", "b", "a", "c", "b"};
    for (int i = 0; i < 5; i++)
        task_list_add_prompt(&t, 1, (snprintf(p, sizeof p, "e%d", i), p), answers[i], 0);
    CHECK_TRUE(task_list_finish(&t, "p.jsonl", "e.jsonl", &err) == 0);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_VALID), 0);
    int right = 0, wrong = 0, held_ok = 1;
    for (int rep = 0; rep < 40; rep++) {  // several seeds, so both verdicts occur
        t.spec.seed = (uint64_t)rep;
        for (int i = 0; i < 5; i++) {
            char ans[TASK_TEXT_MAX];
            task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
            int v = task_held_out_judge_example(&t, i, &it, ans, sizeof ans);
            int is_answer = strcmp(ans, "a") == 0 || strcmp(ans, "b") == 0 || strcmp(ans, "c") == 0;
            held_ok &= (v == 1 && strcmp(ans, it.answer) == 0) ||
                       (v == 0 && strcmp(ans, it.answer) != 0 && is_answer);
            right += v == 1, wrong += v == 0;
        }
    }
    CHECK_MSG(held_ok && right > 50 && wrong > 50, "list held-out examples: %d right, %d wrong",
              right, wrong);
    task_free(&t);
    CHECK_TRUE(task_init_list(&t, &s, &err) == 0);
    for (int i = 0; i < 12; i++)
        task_list_add_prompt(&t, 0, (snprintf(p, sizeof p, "q%d", i), p), NULL, 0);
    for (int i = 0; i < 5; i++)
        task_list_add_prompt(&t, 1, (snprintf(p, sizeof p, "e%d", i), p), "same", 0);
    CHECK_TRUE(task_list_finish(&t, "p.jsonl", "e.jsonl", &err) == 0);
    int none = 1;
    for (int rep = 0; rep < 20; rep++) {
        t.spec.seed = (uint64_t)rep;
        char ans[TASK_TEXT_MAX];
        task_item(&t, TASK_SPLIT_EVAL, 0, 0, &it);
        int v = task_held_out_judge_example(&t, 0, &it, ans, sizeof ans);
        none &= v == 1 || v == -1;  // right, or no wrong answer to show
    }
    CHECK_TRUE(none);
    task_free(&t);
}

// VALID prompts: n_validation well-formed items, none an EVAL prompt or an SFT example's
// prompt, all distinct; deterministic; too many for the pool is an error naming the keys.
static void test_validation(void) {
    Task t;
    TaskSpec s = arith_spec(2, "+", 7, 200, 100, 3);
    s.n_instruction = 3000, s.n_validation = 500;
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_VALID), 500);
    int n = 200 + 3000 + 500;
    char(*seen)[32] = xmalloc("test", (size_t)n * 32);
    TaskItem it;
    int k = 0, ok = 1;
    for (int i = 0; i < 200; i++, k++) {
        task_item(&t, TASK_SPLIT_EVAL, 0, i, &it);
        snprintf(seen[k], 32, "%.31s", it.prompt);
    }
    TaskSftExample ex;
    for (int i = 0; i < 3000; i++, k++) {
        task_sft_example(&t, i, &ex);
        ok &= ex.kind == TASK_SFT_INSTRUCTION;
        snprintf(seen[k], 32, "%.31s", ex.prompt);
    }
    for (int i = 0; i < 500; i++, k++) {
        task_item(&t, TASK_SPLIT_VALID, 0, i, &it);
        ok &= arith_item_ok(&it, 2, "+");
        snprintf(seen[k], 32, "%.31s", it.prompt);
        TaskItem again;
        task_item(&t, TASK_SPLIT_VALID, 0, i, &again);
        ok &= strcmp(again.prompt, it.prompt) == 0;
    }
    CHECK_TRUE(ok);
    qsort(seen, (size_t)n, 32, cmp_str);
    int dup = 0;
    for (int i = 1; i < n; i++) dup += strcmp(seen[i], seen[i - 1]) == 0;
    CHECK_MSG(dup == 0, "%d prompts shared between EVAL, instruction examples and VALID", dup);
    // no evaluation example (its rationale shows the answer) uses an EVAL or VALID prompt; 7000
    // examples cycle through all 6300 pool prompts outside VALID
    char(*held)[32] = xmalloc("test", (size_t)700 * 32);
    for (int i = 0; i < 700; i++) {
        task_item(&t, i < 200 ? TASK_SPLIT_EVAL : TASK_SPLIT_VALID, 0, i < 200 ? i : i - 200, &it);
        snprintf(held[i], 32, "%.31s", it.prompt);
    }
    qsort(held, 700, 32, cmp_str);
    task_free(&t);
    s.n_evaluation = 7000;
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    int leaks = 0;
    for (int i = 0; i < 7000; i++) {
        task_sft_example(&t, 3000 + i, &ex);
        leaks += bsearch(ex.prompt, held, 700, 32, cmp_str) != NULL;
    }
    CHECK_MSG(leaks == 0, "%d evaluation examples use EVAL or VALID prompts", leaks);
    xfree(held);
    xfree(seen);
    task_free(&t);
    s.n_validation = 10000 - 200 - 3000 + 1;  // one more than the pool leaves
    err.msg[0] = 0;
    CHECK_TRUE(task_init_arith(&t, &s, &err) == -1);
    CHECK_MSG(strstr(err.msg, "sft.n_validation") && strstr(err.msg, "sft.n_instruction"),
              "message \"%s\"", err.msg);
    s.n_validation = 10000 - 200 - 3000;  // exactly fits
    CHECK_TRUE(task_init_arith(&t, &s, &err) == 0);
    task_free(&t);
}

int main(void) {
    test_perm();
    test_arith_items_and_determinism();
    test_disjoint();
    test_too_small();
    test_validation();
    test_extract_verify();
    test_judge_prompt();
    test_sft();
    test_encode();
    test_list();
    CHECK_EQ_I64(alloc_live_bytes("task_text") + alloc_live_bytes("task_records") +
                     alloc_live_bytes("task_order"),
                 0);
    return check_report();
}
