/* tests/fuzz/fuzz_config.c — libFuzzer harness of the config reader (io/config.h).
   Input: a JSON document, then up to FUZZ_MAX_SETS `--set key.path=value` overrides, all
   separated by NUL bytes (the document and the overrides are C strings, so NUL cannot occur in
   them). config_parse must accept or refuse without crashing; it must refuse with a message, and
   an accepted config must keep what io/config.h promises:
     - config_check accepts it again;
     - config_to_json then config_parse gives the same config back (config_diff finds no key and
       the two JSON texts are equal), so a run directory's config.json resumes the same run;
     - every string field is NUL-terminated inside its array (spot checks of each kind). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/config.h"
#include "util/alloc.h"

#define FUZZ_MAX_SETS 8

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("config");
    return 0;
}

static void check_strings(const Config *c) {
    fuzz_expect(strnlen(c->run.run_dir, sizeof c->run.run_dir) < sizeof c->run.run_dir,
                "run.run_dir not terminated");
    fuzz_expect(
        strnlen(c->tokenizer.charset, sizeof c->tokenizer.charset) < sizeof c->tokenizer.charset,
        "tokenizer.charset not terminated");
    fuzz_expect(strnlen(c->task.judge_template, sizeof c->task.judge_template) <
                    sizeof c->task.judge_template,
                "task.judge_template not terminated");
    fuzz_expect(strnlen(c->train.loss, sizeof c->train.loss) < sizeof c->train.loss,
                "train.loss not terminated");
    fuzz_expect(c->n_judges >= 1 && c->n_judges <= CONFIG_MAX_JUDGES, "n_judges = %d", c->n_judges);
    for (int j = 0; j < c->n_judges; j++)
        fuzz_expect(strnlen(c->judges[j].name, sizeof c->judges[j].name) < sizeof c->judges[j].name,
                    "judges[%d].name not terminated", j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // One NUL-terminated copy; the NULs inside split it into the document and the overrides.
    char *text = xmalloc("fuzz.config", size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *sets[FUZZ_MAX_SETS];
    int n_sets = 0;
    for (size_t i = 0; i < size && n_sets < FUZZ_MAX_SETS; i++)
        if (text[i] == '\0') sets[n_sets++] = text + i + 1;

    Config *cfg = xmalloc("fuzz.config", sizeof *cfg);
    ErrMsg e = {{0}};
    int rc = config_parse(cfg, text, "fuzz.json", sets, n_sets, &e);
    if (rc != 0) {
        fuzz_expect(rc == -1, "config_parse returned %d", rc);
        fuzz_check_message(&e, "config_parse");
    } else {
        check_strings(cfg);
        ErrMsg again = {{0}};
        fuzz_expect(config_check(cfg, "fuzz.json", &again) == 0,
                    "config_check refuses a config config_parse accepted: %s", again.msg);
        char *json = config_to_json(cfg);
        Config *back = xmalloc("fuzz.config", sizeof *back);
        ErrMsg e2 = {{0}};
        fuzz_expect(config_parse(back, json, "config.json", NULL, 0, &e2) == 0,
                    "config_to_json output is refused: %s\n%s", e2.msg, json);
        char keys[512];
        int n_diff = config_diff(cfg, back, 0, keys, sizeof keys);
        fuzz_expect(n_diff == 0, "round trip through config_to_json changes %d keys: %s", n_diff,
                    keys);
        char *json2 = config_to_json(back);
        fuzz_expect(strcmp(json, json2) == 0, "config_to_json differs after a round trip");
        xfree(json2);
        xfree(back);
        xfree(json);
    }
    xfree(cfg);
    xfree(text);
    return 0;
}
