/* tests/test_config.c — io/config: defaults, round trips, the shipped configs, --set overrides,
   cross-field rules, and every kind of bad input (one clear message, a negative return, no crash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/config.h"
#include "util/alloc.h"

static ErrMsg err;

// Parses text (plus sets) into a fresh Config; returns the rc, message in err.
static int parse(Config *c, const char *text, const char *const *sets, int n_sets) {
    err.msg[0] = 0;
    return config_parse(c, text, "x.json", sets, n_sets, &err);
}

// Expects text to fail with a message containing want (and one line only).
#define EXPECT_FAIL(text, want)    expect_fail(text, NULL, 0, want, __LINE__)
#define EXPECT_SET_FAIL(set, want) expect_fail(NULL, (const char *const[]){set}, 1, want, __LINE__)
static void expect_fail(const char *text, const char *const *sets, int n, const char *want,
                        int line) {
    Config c;
    int rc = parse(&c, text, sets, n);
    CHECK_MSG(rc == -1, "line %d: expected failure, got rc %d", line, rc);
    CHECK_MSG(strstr(err.msg, want) != NULL, "line %d: message \"%s\" lacks \"%s\"", line, err.msg,
              want);
    CHECK_MSG(!strchr(err.msg, '\n'), "line %d: message spans lines: %s", line, err.msg);
}

// Expects text to parse; returns the config.
static Config expect_ok(const char *text, const char *const *sets, int n, int line) {
    Config c;
    int rc = parse(&c, text, sets, n);
    CHECK_MSG(rc == 0, "line %d: expected success, got: %s", line, err.msg);
    return c;
}
#define EXPECT_OK(text) expect_ok(text, NULL, 0, __LINE__)

// config_parse(config_to_json(c)) must give back c byte for byte.
static void check_round_trip(const Config *c, const char *what) {
    char *json = config_to_json(c);
    Config back;
    int rc = config_parse(&back, json, what, NULL, 0, &err);
    CHECK_MSG(rc == 0, "%s: resolved JSON does not parse: %s", what, err.msg);
    char diff[512];
    CHECK_MSG(config_diff(c, &back, 0, diff, sizeof diff) == 0, "%s: differs in %s", what, diff);
    CHECK_MSG(memcmp(c, &back, sizeof back) == 0, "%s: round trip not byte-identical", what);
    xfree(json);
}

static void test_defaults(void) {
    Config d;
    config_defaults(&d);
    CHECK_TRUE(config_check(&d, "defaults", &err) == 0);
    CHECK_EQ_I64(d.run.seed, 1234);
    CHECK_EQ_I64(d.model.n_layer, 4);
    CHECK_EQ_I64(d.model.n_embd, 128);
    CHECK_TRUE(strcmp(d.tokenizer.charset, TOKENIZER_DEFAULT_CHARSET) == 0);
    CHECK_EQ_I64(d.n_judges, 3);
    CHECK_TRUE(strcmp(d.judges[0].name, "llm_judge") == 0 && d.judges[0].weight == 1.0);
    CHECK_TRUE(strcmp(d.judges[2].name, "self_consistency") == 0);
    CHECK_TRUE(strcmp(d.train.loss, "dpo") == 0);
    CHECK_TRUE(d.train.inpo_tau == 0.005 / 3);
    CHECK_TRUE(d.aggregate.allow_oracle == 0);
    check_round_trip(&d, "defaults");

    char *json = config_defaults_json();
    Config back = EXPECT_OK(json);
    CHECK_TRUE(memcmp(&d, &back, sizeof d) == 0);
    CHECK_TRUE(strstr(json, "\"inpo_tau\": 0.0016666666666666668") != NULL);
    CHECK_TRUE(strstr(json, "\"weight\": 1.0") != NULL);
    xfree(json);
    // An empty object and no text at all both give the defaults.
    back = EXPECT_OK("{ }");
    CHECK_TRUE(memcmp(&d, &back, sizeof d) == 0);
    back = EXPECT_OK(NULL);
    CHECK_TRUE(memcmp(&d, &back, sizeof d) == 0);
}

static void test_shipped_configs(void) {
    const char *dir = getenv("CONCORD_SOURCE_DIR");
    CHECK_MSG(dir != NULL, "CONCORD_SOURCE_DIR is not set");
    if (!dir) return;
    char path[1024];
    Config c;
    snprintf(path, sizeof path, "%s/configs/default.json", dir);
    CHECK_MSG(config_load(&c, path, NULL, 0, &err) == 0, "%s", err.msg);
    // The shipped default config (the demo's recipe) lists every key, resolved and in table order,
    // byte for byte: regenerate it with `concord config configs/default.json` when a key is added.
    FILE *f = fopen(path, "rb");
    char text[16384];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[n] = 0;
    char *json = config_to_json(&c);
    CHECK_MSG(strcmp(text, json) == 0,
              "configs/default.json is not its own resolved form "
              "(config_to_json): a key is missing or out of order");
    xfree(json);
    snprintf(path, sizeof path, "%s/configs/tiny.json", dir);
    CHECK_MSG(config_load(&c, path, NULL, 0, &err) == 0, "%s", err.msg);
    CHECK_EQ_I64(c.model.n_layer, 2);
    CHECK_EQ_I64(c.model.n_head, 2);
    CHECK_EQ_I64(c.model.n_embd, 32);
    CHECK_EQ_I64(c.model.max_seq_len, 32);
    CHECK_EQ_I64(c.task.arith.digits, 1);
    CHECK_EQ_I64(c.rounds.count, 2);
    check_round_trip(&c, "tiny.json");
}

static void test_values_and_round_trip(void) {
    Config c = EXPECT_OK(
        "{\"run\": {\"run_dir\": \"runs/a \\\"b\\\"\\\\c\\td\", \"seed\": 9007199254740991,"
        "           \"max_wall_seconds\": 3600.5},"
        " \"model\": {\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 32, \"init\": \"ckpt/x.h5\"},"
        " \"task\": {\"arith\": {\"digits\": 3, \"operators\": \"*+-\"},"
        "          \"answer_regex\": \"([0-9]+)$\", \"judge_template\": \"Q {prompt} A "
        "{answer}?\"},"
        " \"tokenizer\": {\"charset\": \"0123456789+-*=?YN QA\"},"
        " \"train\": {\"loss\": \"inpo\", \"beta\": 0.30000000000000004, \"eps\": 1e-300,"
        "           \"optimizer\": {\"lr\": 3e-4, \"beta2\": 0.999}},"
        " \"judges\": [{\"name\": \"implicit\", \"weight\": 0.25},"
        "             {\"name\": \"prev_round\", \"options\": {\"of\": \"implicit\"}}],"
        " \"aggregate\": {\"mode\": \"cream\", \"judge\": \"implicit\", \"allow_oracle\": true}}");
    CHECK_TRUE(strcmp(c.run.run_dir, "runs/a \"b\"\\c\td") == 0);
    CHECK_EQ_I64(c.run.seed, 9007199254740991LL);
    CHECK_TRUE(c.train.beta == 0.1 + 0.2);
    CHECK_TRUE(c.train.eps == 1e-300);
    CHECK_EQ_I64(c.n_judges, 2);
    CHECK_TRUE(strcmp(c.judges[1].of, "implicit") == 0 && c.judges[1].weight == 1.0);
    CHECK_TRUE(c.judges[0].weight == 0.25);
    CHECK_TRUE(c.aggregate.allow_oracle == 1);
    CHECK_EQ_I64(c.generate.samples_per_prompt, 8);  // untouched keys keep their defaults
    check_round_trip(&c, "custom");

    GPTConfig g;
    config_model(&c, 24, &g);
    CHECK_TRUE(g.V == 24 && g.Vp == 64 && g.L == 2 && g.NH == 2 && g.C == 32 && g.T == 64);
    config_model(&c, 65, &g);
    CHECK_EQ_I64(g.Vp, 128);
    AdamWConfig a;
    config_adamw(&c, &a);
    CHECK_NEAR(a.lr, 3e-4, 1e-9);
    CHECK_NEAR(a.beta2, 0.999, 1e-7);
    CHECK_EQ_I64(a.total_steps, 0);
    config_adamw_sft(&c, &a);
    CHECK_NEAR(a.lr, c.sft.lr, 1e-9);
    CHECK_EQ_I64(a.total_steps, c.sft.steps);
    CHECK_EQ_I64(a.warmup_steps, c.sft.warmup_steps);
    CHECK_EQ_I64(config_judge_index(&c, "prev_round"), 1);
    CHECK_EQ_I64(config_judge_index(&c, "llm_judge"), -1);
}

static void test_malformed(void) {
    EXPECT_FAIL("{\n  \"run\": {\n    \"seed\": 12,,\n  }\n}",
                "x.json:3:16: malformed JSON near ',");
    EXPECT_FAIL("{\"run\": {\"seed\": 12}", "x.json:1:21: malformed JSON: unexpected end of input");
    EXPECT_FAIL("{\"run\": {}} trailing", "x.json:1:13: malformed JSON near 'trailing'");
    EXPECT_FAIL("{'run': 1}", "x.json:1:2: malformed JSON");
    EXPECT_FAIL("// comment\n{}", "x.json:1:1: malformed JSON");
    EXPECT_FAIL("", "x.json: empty, expected a JSON object");
    EXPECT_FAIL("  \n ", "x.json: empty");
    EXPECT_FAIL("[1, 2]", "x.json: top level: expected a JSON object, got an array");
    EXPECT_FAIL("{\"run\": {\"seed\": 1, \"seed\": 2}}", "x.json: duplicate key \"run.seed\"");
    EXPECT_FAIL("{\"run.seed\": 1}", "unknown key \"run.seed\" (keys are nested objects");
    EXPECT_FAIL("{\"\": 1}", "unknown key \"\"");
    EXPECT_FAIL("{\"run\": {\"a\\nb\": 1}}", "unknown key \"run.a\\x0ab\"");
    EXPECT_FAIL("{\"a\": 1x}", "x.json:1:8: malformed JSON near 'x}'");
    EXPECT_FAIL("{\"a\": 1,}", "x.json:1:9: malformed JSON near '}'");
    EXPECT_FAIL("{a: 1}", "x.json:1:2: malformed JSON near 'a: 1}'");
}

static void test_unknown_keys(void) {
    EXPECT_FAIL("{\"train\": {\"bta\": 0.1}}",
                "x.json: unknown key \"train.bta\" (did you mean \"train.beta\"?)");
    EXPECT_FAIL("{\"trian\": {}}", "unknown key \"trian\" (did you mean \"train\"?)");
    EXPECT_FAIL("{\"model\": {\"n_layers\": 2}}", "(did you mean \"model.n_layer\"?)");
    EXPECT_FAIL("{\"train\": {\"lr\": 0.1}}", "(did you mean \"train.optimizer.lr\"?)");
    EXPECT_FAIL("{\"optimizer\": {}}",
                "unknown key \"optimizer\" (did you mean \"train.optimizer\"?)");
    EXPECT_FAIL("{\"zzzzzzzz\": 1}", "x.json: unknown key \"zzzzzzzz\"");
    EXPECT_FAIL("{\"train\": {\"optimizer\": {\"wd\": 0.1}}}",
                "unknown key \"train.optimizer.wd\"");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"implicit\", \"wieght\": 2}]}",
                "unknown key \"judges[0].wieght\" (did you mean \"judges[0].weight\"?)");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"prev_round\", \"options\": {\"off\": \"implicit\"}}]}",
                "unknown key \"judges[0].options.off\" (did you mean \"judges[0].options.of\"?)");
}

static void test_types_and_ranges(void) {
    EXPECT_FAIL("{\"train\": {\"beta\": \"abc\"}}",
                "x.json: train.beta: expected a number in (0, 100], got \"abc\"");
    EXPECT_FAIL("{\"train\": {\"beta\": 0}}", "train.beta: expected a number in (0, 100], got 0");
    EXPECT_FAIL("{\"train\": {\"eps\": 0.5}}", "train.eps: expected a number in [0, 0.5), got 0.5");
    EXPECT_FAIL("{\"model\": {\"n_layer\": 2.5}}",
                "model.n_layer: expected an integer in [1, 128], got 2.5");
    EXPECT_FAIL("{\"model\": {\"n_layer\": true}}",
                "model.n_layer: expected an integer in [1, 128], got true");
    EXPECT_FAIL("{\"model\": {\"n_layer\": 1e999}}", "model.n_layer: expected an integer");
    EXPECT_FAIL("{\"run\": {\"seed\": 9007199254740992}}",
                "run.seed: expected an integer in [0, 9007199254740991]");
    EXPECT_FAIL("{\"run\": {\"max_wall_seconds\": -1}}", "expected a number >= 0, got -1");
    EXPECT_FAIL("{\"run\": {\"stuck_timeout\": 0.5}}",
                "x.json: run.stuck_timeout: expected 0 (off) or at least 1 second, got 0.5");
    EXPECT_FAIL("{\"run\": {\"stuck_timeout\": -1}}",
                "run.stuck_timeout: expected a number in [0, 1000000]");
    EXPECT_FAIL("{\"run\": {\"run_dir\": 5}}",
                "run.run_dir: expected a string of at most 511 characters, got 5");
    EXPECT_FAIL("{\"run\": {\"run_dir\": \"\"}}",
                "run.run_dir: expected a non-empty string, got \"\"");
    EXPECT_FAIL("{\"run\": {\"run_dir\": null}}", "got null");
    EXPECT_FAIL("{\"run\": 3}", "x.json: run: expected an object, got 3");
    EXPECT_FAIL("{\"train\": {\"optimizer\": []}}",
                "train.optimizer: expected an object, got an array");
    EXPECT_FAIL("{\"aggregate\": {\"allow_oracle\": 1}}",
                "aggregate.allow_oracle: expected true or false, got 1");
    EXPECT_FAIL(
        "{\"train\": {\"loss\": \"dop\"}}",
        "train.loss: expected one of \"sft\", \"dpo\", \"cdpo\", \"rdpo\", \"ipo\", \"inpo\", "
        "\"sppo\", got \"dop\" (did you mean \"dpo\"?)");
    EXPECT_FAIL("{\"task\": {\"arith\": {\"operators\": \"+/\"}}}",
                "task.arith.operators: expected a non-empty set of distinct operators from "
                "\"+-*\", got \"+/\"");
    EXPECT_FAIL("{\"task\": {\"arith\": {\"operators\": \"++\"}}}", "task.arith.operators");
    EXPECT_FAIL("{\"task\": {\"answer_regex\": \"([0-9]\"}}",
                "task.answer_regex: expected a POSIX extended regular expression");
    EXPECT_FAIL("{\"task\": {\"judge_template\": \"{prompt}?\"}}",
                "task.judge_template: expected a template with {prompt} and {answer}");
    EXPECT_FAIL("{\"tokenizer\": {\"charset\": \"0123456789+-=?YN 0\"}}",
                "expected distinct characters ('0' repeats");
    EXPECT_FAIL("{\"tokenizer\": {\"charset\": \"ab\\u0001\"}}",
                "expected printable ASCII characters");
    char big[700];
    snprintf(big, sizeof big, "{\"model\": {\"init\": \"%0600d\"}}", 7);
    EXPECT_FAIL(big, "model.init: expected a string of at most 511 characters, got 600");
    EXPECT_FAIL("{\"judges\": []}", "judges: expected an array of 1 to 8 judge objects");
    EXPECT_FAIL("{\"judges\": {\"name\": \"implicit\"}}", "judges: expected an array");
    EXPECT_FAIL("{\"judges\": [3]}", "judges[0]: expected an object");
    EXPECT_FAIL("{\"judges\": [{\"weight\": 2}]}", "judges[0]: missing \"name\"");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"llm_jugde\"}]}", "(did you mean \"llm_judge\"?)");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"implicit\", \"weight\": -1}]}",
                "judges[0].weight: expected a number in [0, 1000], got -1");
}

static void test_cross_field(void) {
    EXPECT_FAIL("{\"model\": {\"n_embd\": 30, \"n_head\": 4}}",
                "x.json: model.n_head: expected a divisor of model.n_embd (30), got 4");
    EXPECT_FAIL("{\"train\": {\"inpo_tau\": 0.01}}",
                "train.inpo_tau: expected at most train.inpo_eta");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"prev_round\"}, {\"name\": \"implicit\"}]}",
                "judges[0].options.of: prev_round needs options.of");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"prev_round\", \"options\": {\"of\": \"likelihood\"}}]}",
                "judges[0].options.of: \"likelihood\" is not a configured judge");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"implicit\", \"options\": {\"of\": \"implicit\"}}]}",
                "judges[0].options.of: only prev_round takes options.of");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"implicit\"}, {\"name\": \"implicit\"}]}",
                "judges[1].name: \"implicit\" is configured twice");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"implicit\", \"weight\": 0}]}",
                "judges: expected at least one judge with weight > 0");
    EXPECT_FAIL("{\"judges\": [{\"name\": \"oracle\"}]}",
                "judges[0].name: the oracle judge uses ground truth and is refused");
    EXPECT_OK("{\"judges\": [{\"name\": \"oracle\"}], \"aggregate\": {\"allow_oracle\": true}}");
    EXPECT_FAIL("{\"aggregate\": {\"mode\": \"single\", \"judge\": \"likelihood\"}}",
                "aggregate.judge: \"likelihood\" is not a configured judge");
    EXPECT_OK("{\"aggregate\": {\"mode\": \"single\", \"judge\": \"implicit\"}}");
    EXPECT_FAIL(
        "{\"aggregate\": {\"mode\": \"cream\"}}",
        "aggregate.mode: \"cream\" needs a prev_round judge with options.of = \"llm_judge\"");
    EXPECT_FAIL("{\"task\": {\"name\": \"jsonl\"}}", "task.prompts_file: task \"jsonl\" needs");
    EXPECT_OK(
        "{\"task\": {\"name\": \"jsonl\", \"prompts_file\": \"p.jsonl\"}, "
        "\"tokenizer\": {\"charset\": \"auto\"}}");
    EXPECT_FAIL("{\"tokenizer\": {\"charset\": \"auto\"}}", "tokenizer.charset: \"auto\" collects");
    EXPECT_FAIL(
        "{\"task\": {\"arith\": {\"operators\": \"+*\"}},"
        " \"tokenizer\": {\"charset\": \"0123456789+-=?YN \"}}",
        "tokenizer.charset: missing '*', which the arith task");
    EXPECT_FAIL("{\"task\": {\"judge_template\": \"{prompt}{answer}!\"}}",
                "tokenizer.charset: missing '!', which llm_judge");
    EXPECT_FAIL("{\"generate\": {\"max_new_tokens\": 3}}",
                "generate.max_new_tokens: expected at least 4 for 2-digit \"+\" arithmetic");
    EXPECT_FAIL("{\"model\": {\"max_seq_len\": 12}}", "model.max_seq_len: expected at least 15");
}

static void test_sets(void) {
    const char *sets[] = {"train.beta=0.25",
                          "run.run_dir=runs/x y",
                          "rounds.count=7",
                          "train.loss=\"ipo\"",
                          "aggregate.allow_oracle=true",
                          "judges=[{\"name\":\"oracle\"},{\"name\":\"likelihood\",\"weight\":2}]",
                          "train.optimizer={\"lr\": 0.002}",
                          "task.answer_regex="};
    Config c = expect_ok("{\"train\": {\"beta\": 0.5}, \"task\": {\"answer_regex\": \"[0-9]+\"}}",
                         sets, 8, __LINE__);
    CHECK_TRUE(c.train.beta == 0.25);
    CHECK_TRUE(strcmp(c.run.run_dir, "runs/x y") == 0);
    CHECK_EQ_I64(c.rounds.count, 7);
    CHECK_TRUE(strcmp(c.train.loss, "ipo") == 0);
    CHECK_EQ_I64(c.n_judges, 2);
    CHECK_TRUE(c.judges[1].weight == 2.0);
    CHECK_TRUE(c.train.optimizer.lr == 0.002 && c.train.optimizer.beta1 == 0.9);
    CHECK_TRUE(c.task.answer_regex[0] == 0);
    check_round_trip(&c, "with sets");

    Config y =
        expect_ok(NULL, (const char *const[]){"run.run_dir=2024", "model.init=null"}, 2, __LINE__);
    CHECK_TRUE(strcmp(y.run.run_dir, "2024") == 0 && strcmp(y.model.init, "null") == 0);
    EXPECT_SET_FAIL("train.bta=1",
                    "--set: unknown key \"train.bta\" (did you mean \"train.beta\"?)");
    EXPECT_SET_FAIL("train.beta=abc",
                    "--set: train.beta: expected a number in (0, 100], got \"abc\"");
    EXPECT_SET_FAIL("model.n_layer=",
                    "--set: model.n_layer: expected an integer in [1, 128], got \"\"");
    EXPECT_SET_FAIL("train.beta", "--set: expected key.path=value, got \"train.beta\"");
    EXPECT_SET_FAIL("=3", "--set: expected key.path=value");
    EXPECT_SET_FAIL("judges.0.weight=2", "judges are set as a whole list");
    EXPECT_SET_FAIL("train=3", "--set: train: expected an object, got 3");
    expect_fail("{}", (const char *const[]){"aggregate.mode=single", "aggregate.judge=likelihood"},
                2, "x.json (with --set): aggregate.judge: \"likelihood\" is not a configured",
                __LINE__);
}

static void test_diff(void) {
    Config a, b;
    config_defaults(&a);
    config_defaults(&b);
    char out[256];
    CHECK_EQ_I64(config_diff(&a, &b, 0, out, sizeof out), 0);
    CHECK_TRUE(out[0] == 0);
    b.rounds.count = 9;
    b.train.beta = 0.2;
    b.judges[1].weight = 3;
    CHECK_EQ_I64(config_diff(&a, &b, 0, out, sizeof out), 3);
    CHECK_MSG(strcmp(out, "rounds.count, judges, train.beta") == 0, "diff list: %s", out);
    CHECK_EQ_I64(config_diff(&a, &b, 1, out, sizeof out), 2);
    CHECK_MSG(strcmp(out, "judges, train.beta") == 0, "diff list: %s", out);
    CHECK_EQ_I64(config_diff(&a, &b, 0, out, 20), 3);
    CHECK_MSG(strlen(out) < 20 && strstr(out, "...") != NULL, "truncated diff: %s", out);
    CHECK_EQ_I64(config_diff(&a, &b, 0, NULL, 0), 3);
}

static void test_files(void) {
    Config c, d;
    config_defaults(&d);
    int rc = config_load(&c, "does/not/exist.json", NULL, 0, &err);
    CHECK_TRUE(rc == -1);
    CHECK_MSG(strstr(err.msg, "does/not/exist.json: cannot open: No such file or directory"), "%s",
              err.msg);
    rc = config_load(&c, ".", NULL, 0, &err);
    CHECK_MSG(rc == -1 && strstr(err.msg, "cannot read"), "directory: %s", err.msg);

    d.train.beta = 0.125;
    CHECK_TRUE(config_save(&d, "test_config_saved.json", &err) == 0);
    const char *sets[] = {"rounds.count=5"};
    CHECK_MSG(config_load(&c, "test_config_saved.json", sets, 1, &err) == 0, "%s", err.msg);
    CHECK_TRUE(c.train.beta == 0.125 && c.rounds.count == 5);
    CHECK_TRUE(config_save(&d, "no/such/dir/c.json", &err) == -1);
    CHECK_MSG(strstr(err.msg, "no/such/dir/c.json: cannot write"), "%s", err.msg);

    FILE *f = fopen("test_config_nul.json", "wb");
    fwrite("{\"run\": {}}\0 ", 1, 13, f);
    fclose(f);
    CHECK_TRUE(config_load(&c, "test_config_nul.json", NULL, 0, &err) == -1);
    CHECK_MSG(strstr(err.msg, "NUL byte at offset 11"), "%s", err.msg);

    f = fopen("test_config_bad.json", "wb");
    fputs("{\n  \"train\": {\n    \"beta\": 0.1\n    \"eps\": 0.1\n  }\n}\n", f);
    fclose(f);
    CHECK_TRUE(config_load(&c, "test_config_bad.json", NULL, 0, &err) == -1);
    CHECK_MSG(strstr(err.msg, "test_config_bad.json:4:5: malformed JSON near '\"eps\": 0.1'"), "%s",
              err.msg);
}

static void test_help(void) {
    char *help = config_help_text();
    const char *keys[] = {"run.seed = 1234", "judges = [", "train.optimizer.grad_clip = 1.0",
                          "checkpoint.compress_level = 0", "expected one of \"sft\", \"dpo\""};
    for (int i = 0; i < 5; i++) CHECK_MSG(strstr(help, keys[i]) != NULL, "help lacks %s", keys[i]);
    xfree(help);
}

// Every truncation and many single-byte mutations of a valid config: rc 0 or -1 with a message,
// never a crash (run under the sanitizers in CI).
static void test_mutations(void) {
    char *json = config_defaults_json();
    size_t n = strlen(json);
    int bad_msgs = 0, failures = 0;
    for (size_t cut = 0; cut < n; cut += 7) {
        char *t = xstrdup("test", json);
        t[cut] = 0;
        Config c;
        int rc = parse(&c, t, NULL, 0);
        failures += rc != 0;
        bad_msgs += rc != 0 && (rc != -1 || !err.msg[0]);
        xfree(t);
    }
    CHECK_TRUE(failures > 0);
    const char bytes[] = "{}[],:\"0-.e9x \\";
    uint64_t s = 42;
    for (int k = 0; k < 3000; k++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        char *t = xstrdup("test", json);
        t[(s >> 20) % n] = bytes[(s >> 40) % (sizeof bytes - 1)];
        Config c;
        int rc = parse(&c, t, NULL, 0);
        int bad = rc != 0 && (rc != -1 || !err.msg[0] || strchr(err.msg, '\n'));
        if (bad) fprintf(stderr, "bad message for mutated config: %s\n", err.msg);
        bad_msgs += bad;
        if (rc == 0) check_round_trip(&c, "mutated");
        xfree(t);
    }
    CHECK_EQ_I64(bad_msgs, 0);
    xfree(json);
}

// model.position: "learned" by default (llm.c's wpe), "none" = NoPE; not resumable.
static void test_position(void) {
    Config d = EXPECT_OK("{}");
    GPTConfig g;
    CHECK_TRUE(strcmp(d.model.position, "learned") == 0);
    config_model(&d, 24, &g);
    CHECK_TRUE(g.position == GPT_POS_LEARNED);
    Config n = EXPECT_OK("{\"model\": {\"position\": \"none\"}}");
    config_model(&n, 24, &g);
    CHECK_TRUE(g.position == GPT_POS_NONE && g.T == 64);
    check_round_trip(&n, "position none");
    Config s = expect_ok(NULL, (const char *const[]){"model.position=\"none\""}, 1, __LINE__);
    CHECK_TRUE(strcmp(s.model.position, "none") == 0);
    char out[128];
    CHECK_EQ_I64(config_diff(&d, &n, 1, out, sizeof out), 1);
    CHECK_TRUE(strcmp(out, "model.position") == 0);
    EXPECT_FAIL("{\"model\": {\"position\": \"rope\"}}",
                "x.json: model.position: expected one of \"learned\", \"none\", \"abacus\", got "
                "\"rope\"");
    EXPECT_FAIL("{\"model\": {\"position\": \"nope\"}}", "(did you mean \"none\"?)");
    EXPECT_FAIL("{\"model\": {\"position\": 0}}", "model.position: expected one of");
    EXPECT_SET_FAIL("model.position=learnt", "--set: model.position: expected one of");
    // abacus: the shift applies to it alone and leaves room in wpe; digits in order in the charset
    Config a = EXPECT_OK("{\"model\": {\"position\": \"abacus\", \"abacus_offset\": 20}}");
    config_model(&a, 24, &g);
    CHECK_TRUE(g.position == GPT_POS_ABACUS && g.abacus_offset == 20 && g.digit0 == 0);
    check_round_trip(&a, "position abacus");
    EXPECT_FAIL(
        "{\"model\": {\"abacus_offset\": 3}}",
        "x.json: model.abacus_offset: applies to model.position \"abacus\" only, expected 0 "
        "with \"learned\", got 3");
    EXPECT_FAIL("{\"model\": {\"position\": \"abacus\", \"abacus_offset\": 63}}",
                "x.json: model.abacus_offset: expected at most model.max_seq_len - 2 = 62, got 63");
    EXPECT_FAIL(
        "{\"model\": {\"position\": \"abacus\"}, \"tokenizer\": {\"charset\": "
        "\"9876543210+=\"}}",
        "x.json: tokenizer.charset: model.position \"abacus\" needs the digits \"0123456789\" "
        "together and in order");
}

// model.arch and the llama keys: defaults, resolution into GPTConfig, and the cross-field rules.
static void test_arch(void) {
    GPTConfig g;
    Config d = EXPECT_OK("{}");
    config_model(&d, 24, &g);
    CHECK_TRUE(g.arch == GPT_ARCH_GPT2 && g.KV == 0 && g.F == 0 && g.rope_theta == 0.0f &&
               g.untied == 0);
    Config l = EXPECT_OK(
        "{\"model\": {\"arch\": \"llama\", \"n_embd\": 576, \"n_head\": 9, "
        "\"n_kv_head\": 3, \"rope_theta\": 100000}}");
    config_model(&l, 49152, &g);
    ErrMsg e;
    CHECK_MSG(gpt_config_check(&g, &e) == 0, "%s", e.msg);
    CHECK_TRUE(g.arch == GPT_ARCH_LLAMA && g.KV == 3 && g.F == 1536 && g.rope_theta == 100000.0f &&
               g.norm_eps == 1e-5f && g.untied == 0);  // F: 8*576/3 = 1536 (SmolLM2's width)
    check_round_trip(&l, "arch llama");
    Config u = EXPECT_OK(
        "{\"model\": {\"arch\": \"llama\", \"ffn_hidden\": 100, "
        "\"tie_embeddings\": false}}");
    config_model(&u, 24, &g);
    CHECK_TRUE(g.KV == g.NH && g.F == 100 && g.untied == 1);
    EXPECT_FAIL("{\"model\": {\"arch\": \"llama2\"}}",
                "x.json: model.arch: expected one of \"gpt2\", \"llama\", got \"llama2\"");
    EXPECT_FAIL("{\"model\": {\"n_kv_head\": 2}}",
                "x.json: model.n_kv_head: applies to model.arch \"llama\" only, expected 0 with "
                "\"gpt2\", got 2");
    EXPECT_FAIL("{\"model\": {\"arch\": \"llama\", \"n_kv_head\": 3}}",
                "x.json: model.n_kv_head: expected a divisor of model.n_head (4), got 3");
    EXPECT_FAIL("{\"model\": {\"arch\": \"llama\", \"n_embd\": 12, \"n_head\": 4}}",
                "model.n_head: rotary embeddings rotate pairs of channels, so the head size n_embd "
                "/ n_head must be even, got 12 / 4 = 3");
    EXPECT_FAIL("{\"model\": {\"arch\": \"llama\", \"position\": \"none\"}}",
                "x.json: model.position: llama encodes positions with rotary embeddings");
    EXPECT_FAIL("{\"model\": {\"arch\": \"llama\", \"rope_theta\": 0}}", "model.rope_theta:");
    EXPECT_FAIL("{\"model\": {\"arch\": \"llama\", \"norm_eps\": -1}}", "model.norm_eps:");
    // the model-level check behind every entry point (imports, checkpoints)
    GPTConfig bad = g;
    bad.KV = 3;
    CHECK_TRUE(gpt_config_check(&bad, &e) < 0 && strstr(e.msg, "key/value heads (3)"));
    bad = g, bad.rope_theta = -1.0f;
    CHECK_TRUE(gpt_config_check(&bad, &e) < 0 && strstr(e.msg, "rope_theta"));
    bad = g, bad.arch = GPT_ARCH_GPT2;
    CHECK_TRUE(gpt_config_check(&bad, &e) < 0 && strstr(e.msg, "apply to llama only"));
    bad = g, bad.arch = (ModelArch)7;
    CHECK_TRUE(gpt_config_check(&bad, &e) < 0 && strstr(e.msg, "unknown architecture 7"));
}

// task.arith.reversed / fresh_rounds and task.levels.*: values, ranges and cross-field rules.
static void test_task_levels(void) {
    Config c = EXPECT_OK(
        "{\"task\": {\"arith\": {\"reversed\": true, \"fresh_rounds\": true}, "
        "\"levels\": {\"sft_min\": 1, \"sft_max\": 3, \"schedule\": \"4,5,5\", "
        "\"replay\": 0.25, \"eval_max\": 6}}, \"model\": {\"max_seq_len\": 64}}");
    CHECK_TRUE(c.task.arith.reversed && c.task.arith.fresh_rounds);
    CHECK_EQ_I64(c.task.levels.sft_max, 3);
    CHECK_TRUE(strcmp(c.task.levels.schedule, "4,5,5") == 0);
    check_round_trip(&c, "levels");
    expect_fail(NULL, (const char *const[]){"task.arith.reversed=true", "task.arith.operators=-"},
                2, "task.arith.reversed", __LINE__);
    EXPECT_FAIL("{\"task\": {\"arith\": {\"reversed\": true, \"operators\": \"+-\"}}}",
                "task.arith.operators");
    EXPECT_SET_FAIL("task.levels.schedule=3,2",
                    "task.levels.schedule: expected non-decreasing levels, got \"3,2\"");
    EXPECT_SET_FAIL("task.levels.schedule=1,x", "task.levels.schedule");
    EXPECT_SET_FAIL("task.levels.replay=1", "task.levels.replay");
    EXPECT_SET_FAIL("task.levels.replay=-0.1", "task.levels.replay");
    EXPECT_SET_FAIL("task.levels.replay=0.5", "needs task.levels.schedule");
    EXPECT_SET_FAIL("task.levels.sft_min=2", "task.levels.sft_max");
    EXPECT_SET_FAIL("task.levels.operands=both", "task.levels.operands");
    EXPECT_SET_FAIL("task.arith.pad_to=4", "needs task.arith.reversed");
    expect_fail(NULL,
                (const char *const[]){"task.arith.reversed=true", "task.arith.pad_to=2",
                                      "task.levels.sft_max=3"},
                3, "task.arith.pad_to: expected 0 or at least the longest operand (3", __LINE__);
    EXPECT_SET_FAIL("task.levels.operands=mixed", "needs levels");
    expect_fail(NULL,
                (const char *const[]){"task.levels.operands=mixed", "task.levels.sft_max=2",
                                      "task.levels.eval_max=10"},
                3, "go up to 9 digits", __LINE__);
    EXPECT_SET_FAIL("task.levels.advance_min_agreement=0.5", "needs task.levels.schedule");
    EXPECT_SET_FAIL("task.levels.advance_min_agreement=1.5", "task.levels.advance_min_agreement");
    EXPECT_SET_FAIL("task.levels.advance_min_agreement=-0.5", "task.levels.advance_min_agreement");
    expect_fail(NULL,
                (const char *const[]){"task.levels.schedule=\"2,3\"",
                                      "task.levels.advance_min_agreement=0.5", "rounds.count=64"},
                3, "rounds.count: at most 63 with task.levels.advance_min_agreement", __LINE__);
    EXPECT_SET_FAIL("task.levels.sft_max=19", "task.levels.sft_max");
    EXPECT_FAIL("{\"task\": {\"levels\": {\"sft_min\": 3, \"sft_max\": 2}}}",
                "task.levels.sft_min");
    EXPECT_FAIL(
        "{\"task\": {\"arith\": {\"operators\": \"*\"}, \"levels\": "
        "{\"schedule\": \"10\"}}, \"model\": {\"max_seq_len\": 128}, "
        "\"generate\": {\"max_new_tokens\": 24}}",
        "overflow");
    // the longest level sets the sequence room: 8-digit operands need 1 + 18 + 10 tokens
    EXPECT_FAIL(
        "{\"task\": {\"levels\": {\"schedule\": \"8\"}}, \"judges\": "
        "[{\"name\": \"implicit\"}], \"aggregate\": {\"mode\": \"mean\"}}",
        "generate.max_new_tokens");
}

int main(void) {
    test_defaults();
    test_shipped_configs();
    test_values_and_round_trip();
    test_malformed();
    test_unknown_keys();
    test_types_and_ranges();
    test_cross_field();
    test_sets();
    test_diff();
    test_files();
    test_help();
    test_mutations();
    test_task_levels();
    test_position();
    test_arch();
    return check_report();
}
