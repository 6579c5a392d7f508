/* tests/test_text_io.c — the config keys of text tasks (tokenizer.kind/files, task.prompt_template,
   generate.stop, llm_judge's score-mode options, task.chat_template/system_prompt: defaults, round
   trip through config_to_json, each bad value's message) and
   io/jsonl with a BPE tokenizer: the template applied to every prompt, lengths counted in BPE
   tokens (a line that does not fit names its file, line and field; with chatml its turns count).
   The BPE is tests/text/bpe, and tests/smol_tokenizer_fixture.h's for the chat template.
   Files are written in the test's working directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/config.h"
#include "io/jsonl.h"
#include "smol_tokenizer_fixture.h"
#include "util/alloc.h"

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

static int parse(Config *c, const char *text) {
    return config_parse(c, text, "t.json", NULL, 0, &err);
}

#define EXPECT_BAD(text, needle)                                                                \
    do {                                                                                        \
        Config c_;                                                                              \
        CHECK_MSG(parse(&c_, text) != 0 && strstr(err.msg, needle), "%s -> %s", text, err.msg); \
    } while (0)

static void test_config_keys(void) {
    Config c;
    CHECK_TRUE(parse(&c, "{}") == 0);
    CHECK_TRUE(strcmp(c.tokenizer.kind, "char") == 0 && c.tokenizer.files[0] == '\0');
    CHECK_TRUE(strcmp(c.task.prompt_template, "{prompt}") == 0);
    CHECK_EQ_I64(c.generate.stop.n, 0);
    const char *good =
        "{\"tokenizer\": {\"kind\": \"bpe\", \"files\": \"x/bpe\"}, \"task\": {\"name\": \"jsonl\","
        " \"prompts_file\": \"p.jsonl\", \"prompt_template\": \"Q: {prompt}\\nA:\"},"
        " \"generate\": {\"stop\": [\"\\n\", \"###\"]}}";
    CHECK_MSG(parse(&c, good) == 0, "%s", err.msg);
    CHECK_EQ_I64(c.generate.stop.n, 2);
    CHECK_TRUE(strcmp(c.generate.stop.text[0], "\n") == 0 &&
               strcmp(c.generate.stop.text[1], "###") == 0);
    CHECK_TRUE(strcmp(c.task.prompt_template, "Q: {prompt}\nA:") == 0);
    // the resolved form reads back as the same config
    char *json = config_to_json(&c);
    Config back;
    CHECK_MSG(parse(&back, json) == 0, "%s", err.msg);
    CHECK_EQ_I64(config_diff(&c, &back, 0, NULL, 0), 0);
    CHECK_TRUE(strstr(json, "\"stop\": [\"\\n\", \"###\"]") != NULL);
    xfree(json);
    // a changed stop list is a difference
    back.generate.stop.n = 1;
    memset(back.generate.stop.text[1], 0, sizeof back.generate.stop.text[1]);
    CHECK_EQ_I64(config_diff(&c, &back, 0, NULL, 0), 1);

    EXPECT_BAD("{\"tokenizer\": {\"kind\": \"wordpiece\"}}", "tokenizer.kind: expected one of");
    EXPECT_BAD(
        "{\"tokenizer\": {\"kind\": \"bpe\"}, \"task\": {\"name\": \"jsonl\", "
        "\"prompts_file\": \"p\"}}",
        "tokenizer.files: tokenizer.kind \"bpe\" needs the BPE from model.init's checkpoint "
        "or from tokenizer.files");
    EXPECT_BAD("{\"tokenizer\": {\"files\": \"x\"}}",
               "tokenizer.files: applies to tokenizer.kind "
               "\"bpe\" only");
    EXPECT_BAD("{\"tokenizer\": {\"kind\": \"bpe\", \"files\": \"x\"}}",
               "tokenizer.kind: \"bpe\" serves JSONL text tasks");
    EXPECT_BAD(
        "{\"task\": {\"name\": \"jsonl\", \"prompts_file\": \"p\", \"prompt_template\": "
        "\"no placeholder\"}}",
        "task.prompt_template: expected a template with {prompt} once");
    EXPECT_BAD("{\"task\": {\"prompt_template\": \"Q {prompt}\"}}",
               "task.prompt_template: applies to task.name \"jsonl\" only");
    EXPECT_BAD("{\"generate\": {\"stop\": \"\\n\"}}", "generate.stop: expected an array");
    EXPECT_BAD("{\"generate\": {\"stop\": [\"\"]}}",
               "generate.stop[0]: expected a non-empty string");
    EXPECT_BAD("{\"generate\": {\"stop\": [\"a\", 3]}}", "generate.stop[1]: expected a non-empty");
    EXPECT_BAD(
        "{\"generate\": {\"stop\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}}",
        "generate.stop: expected at most 8 strings, got 9");
}

// llm_judge options of the score mode: parsed, written back only when given, each misuse named.
static void test_judge_options(void) {
    Config c, back;
    const char *score =
        "{\"judges\": [{\"name\": \"llm_judge\", \"options\": {\"mode\": \"score\", "
        "\"template\": \"j.txt\", \"max_new_tokens\": 40}}, {\"name\": \"likelihood\"}]}";
    CHECK_MSG(parse(&c, score) == 0, "%s", err.msg);
    CHECK_TRUE(strcmp(c.judges[0].mode, "score") == 0 &&
               strcmp(c.judges[0].template_file, "j.txt") == 0);
    CHECK_EQ_I64(c.judges[0].max_new_tokens, 40);
    char *json = config_to_json(&c);
    CHECK_MSG(
        strstr(json, "{\"mode\": \"score\", \"template\": \"j.txt\", \"max_new_tokens\": 40}"),
        "%s", json);
    CHECK_MSG(parse(&back, json) == 0, "%s", err.msg);
    CHECK_EQ_I64(config_diff(&c, &back, 0, NULL, 0), 0);
    xfree(json);
    back.judges[0].max_new_tokens = 41;
    CHECK_EQ_I64(config_diff(&c, &back, 0, NULL, 0), 1);
    // the default judges write no options: configs keep their text
    CHECK_TRUE(parse(&c, "{}") == 0);
    json = config_to_json(&c);
    CHECK_MSG(strstr(json, "\"options\": {}") && !strstr(json, "\"options\": {\""), "%s", json);
    xfree(json);

    EXPECT_BAD("{\"judges\": [{\"name\": \"llm_judge\", \"options\": {\"mode\": \"stars\"}}]}",
               "judges[0].options.mode: expected one of \"verdict\", \"score\"");
    EXPECT_BAD("{\"judges\": [{\"name\": \"likelihood\", \"options\": {\"mode\": \"score\"}}]}",
               "judges[0].options.mode: only llm_judge takes options.mode");
    EXPECT_BAD("{\"judges\": [{\"name\": \"llm_judge\", \"options\": {\"template\": \"j\"}}]}",
               "judges[0].options.template: applies to llm_judge with options.mode \"score\" only");
    EXPECT_BAD(
        "{\"judges\": [{\"name\": \"llm_judge\", \"options\": {\"mode\": \"score\", "
        "\"max_new_tokens\": 0}}]}",
        "judges[0].options.max_new_tokens: expected an integer in [1, 16384]");
    EXPECT_BAD("{\"judges\": [{\"name\": \"llm_judge\", \"options\": {\"mdoe\": \"score\"}}]}",
               "unknown key \"judges[0].options.mdoe\"");
}

// task.chat_template and task.system_prompt: defaults, round trip, a change is a difference that
// resume refuses (not resumable), each misuse named.
static void test_chat_keys(void) {
    Config c, back;
    CHECK_TRUE(parse(&c, "{}") == 0);
    CHECK_TRUE(strcmp(c.task.chat_template, "none") == 0 && c.task.system_prompt[0] == '\0');
    const char *chat =
        "{\"tokenizer\": {\"kind\": \"bpe\", \"files\": \"x\"}, \"task\": {\"name\": \"jsonl\","
        " \"prompts_file\": \"p.jsonl\", \"prompt_template\": \"Q: {prompt}\","
        " \"chat_template\": \"chatml\", \"system_prompt\": \"You are terse.\"}}";
    CHECK_MSG(parse(&c, chat) == 0, "%s", err.msg);
    CHECK_TRUE(strcmp(c.task.chat_template, "chatml") == 0);
    CHECK_TRUE(strcmp(c.task.system_prompt, "You are terse.") == 0);
    char *json = config_to_json(&c);
    CHECK_MSG(parse(&back, json) == 0, "%s", err.msg);
    CHECK_EQ_I64(config_diff(&c, &back, 1, NULL, 0), 0);
    xfree(json);
    // a checkpoint written with chatml refuses a resume with another template or system prompt
    char diff[512] = "";
    snprintf(back.task.chat_template, sizeof back.task.chat_template, "none");
    back.task.system_prompt[0] = '\0';
    CHECK_EQ_I64(config_diff(&c, &back, 1, diff, sizeof diff), 2);
    CHECK_MSG(strstr(diff, "task.chat_template") && strstr(diff, "task.system_prompt"), "%s", diff);
    CHECK_MSG(parse(&back, chat) == 0, "%s", err.msg);
    snprintf(back.task.system_prompt, sizeof back.task.system_prompt, "Be verbose.");
    CHECK_EQ_I64(config_diff(&c, &back, 1, NULL, 0), 1);

    EXPECT_BAD("{\"task\": {\"chat_template\": \"llama3\"}}",
               "task.chat_template: expected one of \"none\", \"chatml\"");
    EXPECT_BAD("{\"task\": {\"chat_template\": \"chatml\"}}",
               "task.chat_template: \"chatml\" needs tokenizer.kind \"bpe\"");
    EXPECT_BAD("{\"task\": {\"system_prompt\": \"hi\"}}",
               "task.system_prompt: applies to task.chat_template \"chatml\" only");
    EXPECT_BAD("{\"task\": {\"system_prompt\": 3}}", "task.system_prompt: expected a string");
}

static void load_bpe(Tokenizer *tok) {
    const char *src = getenv("CONCORD_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/text/bpe", src ? src : "..");
    Bpe *b = NULL;
    CHECKF(bpe_load(&b, dir, &err) == 0, "loading %s: %s", dir, err.msg);
    CHECKF(tokenizer_init_bpe(tok, b, &err) == 0, "%s", err.msg);
}

static void test_jsonl_bpe(void) {
    Tokenizer tok;
    load_bpe(&tok);
    // 12 prompts with answers (in this vocabulary every 'x' is a token of its own)
    char text[8192];
    int k = 0;
    for (int i = 1; i <= 12; i++)
        k += snprintf(text + k, sizeof text - (size_t)k,
                      "{\"prompt\": \"in the %d\", \"answer\": \"%d\"}\n", i, i);
    write_file("tb_prompts.jsonl", text);
    write_file("tb_sft.jsonl", "{\"prompt\": \"the 1\", \"response\": \" the end\"}\n");
    const char *cfg_text =
        "{\"tokenizer\": {\"kind\": \"bpe\", \"files\": \"unused\"},"
        " \"model\": {\"max_seq_len\": 24},"
        " \"task\": {\"name\": \"jsonl\", \"prompts_file\": \"tb_prompts.jsonl\","
        " \"sft_file\": \"tb_sft.jsonl\", \"prompt_template\": \"Q:{prompt}\\nA:\","
        " \"prompts_per_round\": 4, \"eval_prompts\": 4},"
        " \"rounds\": {\"count\": 2}, \"sft\": {\"steps\": 1},"
        " \"generate\": {\"max_new_tokens\": 6},"
        " \"judges\": [{\"name\": \"likelihood\"}, {\"name\": \"self_consistency\"}],"
        " \"aggregate\": {\"mode\": \"mean\"}}";
    Config c;
    CHECK_MSG(parse(&c, cfg_text) == 0, "%s", err.msg);
    Task t;
    CHECK_MSG(jsonl_task_load_bpe(&t, &c, &tok, &err) == 0, "%s", err.msg);
    // the template is applied: every item's prompt is the text the model sees
    TaskItem it;
    task_item(&t, TASK_SPLIT_EVAL, 0, 0, &it);
    CHECK_MSG(strncmp(it.prompt, "Q:in the ", 9) == 0 && strstr(it.prompt, "\nA:"), "prompt %s",
              it.prompt);
    TaskSftExample ex;
    task_sft_example(&t, 0, &ex);
    CHECK_TRUE(strcmp(ex.prompt, "Q:the 1\nA:") == 0);
    int32_t ids[64];
    int rs;
    int n = task_encode_sft(&t, &tok, &ex, ids, 24, &rs, &err);
    CHECK_EQ_I64(n, 1 + tokenizer_count(&tok, ex.prompt) + tokenizer_count(&tok, " the end") + 1);
    task_free(&t);

    // "Q:" + 20 x's + "\nA:" = 2 + 20 + 3 = 25 tokens: 1 + 25 + 6 > 24, named by file, line, field
    snprintf(text + k, sizeof text - (size_t)k, "{\"prompt\": \"xxxxxxxxxxxxxxxxxxxx\"}\n");
    write_file("tb_prompts.jsonl", text);
    CHECK_TRUE(jsonl_task_load_bpe(&t, &c, &tok, &err) != 0);
    CHECK_MSG(strstr(err.msg, "tb_prompts.jsonl:13: \"prompt\" of 25 tokens is too long"), "%s",
              err.msg);
    // an SFT response longer than generate.max_new_tokens in tokens
    text[k] = '\0';
    write_file("tb_prompts.jsonl", text);
    write_file("tb_sft.jsonl", "{\"prompt\": \"the 1\", \"response\": \"x x x x x x\"}\n");
    CHECK_TRUE(jsonl_task_load_bpe(&t, &c, &tok, &err) != 0);
    CHECK_MSG(strstr(err.msg,
                     "tb_sft.jsonl:1: \"response\": expected at most "
                     "generate.max_new_tokens 6 tokens") &&
                  strstr(err.msg, "(11 tokens + end token)"),
              "%s", err.msg);
    tokenizer_free(&tok);
}

// JSONL lengths with the chat template: a prompt counts with its ChatML turns.
static void test_jsonl_chat(void) {
    CHECK_TRUE(smol_write_tokenizer_json("tb_smol.json", SMOL_PRE_DIGITS("true"), NULL) == 0);
    Bpe *b = NULL;
    Tokenizer tok;
    CHECKF(bpe_load(&b, "tb_smol.json", &err) == 0, "%s", err.msg);
    CHECKF(tokenizer_init_bpe(&tok, b, &err) == 0, "%s", err.msg);
    CHECKF(tokenizer_set_chat(&tok, "chatml", "", &err) == 0, "%s", err.msg);
    // "use 12": 4 tokens; its turn is 20 (tests/test_smol_tokenizer.c); 20 + 6 new = 26
    write_file("tc_prompts.jsonl",
               "{\"prompt\": \"use 12\", \"answer\": \"3\"}\n"
               "{\"prompt\": \"use 1\", \"answer\": \"2\"}\n");
    const char *cfg_text =
        "{\"tokenizer\": {\"kind\": \"bpe\", \"files\": \"unused\"},"
        " \"model\": {\"max_seq_len\": 25},"
        " \"task\": {\"name\": \"jsonl\", \"prompts_file\": \"tc_prompts.jsonl\","
        " \"chat_template\": \"chatml\", \"prompts_per_round\": 2, \"eval_prompts\": 0},"
        " \"rounds\": {\"count\": 1}, \"sft\": {\"steps\": 0},"
        " \"generate\": {\"max_new_tokens\": 6},"
        " \"judges\": [{\"name\": \"likelihood\"}, {\"name\": \"self_consistency\"}],"
        " \"aggregate\": {\"mode\": \"mean\"}}";
    Config c;
    CHECK_MSG(parse(&c, cfg_text) == 0, "%s", err.msg);
    Task t;
    CHECK_TRUE(jsonl_task_load_bpe(&t, &c, &tok, &err) != 0);
    CHECK_MSG(strstr(err.msg, "tc_prompts.jsonl:1: \"prompt\"") &&
                  strstr(err.msg, "= 26 tokens exceed model.max_seq_len 25"),
              "%s", err.msg);
    c.model.max_seq_len = 26;
    CHECK_MSG(jsonl_task_load_bpe(&t, &c, &tok, &err) == 0, "%s", err.msg);
    task_free(&t);
    tokenizer_free(&tok);
}

int main(void) {
    test_config_keys();
    test_chat_keys();
    test_jsonl_chat();
    test_judge_options();
    test_jsonl_bpe();
    return check_report();
}
