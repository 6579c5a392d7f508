/* tests/test_jsonl.c — io/jsonl: a good JSONL task round trip (splits, answers, SFT examples, eval
   file, prompts that are never held out), charset "auto", the arith task through the same entry,
   and every kind of bad line with its exact file:line in the message. Files are written in the
   test's working directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/jsonl.h"
#include "util/alloc.h"

#define CHARSET " abcdefghijklmnopqrstuvwxyz0123456789+-*=?YN:"

static ErrMsg err;

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

// n good prompt lines "q<i>+1=" (answer i+1, every 4th without answer); line `at` (1-based) is
// replaced by `bad` when not NULL. Blank line after line 2.
static void write_prompts(const char *path, int n, int at, const char *bad) {
    char *text = xmalloc("test", 65536);
    int k = 0;
    for (int i = 1; i <= n; i++) {
        if (i == at && bad)
            k += snprintf(text + k, 65536 - (size_t)k, "%s\n", bad);
        else if (i % 4 == 0)
            k += snprintf(text + k, 65536 - (size_t)k, "{\"prompt\": \"q%d+1=\"}\n", i);
        else
            k += snprintf(text + k, 65536 - (size_t)k,
                          "{\"prompt\": \"q%d+1=\", \"answer\": \"%d\"}\n", i, i + 1);
        if (i == 2) k += snprintf(text + k, 65536 - (size_t)k, "   \n");
    }
    write_file(path, text);
    xfree(text);
}

static Config base_config(void) {
    Config c;
    config_defaults(&c);
    strcpy(c.task.name, "jsonl");
    strcpy(c.task.prompts_file, "p.jsonl");
    strcpy(c.tokenizer.charset, CHARSET);
    c.task.eval_prompts = 3;
    c.task.prompts_per_round = 4;
    c.rounds.count = 2;
    c.sft.steps = 0;
    c.model.max_seq_len = 64;
    c.generate.max_new_tokens = 8;
    c.n_judges = 1;
    memset(c.judges, 0, sizeof c.judges);
    strcpy(c.judges[0].name, "likelihood");
    c.judges[0].weight = 1;
    return c;
}

static void expect_fail(const Config *c, const char *want1, const char *want2, int line) {
    Task t;
    char cs[TOKENIZER_MAX_CHARS + 1];
    err.msg[0] = 0;
    int rc = jsonl_task_load(&t, c, cs, &err);
    CHECK_MSG(rc == -1, "line %d: expected failure, got rc %d", line, rc);
    CHECK_MSG(strstr(err.msg, want1) != NULL, "line %d: message \"%s\" lacks \"%s\"", line, err.msg,
              want1);
    if (want2)
        CHECK_MSG(strstr(err.msg, want2) != NULL, "line %d: message \"%s\" lacks \"%s\"", line,
                  err.msg, want2);
    CHECK_MSG(!strchr(err.msg, '\n'), "line %d: message spans lines: %s", line, err.msg);
    if (rc == 0) task_free(&t);
}
#define EXPECT_FAIL(c, w1, w2) expect_fail(c, w1, w2, __LINE__)

// Bad prompt line 6 (file line 7: a blank line follows line 2).
#define EXPECT_BAD_PROMPT(bad, w1, w2)        \
    do {                                      \
        write_prompts("p.jsonl", 12, 6, bad); \
        EXPECT_FAIL(&c, w1, w2);              \
    } while (0)

static void test_good_round_trip(void) {
    Config c = base_config();
    write_prompts("p.jsonl", 12, 0, NULL);
    write_file(
        "s.jsonl",
        "{\"prompt\": \"q1+1=\", \"response\": \"2\"}\n"
        "\n"
        "{\"prompt\": \"z+z=\", \"response\": \"no\", \"verdict\": false, \"x\": 1, "
        "\"rationale\": \"zz\"}\r\n"
        "{\"prompt\": \"q5+1=\", \"response\": \"6\", \"rationale\": \"6\", \"verdict\": true}");
    strcpy(c.task.sft_file, "s.jsonl");
    c.sft.steps = 5;
    Task t, u;
    char cs[TOKENIZER_MAX_CHARS + 1], cs2[TOKENIZER_MAX_CHARS + 1];
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "load failed: %s", err.msg);
    CHECK_TRUE(jsonl_task_load(&u, &c, cs2, &err) == 0);
    CHECK_TRUE(strcmp(cs, CHARSET) == 0);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_EVAL), 3);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_ROUND), 4);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_SFT), 3);
    int seen[13] = {0}, ok = 1, same = 1;
    TaskItem it, it2;
    for (int r = 0; r <= 2; r++) {
        TaskSplit sp = r ? TASK_SPLIT_ROUND : TASK_SPLIT_EVAL;
        for (int i = 0; i < task_split_size(&t, sp); i++) {
            task_item(&t, sp, r, i, &it);
            task_item(&u, sp, r, i, &it2);
            same &= strcmp(it.prompt, it2.prompt) == 0 && it.id == it2.id;
            int q = atoi(it.prompt + 1);  // line number of the prompt
            ok &= q >= 1 && q <= 12 && it.id == q - 1 && it.has_answer == (q % 4 != 0);
            ok &= !it.has_answer || atoi(it.answer) == q + 1;
            if (!r) ok &= q != 1 && q != 5;  // prompts of the SFT file are never held out
            seen[q]++;
        }
    }
    CHECK_TRUE(ok);
    CHECK_TRUE(same);
    int dup = 0, used = 0;
    for (int q = 1; q <= 12; q++) dup += seen[q] > 1, used += seen[q];
    CHECK_EQ_I64(dup, 0);
    CHECK_EQ_I64(used, 11);
    TaskSftExample ex;
    task_sft_example(&t, 0, &ex);
    CHECK_TRUE(ex.kind == TASK_SFT_INSTRUCTION && ex.verdict == -1 && !strcmp(ex.prompt, "q1+1=") &&
               !strcmp(ex.response, "2"));
    task_sft_example(&t, 1, &ex);
    CHECK_TRUE(ex.kind == TASK_SFT_EVALUATION && ex.verdict == 0 && !strcmp(ex.response, "no") &&
               !strcmp(ex.rationale, "zz"));
    task_sft_example(&t, 2, &ex);
    CHECK_TRUE(ex.kind == TASK_SFT_EVALUATION && ex.verdict == 1 && !strcmp(ex.prompt, "q5+1=") &&
               !strcmp(ex.rationale, "6"));
    // the loaded data encodes with the returned charset
    Tokenizer tok;
    CHECK_TRUE(tokenizer_init(&tok, cs, &err) == 0);
    int32_t ids[64];
    int rs;
    CHECK_TRUE(task_encode_sft(&t, &tok, &ex, ids, c.model.max_seq_len, &rs, &err) > 0);
    task_free(&t);
    task_free(&u);

    // a different seed draws a different EVAL set
    c.run.seed = 99;
    CHECK_TRUE(jsonl_task_load(&u, &c, cs2, &err) == 0);
    c.run.seed = 1234;
    CHECK_TRUE(jsonl_task_load(&t, &c, cs, &err) == 0);
    int differ = 0;
    for (int s = 0; s < 4 && !differ; s++) {
        for (int i = 0; i < 3; i++) {
            task_item(&t, TASK_SPLIT_ROUND, 1 + s % 2, i, &it);
            task_item(&u, TASK_SPLIT_ROUND, 1 + s % 2, i, &it2);
            differ += strcmp(it.prompt, it2.prompt) != 0;
        }
    }
    CHECK_TRUE(differ > 0);
    task_free(&t);
    task_free(&u);

    // EVAL from an eval file: its lines in order; all prompt lines feed the rounds
    write_file("e.jsonl",
               "{\"prompt\": \"e1=\", \"answer\": \"1\"}\n{\"prompt\": \"e2=\"}\n"
               "{\"prompt\": \"e3=\", \"answer\": \"3\"}\n{\"prompt\": \"e4=\"}\n");
    strcpy(c.task.eval_file, "e.jsonl");
    write_prompts("p.jsonl", 8, 0, NULL);
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "eval-file load failed: %s", err.msg);
    task_item(&t, TASK_SPLIT_EVAL, 0, 2, &it);
    CHECK_TRUE(!strcmp(it.prompt, "e3=") && it.has_answer && !strcmp(it.answer, "3") &&
               it.id == 10);
    task_item(&t, TASK_SPLIT_EVAL, 0, 1, &it);
    CHECK_TRUE(!it.has_answer);
    task_free(&t);
}

static void test_auto_charset(void) {
    Config c = base_config();
    strcpy(c.tokenizer.charset, "auto");
    c.task.eval_prompts = 1;
    c.task.prompts_per_round = 1;
    c.rounds.count = 1;
    strcpy(c.task.judge_template, "Q:{prompt} A:{answer}!");
    write_file("a.jsonl", "{\"prompt\": \"ba\", \"answer\": \"~\"}\n{\"prompt\": \"cab\"}\n");
    strcpy(c.task.prompts_file, "a.jsonl");
    Task t;
    char cs[TOKENIZER_MAX_CHARS + 1];
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "auto load failed: %s", err.msg);
    CHECK_MSG(strcmp(cs, " !:ANQYabc~") == 0, "auto charset \"%s\"", cs);
    task_free(&t);
    write_file("a.jsonl", "{\"prompt\": \"ba\"}\n{\"prompt\": \"c\\tb\"}\n");
    EXPECT_FAIL(&c, "a.jsonl:2: \"prompt\": byte 0x09 at column 2 is not printable ASCII", NULL);
    // non-ASCII bytes are rejected (printable ASCII has 95 characters, within the tokenizer's 124)
    write_file("a.jsonl", "{\"prompt\": \"caf\xc3\xa9\"}\n");
    EXPECT_FAIL(&c, "a.jsonl:1: \"prompt\": byte 0xc3 at column 4", NULL);
}

static void test_bad_lines(void) {
    Config c = base_config();
    EXPECT_BAD_PROMPT("{\"prompt\": \"ab\"", "p.jsonl:7: invalid JSON at column", NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"ab\"} x", "p.jsonl:7: invalid JSON at column 18", NULL);
    EXPECT_BAD_PROMPT("[\"ab\"]", "p.jsonl:7: expected a JSON object, got an array", NULL);
    EXPECT_BAD_PROMPT("\"ab\"", "p.jsonl:7: expected a JSON object, got a string", NULL);
    EXPECT_BAD_PROMPT("{\"answer\": \"1\"}", "p.jsonl:7: missing \"prompt\"", NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": 5}", "p.jsonl:7: \"prompt\": expected a string, got a number",
                      NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"x\", \"answer\": 3}",
                      "p.jsonl:7: \"answer\": expected a string, got a number", NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"x\", \"answer\": null}",
                      "p.jsonl:7: \"answer\": expected a string, got null", NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"\"}", "p.jsonl:7: \"prompt\": expected a non-empty string",
                      NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"x\", \"prompt\": \"y\"}",
                      "p.jsonl:7: key \"prompt\" appears twice", NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"ab#c\"}",
                      "p.jsonl:7: \"prompt\": '#' at column 3 is not in tokenizer.charset", NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"ab\", \"answer\": \"A\"}",
                      "p.jsonl:7: \"answer\": 'A' at column 1", NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"ab\\nc\"}", "p.jsonl:7: \"prompt\": byte 0x0a at column 3",
                      NULL);
    EXPECT_BAD_PROMPT("{\"prompt\": \"q2+1=\"}",
                      "p.jsonl:7: duplicate prompt, already at p.jsonl:2", NULL);
    // 55 characters + BOS + 8 new tokens = 64 fits; 56 does not
    char line[256];
    snprintf(line, sizeof line, "{\"prompt\": \"%055d\"}", 0);
    write_prompts("p.jsonl", 12, 6, line);
    Task t;
    char cs[TOKENIZER_MAX_CHARS + 1];
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "55-character prompt: %s", err.msg);
    task_free(&t);
    snprintf(line, sizeof line, "{\"prompt\": \"%056d\"}", 0);
    EXPECT_BAD_PROMPT(line, "p.jsonl:7: \"prompt\" of 56 characters is too long",
                      "model.max_seq_len 64");
    // with llm_judge the judge sequence (BOS + 55 + '?' + 7-character response + 7-token
    // rationale + verdict) is 72; without the rationale 65
    strcpy(c.judges[0].name, "llm_judge");
    snprintf(line, sizeof line, "{\"prompt\": \"%055d\"}", 0);
    EXPECT_BAD_PROMPT(line, "p.jsonl:7: \"prompt\" of 55 characters is too long for llm_judge",
                      "72 tokens");
    snprintf(line, sizeof line, "{\"prompt\": \"%047d\"}", 0);
    write_prompts("p.jsonl", 12, 6, line);
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "47-character prompt: %s", err.msg);
    task_free(&t);
    c.task.judge_rationale = 0;
    snprintf(line, sizeof line, "{\"prompt\": \"%055d\"}", 0);
    EXPECT_BAD_PROMPT(line, "p.jsonl:7: \"prompt\" of 55 characters is too long for llm_judge",
                      "65 tokens");
    c.task.judge_rationale = 1;
    strcpy(c.judges[0].name, "likelihood");
    // a NUL byte inside a line
    FILE *f = fopen("p.jsonl", "wb");
    fwrite("{\"prompt\": \"a\"}\n{\"pro\0mpt\": \"b\"}\n", 1, 33, f);
    fclose(f);
    EXPECT_FAIL(&c, "p.jsonl:2: NUL byte at column 6", NULL);
    // empty, blank-only and missing files; too few lines
    write_file("p.jsonl", "");
    EXPECT_FAIL(&c, "task.prompts_file: \"p.jsonl\" has no usable line", NULL);
    write_file("p.jsonl", "\n  \n\n");
    EXPECT_FAIL(&c, "task.prompts_file: \"p.jsonl\" has no usable line", NULL);
    strcpy(c.task.prompts_file, "missing.jsonl");
    EXPECT_FAIL(&c, "task.prompts_file: cannot open \"missing.jsonl\"", NULL);
    strcpy(c.task.prompts_file, "p.jsonl");
    write_prompts("p.jsonl", 10, 0, NULL);
    EXPECT_FAIL(&c, "task.prompts_file \"p.jsonl\" has 10 usable lines, fewer than the 11 needed",
                "rounds.count");
}

static void test_bad_sft_and_eval(void) {
    Config c = base_config();
    write_prompts("p.jsonl", 12, 0, NULL);
    strcpy(c.task.sft_file, "s.jsonl");
    const char *good = "{\"prompt\": \"a=\", \"response\": \"b\"}\n";
    char text[512];
#define EXPECT_BAD_SFT(bad, w1, w2)                               \
    do {                                                          \
        snprintf(text, sizeof text, "%s%s\n%s", good, bad, good); \
        write_file("s.jsonl", text);                              \
        EXPECT_FAIL(&c, w1, w2);                                  \
    } while (0)
    EXPECT_BAD_SFT("{\"prompt\": \"a=\"}", "s.jsonl:2: missing \"response\"", NULL);
    EXPECT_BAD_SFT("{\"prompt\": \"a=\", \"response\": 1}",
                   "s.jsonl:2: \"response\": expected a string, got a number", NULL);
    EXPECT_BAD_SFT("{\"prompt\": \"a=\", \"response\": \"b\", \"verdict\": \"yes\"}",
                   "s.jsonl:2: \"verdict\": expected true or false, got a string", NULL);
    EXPECT_BAD_SFT("{\"prompt\": \"a=\", \"response\": \"b\", \"verdict\": 1}",
                   "s.jsonl:2: \"verdict\": expected true or false, got a number", NULL);
    EXPECT_BAD_SFT("{\"prompt\": \"a=\", \"response\": \"b%\"}",
                   "s.jsonl:2: \"response\": '%' at column 2", NULL);
    // instruction: BOS + 40 + 22 + EOS = 64 fits, 23 does not (a 22-character response needs
    // generate.max_new_tokens 23)
    c.generate.max_new_tokens = 23;
    char bad[256];
    snprintf(bad, sizeof bad, "{\"prompt\": \"%040d\", \"response\": \"%022d\"}", 0, 0);
    snprintf(text, sizeof text, "%s%s\n", good, bad);
    write_file("s.jsonl", text);
    Task t;
    char cs[TOKENIZER_MAX_CHARS + 1];
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "64-token SFT line: %s", err.msg);
    task_free(&t);
    snprintf(bad, sizeof bad, "{\"prompt\": \"%040d\", \"response\": \"%023d\"}", 0, 0);
    EXPECT_BAD_SFT(bad, "s.jsonl:2: too long", "65 tokens exceed model.max_seq_len 64");
    c.generate.max_new_tokens = 8;
    // evaluation lines carry the judge's rationale (task.judge_rationale, the default)
    EXPECT_BAD_SFT("{\"prompt\": \"a=\", \"response\": \"b\", \"verdict\": true}",
                   "s.jsonl:2: missing \"rationale\"", "task.judge_rationale");
    EXPECT_BAD_SFT("{\"prompt\": \"a=\", \"response\": \"b\", \"verdict\": true, \"rationale\": 2}",
                   "s.jsonl:2: \"rationale\": expected a string, got a number", NULL);
    EXPECT_BAD_SFT(
        "{\"prompt\": \"a=\", \"response\": \"b\", \"verdict\": true, \"rationale\": \"\"}",
        "s.jsonl:2: \"rationale\": expected a non-empty string", NULL);
    EXPECT_BAD_SFT(
        "{\"prompt\": \"a=\", \"response\": \"b\", \"verdict\": true, \"rationale\": \"c%\"}",
        "s.jsonl:2: \"rationale\": '%' at column 2", NULL);
    // BOS + 40 + 18 + '?' + 2-token rationale + verdict + EOS = 64 fits, a 3-token one does not
    snprintf(bad, sizeof bad,
             "{\"prompt\": \"%040d\", \"response\": \"%018d\", \"verdict\": true, "
             "\"rationale\": \"000\"}",
             0, 0);
    EXPECT_BAD_SFT(bad, "s.jsonl:2: too long", "\"rationale\" 3 + verdict + EOS = 65 tokens");
    snprintf(bad, sizeof bad,
             "{\"prompt\": \"%040d\", \"response\": \"%018d\", \"verdict\": true, "
             "\"rationale\": \"00\"}",
             0, 0);
    snprintf(text, sizeof text, "%s%s\n", good, bad);
    write_file("s.jsonl", text);
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "64-token rationale line: %s", err.msg);
    task_free(&t);
    // without the rationale (task.judge_rationale false) an evaluation line needs none, and one it
    // has is not used: BOS + 40 + 20 + '?' + verdict + EOS = 64 fits, 21 does not
    c.task.judge_rationale = 0;
    snprintf(bad, sizeof bad, "{\"prompt\": \"%040d\", \"response\": \"%021d\", \"verdict\": true}",
             0, 0);
    EXPECT_BAD_SFT(bad, "s.jsonl:2: too long", "65 tokens");
    snprintf(bad, sizeof bad, "{\"prompt\": \"%040d\", \"response\": \"%020d\", \"verdict\": true}",
             0, 0);
    snprintf(text, sizeof text, "%s%s\n", good, bad);
    write_file("s.jsonl", text);
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "64-token evaluation line: %s", err.msg);
    task_free(&t);
    // an evaluation example needs the template's characters and Y/N
    strcpy(c.tokenizer.charset, " abcdefghijklmnopqrstuvwxyz0123456789+-*=?N");
    write_file("s.jsonl", "{\"prompt\": \"a=\", \"response\": \"b\", \"verdict\": true}\n");
    EXPECT_FAIL(&c, "tokenizer.charset: missing 'Y'", NULL);
    strcpy(c.tokenizer.charset, CHARSET);
    c.task.judge_rationale = 1;
    write_file("s.jsonl", "");
    EXPECT_FAIL(&c, "task.sft_file: \"s.jsonl\" has no usable line", NULL);
    // SFT prompt that is held out by the eval file; duplicates across prompts and eval files
    write_file("e.jsonl", "{\"prompt\": \"e1=\"}\n{\"prompt\": \"e2=\"}\n{\"prompt\": \"e3=\"}\n");
    strcpy(c.task.eval_file, "e.jsonl");
    write_file(
        "s.jsonl",
        "{\"prompt\": \"a=\", \"response\": \"b\"}\n{\"prompt\": \"e2=\", \"response\": \"b\"}\n");
    EXPECT_FAIL(&c, "s.jsonl:2: prompt is a held-out evaluation prompt (e.jsonl:2)", NULL);
    write_file("e.jsonl", "{\"prompt\": \"e1=\"}\n\n{\"prompt\": \"q3+1=\"}\n");
    write_file("s.jsonl", good);
    EXPECT_FAIL(&c, "e.jsonl:3: duplicate prompt, already at p.jsonl:4", NULL);
    write_file("e.jsonl", "{\"prompt\": \"e1=\"}\n");
    EXPECT_FAIL(&c,
                "task.eval_file \"e.jsonl\" has 1 usable lines, fewer than task.eval_prompts (3)",
                NULL);
    c.task.eval_file[0] = 0;
    // SFT warm-up without SFT data
    c.task.sft_file[0] = 0;
    c.sft.steps = 10;
    EXPECT_FAIL(&c, "sft.steps: 10 warm-up steps need SFT examples", "task.sft_file");
#undef EXPECT_BAD_SFT
}

static void test_arith_entry(void) {
    Config c;
    config_defaults(&c);
    Task t;
    char cs[TOKENIZER_MAX_CHARS + 1];
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "arith load: %s", err.msg);
    CHECK_TRUE(t.kind == TASK_ARITH && strcmp(cs, c.tokenizer.charset) == 0);
    CHECK_EQ_I64(task_split_size(&t, TASK_SPLIT_SFT), c.sft.n_instruction + c.sft.n_evaluation);
    TaskItem it;
    task_item(&t, TASK_SPLIT_ROUND, c.rounds.count, c.task.prompts_per_round - 1, &it);
    CHECK_TRUE(it.has_answer && it.prompt[strlen(it.prompt) - 1] == '=');
    task_free(&t);
    c.task.arith.digits = 1;
    c.task.eval_prompts = 150;
    EXPECT_FAIL(&c, "task.arith.digits 1", "task.prompts_per_round");
    config_defaults(&c);
    c.sft.n_instruction = c.sft.n_evaluation = 0;
    EXPECT_FAIL(&c, "sft.steps", "sft.n_instruction");
}

// "level" on lines: stored in the items, bad values are file:line errors, a schedule draws rounds
// from its levels.
static void test_levels(void) {
    Config c = base_config();
    write_prompts("p.jsonl", 12, 6, "{\"prompt\": \"x\", \"level\": 1.5}");
    EXPECT_FAIL(&c, "p.jsonl:7:", "\"level\": expected an integer in 1..32, got 1.5");
    write_prompts("p.jsonl", 12, 6, "{\"prompt\": \"x\", \"level\": 0}");
    EXPECT_FAIL(&c, "p.jsonl:7:", "\"level\"");
    write_prompts("p.jsonl", 12, 6, "{\"prompt\": \"x\", \"level\": \"2\"}");
    EXPECT_FAIL(&c, "p.jsonl:7:", "got a string");
    write_prompts("p.jsonl", 12, 6, "{\"prompt\": \"x\", \"level\": 1, \"level\": 2}");
    EXPECT_FAIL(&c, "p.jsonl:7:", "appears twice");
    // 16 lines, levels 1 and 2 alternating; schedule 1,2: round 1 level 1, round 2 level 2
    char text[4096];
    int k = 0;
    for (int i = 0; i < 16; i++)
        k += snprintf(text + k, sizeof text - (size_t)k,
                      "{\"prompt\": \"q%d+1=\", \"answer\": \"%d\", \"level\": %d}\n", i, i + 1,
                      1 + i % 2);
    write_file("p.jsonl", text);
    strcpy(c.task.levels.schedule, "1,2");
    Task t;
    char cs[TOKENIZER_MAX_CHARS + 1];
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "%s", err.msg);
    int ok = 1;
    for (int r = 1; r <= 2; r++)
        for (int i = 0; i < c.task.prompts_per_round; i++) {
            TaskItem it;
            task_item(&t, TASK_SPLIT_ROUND, r, i, &it);
            ok &=
                it.level == r && task_item_level(&t, &it) == r && 1 + atoi(it.prompt + 1) % 2 == r;
        }
    CHECK_MSG(ok, "round prompts are not of the scheduled level");
    task_free(&t);
    c.rounds.count = 3;  // level 2 has 8 lines, minus held-out ones, and rounds 2-3 take 8
    c.task.eval_prompts = 3;
    strcpy(c.task.levels.schedule, "1,2,2");
    write_file("p.jsonl", text);
    int rc = jsonl_task_load(&t, &c, cs, &err);
    if (rc == 0) task_free(&t);
    CHECK_MSG(rc < 0 && strstr(err.msg, "of level 2"), "expected a level-2 shortage: %s", err.msg);
}

// Texts the model generates must fit generate.max_new_tokens (one token per character): answers
// and instruction responses with their EOS, rationales with their verdict. The longest one is
// named, with the value needed; exactly at the limit is accepted.
static void test_generated_lengths(void) {
    Config c = base_config();  // generate.max_new_tokens 8: 7 characters + the end token
    Task t;
    char cs[TOKENIZER_MAX_CHARS + 1];
    // prompts file: the longest answer (line 9, 10 characters) is named, not the first too long
    write_prompts("p.jsonl", 12, 0, NULL);
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "short answers: %s", err.msg);
    task_free(&t);
    write_prompts("p.jsonl", 12, 6, "{\"prompt\": \"x=\", \"answer\": \"1234567\"}");
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "7-character answer: %s", err.msg);
    task_free(&t);
    write_prompts("p.jsonl", 12, 6, "{\"prompt\": \"x=\", \"answer\": \"12345678\"}");
    EXPECT_FAIL(&c,
                "p.jsonl:7: \"answer\": expected at most generate.max_new_tokens 8 tokens (answer "
                "+ end token), got 9 (8 characters + end token)",
                "set generate.max_new_tokens to at least 9");
    char text[1024];
    snprintf(text, sizeof text,
             "{\"prompt\": \"a=\", \"answer\": \"12345678\"}\n"
             "{\"prompt\": \"b=\", \"answer\": \"1\"}\n\n"
             "{\"prompt\": \"c=\", \"answer\": \"123456789\"}\n"
             "{\"prompt\": \"d=\", \"answer\": \"123456789\"}\n");
    for (int i = 5; i <= 12; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "{\"prompt\": \"q%d=\"}\n", i);
    write_file("p.jsonl", text);
    EXPECT_FAIL(&c, "p.jsonl:4: \"answer\"", "got 10 (9 characters + end token)");
    EXPECT_FAIL(&c, "at least 10", NULL);
    c.generate.max_new_tokens = 10;
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "max_new_tokens 10: %s", err.msg);
    task_free(&t);
    c.generate.max_new_tokens = 8;
    // eval file
    write_prompts("p.jsonl", 12, 0, NULL);
    strcpy(c.task.eval_file, "e.jsonl");
    write_file("e.jsonl",
               "{\"prompt\": \"e1=\", \"answer\": \"1\"}\n{\"prompt\": \"e2=\"}\n"
               "{\"prompt\": \"e3=\", \"answer\": \"1234567\"}\n");
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "7-character eval answer: %s", err.msg);
    task_free(&t);
    write_file("e.jsonl",
               "{\"prompt\": \"e1=\", \"answer\": \"1\"}\n{\"prompt\": \"e2=\"}\n"
               "{\"prompt\": \"e3=\", \"answer\": \"123456789012\"}\n");
    EXPECT_FAIL(&c, "e.jsonl:3: \"answer\": expected at most generate.max_new_tokens 8 tokens",
                "got 13 (12 characters + end token)");
    c.task.eval_file[0] = 0;
    // SFT instruction line's "response"
    strcpy(c.task.sft_file, "s.jsonl");
    write_file("s.jsonl",
               "{\"prompt\": \"a=\", \"response\": \"b\"}\n"
               "{\"prompt\": \"c=\", \"response\": \"1234567\"}\n");
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "7-character response: %s", err.msg);
    task_free(&t);
    write_file("s.jsonl",
               "{\"prompt\": \"a=\", \"response\": \"b\"}\n"
               "{\"prompt\": \"c=\", \"response\": \"12345678\"}\n");
    EXPECT_FAIL(&c,
                "s.jsonl:2: \"response\": expected at most generate.max_new_tokens 8 tokens "
                "(response + end token), got 9",
                "at least 9");
    // an evaluation line's "response" is judged, not generated: any length that fits max_seq_len
    write_file("s.jsonl",
               "{\"prompt\": \"a=\", \"response\": \"b\"}\n"
               "{\"prompt\": \"c=\", \"response\": \"123456789012\", \"verdict\": "
               "false, \"rationale\": \"1234567\"}\n");
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "7-character rationale: %s", err.msg);
    task_free(&t);
    // the rationale is decoded with max_new_tokens - 1 = 7 tokens, then the verdict
    write_file("s.jsonl",
               "{\"prompt\": \"a=\", \"response\": \"b\"}\n"
               "{\"prompt\": \"c=\", \"response\": \"1\", \"verdict\": "
               "false, \"rationale\": \"12345678\"}\n");
    EXPECT_FAIL(&c,
                "s.jsonl:2: \"rationale\": expected at most generate.max_new_tokens 8 tokens "
                "(rationale + verdict), got 9 (8 characters + verdict)",
                "max_new_tokens - 1 = 7 tokens");
    EXPECT_FAIL(&c, "set generate.max_new_tokens to at least 9", NULL);
    // without task.judge_rationale the rationale is not read, so not checked
    c.task.judge_rationale = 0;
    CHECK_MSG(jsonl_task_load(&t, &c, cs, &err) == 0, "unused rationale: %s", err.msg);
    task_free(&t);
    c.task.judge_rationale = 1;
    c.task.sft_file[0] = 0;
}

int main(void) {
    test_good_round_trip();
    test_auto_charset();
    test_bad_lines();
    test_bad_sft_and_eval();
    test_arith_entry();
    test_levels();
    test_generated_lengths();
    CHECK_EQ_I64(alloc_live_bytes("task_text") + alloc_live_bytes("jsonl_text") +
                     alloc_live_bytes("jsonl_records") + alloc_live_bytes("jsonl_line"),
                 0);
    return check_report();
}
