/* tests/fuzz/fuzz_jsonl.c — libFuzzer harness of the JSONL task readers (io/jsonl.h): the
   prompts file, the SFT file and the eval file, each read by jsonl_task_load.
   Input: two setting bytes, then the prompts file's text, optionally followed by SEP and the SFT
   file's text, then SEP and the eval file's text (SEP = "\n=====\n"). The setting bytes choose
   the config the files are checked against (below), so the fuzzer reaches every rule that depends
   on one: the charset ("auto" or fixed), task.judge_rationale, whether the SFT and eval files are
   given, a level schedule, sft.steps, llm_judge, tight or roomy sequence lengths, an answer regex,
   and the split sizes.
   jsonl_task_load must accept or refuse without crashing, refuse with a message, and keep its
   promise that everything is validated up front: on success every EVAL and ROUND prompt encodes
   with room for generate.max_new_tokens, every SFT example encodes into model.max_seq_len, and no
   answer is longer than generation allows. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/jsonl.h"
#include "util/alloc.h"

#define SEP           "\n=====\n"
#define FIXED_CHARSET " abcdefghijklmnopqrstuvwxyz0123456789+-*=?YN:"

static char prompts_path[600], sft_path[600], eval_path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("jsonl");
    fuzz_path(prompts_path, sizeof prompts_path, "prompts.jsonl");
    fuzz_path(sft_path, sizeof sft_path, "sft.jsonl");
    fuzz_path(eval_path, sizeof eval_path, "eval.jsonl");
    return 0;
}

/* The config of setting bytes a, b:
   a: bit 0 charset auto, 1 judge_rationale, 2 SFT file, 3 eval file, 4 schedule "1,2",
      5 sft.steps 10, 6 llm_judge among the judges, 7 tight lengths (T 24, max_new 6; else 64, 16)
   b: bits 0-1 answer regex, 2-3 eval_prompts 0..3, 4-5 prompts_per_round 1..4, 6-7 rounds 1..4 */
static void make_config(Config *c, uint8_t a, uint8_t b) {
    static const char *const regex[4] = {"", "([0-9]+)", "=(.*)$", "[a-z]+"};
    char json[2048];
    snprintf(json, sizeof json,
             "{\"tokenizer\": {\"charset\": \"%s\"},"
             " \"model\": {\"max_seq_len\": %d},"
             " \"generate\": {\"max_new_tokens\": %d},"
             " \"rounds\": {\"count\": %d},"
             " \"sft\": {\"steps\": %d, \"stop_at_accuracy\": 0, \"stop_at_judge_accuracy\": 0},"
             " \"task\": {\"name\": \"jsonl\", \"prompts_file\": \"%s\", \"sft_file\": \"%s\","
             "  \"eval_file\": \"%s\", \"judge_rationale\": %s, \"answer_regex\": \"%s\","
             "  \"eval_prompts\": %d, \"prompts_per_round\": %d,"
             "  \"levels\": {\"schedule\": \"%s\"}},"
             " \"judges\": %s, \"aggregate\": {\"judge\": \"%s\"}}",
             (a & 1) ? "auto" : FIXED_CHARSET, (a & 128) ? 24 : 64, (a & 128) ? 6 : 16,
             1 + (b >> 6), (a & 32) ? 10 : 0, prompts_path, (a & 4) ? sft_path : "",
             (a & 8) ? eval_path : "", (a & 2) ? "true" : "false", regex[b & 3], (b >> 2) & 3,
             1 + ((b >> 4) & 3), (a & 16) ? "1,2" : "",
             (a & 64) ? "[{\"name\": \"llm_judge\"}, {\"name\": \"likelihood\"}]"
                      : "[{\"name\": \"likelihood\"}]",
             (a & 64) ? "llm_judge" : "likelihood");
    ErrMsg e = {{0}};
    fuzz_expect(config_parse(c, json, "fuzz_jsonl", NULL, 0, &e) == 0,
                "the harness's own config is refused: %s\n%s", e.msg, json);
}

// Checks the promises of a loaded task: every sequence a run builds from it fits.
static void check_task(const Task *t, const Config *c, const char *charset) {
    Tokenizer tok;
    ErrMsg e = {{0}};
    fuzz_expect(tokenizer_init(&tok, charset, &e) == 0, "accepted charset \"%s\" is invalid: %s",
                charset, e.msg);
    int T = c->model.max_seq_len, max_new = c->generate.max_new_tokens;
    int32_t ids[4096];
    fuzz_expect(T <= (int)(sizeof ids / sizeof ids[0]), "T too large for the harness");
    TaskItem *it = xmalloc("fuzz.item", sizeof *it);
    for (int s = 0; s < 2; s++) {
        TaskSplit split = s == 0 ? TASK_SPLIT_EVAL : TASK_SPLIT_ROUND;
        int rounds = s == 0 ? 1 : c->rounds.count;
        for (int r = 1; r <= rounds; r++) {
            int64_t n = task_split_size(t, split);
            for (int64_t i = 0; i < n; i++) {
                task_item(t, split, r, (int)i, it);
                fuzz_expect(task_encode_prompt(&tok, it->prompt, max_new, ids, T, &e) > 0,
                            "accepted prompt \"%s\" does not encode: %s", it->prompt, e.msg);
                if (it->has_answer)
                    fuzz_expect((int)strlen(it->answer) + 1 <= max_new,
                                "accepted answer \"%s\" is longer than generation allows",
                                it->answer);
                (void)task_verify(t, it, it->answer);
                (void)task_format_ok(t, it, it->answer);
            }
        }
    }
    xfree(it);
    TaskSftExample *ex = xmalloc("fuzz.sft", sizeof *ex);
    int64_t n_sft = task_split_size(t, TASK_SPLIT_SFT);
    for (int64_t i = 0; i < n_sft; i++) {
        task_sft_example(t, i, ex);
        int start = 0;
        fuzz_expect(task_encode_sft(t, &tok, ex, ids, T, &start, &e) > 0,
                    "accepted SFT example %lld does not encode: %s", (long long)i, e.msg);
    }
    xfree(ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t a = data[0], b = data[1];
    data += 2, size -= 2;
    // prompts [SEP sft [SEP eval]]
    size_t len[3] = {0, 0, 0}, at = 0;
    const uint8_t *part[3] = {data, data, data};
    for (int k = 0; k < 3; k++) {
        part[k] = data + at;
        size_t rest = size - at, head;
        size_t next = k < 2 ? fuzz_split(part[k], rest, SEP, &head) : (head = rest);
        len[k] = head;
        at += next;
    }
    fuzz_write_file(prompts_path, part[0], len[0]);
    fuzz_write_file(sft_path, part[1], len[1]);
    fuzz_write_file(eval_path, part[2], len[2]);

    Config *c = xmalloc("fuzz.config", sizeof *c);
    make_config(c, a, b);
    Task *t = xmalloc("fuzz.task", sizeof *t);
    char charset[TOKENIZER_MAX_CHARS + 1];
    ErrMsg e = {{0}};
    int rc = jsonl_task_load(t, c, charset, &e);
    if (rc != 0) {
        fuzz_expect(rc == -1, "jsonl_task_load returned %d", rc);
        fuzz_check_message(&e, "jsonl_task_load");
    } else {
        check_task(t, c, charset);
        task_free(t);
    }
    xfree(t);
    xfree(c);
    return 0;
}
