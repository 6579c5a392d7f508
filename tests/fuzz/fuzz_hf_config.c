/* tests/fuzz/fuzz_hf_config.c — libFuzzer harness of the Hugging Face config.json readers of the
   importers: hf_detect_arch and hf_llama_read_config (io/hf_llama.h), hf_gpt2_read_config
   (io/hf_gpt2.h). Input: the text of a config.json, written into a model directory the harness
   owns; all three readers run on every input, with the importer's vocabulary padding (128) and,
   when a reader accepts, again without padding (1).
   Properties: every refusal has a message naming config.json; hf_detect_arch says llama or gpt2
   and refuses only with a message; an accepted config passes gpt_config_check and its fields are
   in range: V, C, L, NH, T positive, C % NH == 0, Vp the smallest multiple of the padding >= V;
   for LLaMA also KV, F positive, NH % KV == 0, an even head size, rope_theta and norm_eps finite
   and > 0, untied 0 or 1, and hf_detect_arch said llama (the importer it picks is the reader that
   accepts); for GPT-2 no LLaMA field set and hf_detect_arch accepted the file. The unpadded read
   gives the same config with Vp = V.
   Seeds (tests/fuzz/seeds/hf_config, written by make_seeds.py) are the config.json texts of the
   importer tests (tests/hf): GPT-2, LLaMA with grouped-query attention, with defaults left out,
   SmolLM2's extra fields, and near misses the readers name. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "io/hf_gpt2.h"
#include "io/hf_llama.h"

static char model_dir[600], config_path[700];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("hf_config");
    fuzz_path(model_dir, sizeof model_dir, "model");
    ErrMsg e;
    if (fs_mkdir_p(model_dir, &e) != 0) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", model_dir, e.msg);
        abort();
    }
    snprintf(config_path, sizeof config_path, "%s/config.json", model_dir);
    return 0;
}

static void check_refusal(const ErrMsg *e, const char *who) {
    fuzz_check_message(e, who);
    fuzz_expect(strstr(e->msg, "config.json") != NULL, "%s's message does not name config.json: %s",
                who, e->msg);
}

// The promises of an accepted config, both architectures; pad is the vocab_pad_to given.
static void check_config(const GPTConfig *c, int pad, ModelArch arch, const char *who) {
    ErrMsg why;
    fuzz_expect(gpt_config_check(c, &why) == 0, "%s accepted a config gpt_config_check refuses: %s",
                who, why.msg);
    fuzz_expect(c->arch == arch, "%s gave arch %d", who, (int)c->arch);
    fuzz_expect(c->V >= 1 && c->C >= 1 && c->L >= 1 && c->NH >= 1 && c->T >= 1,
                "%s: V %d C %d L %d NH %d T %d", who, c->V, c->C, c->L, c->NH, c->T);
    fuzz_expect(c->C % c->NH == 0, "%s: C %d, NH %d", who, c->C, c->NH);
    fuzz_expect(c->Vp >= c->V && c->Vp % pad == 0 && c->Vp - c->V < pad,
                "%s: Vp %d for V %d padded to %d", who, c->Vp, c->V, pad);
    fuzz_expect(c->position == GPT_POS_LEARNED && c->digit0 == 0 && c->abacus_offset == 0,
                "%s: position %d", who, (int)c->position);
    if (arch == GPT_ARCH_LLAMA) {
        fuzz_expect(c->KV >= 1 && c->F >= 1 && c->NH % c->KV == 0, "%s: KV %d F %d NH %d", who,
                    c->KV, c->F, c->NH);
        fuzz_expect((c->C / c->NH) % 2 == 0, "%s: odd head size %d", who, c->C / c->NH);
        fuzz_expect(isfinite(c->rope_theta) && c->rope_theta > 0, "%s: rope_theta %g", who,
                    (double)c->rope_theta);
        fuzz_expect(isfinite(c->norm_eps) && c->norm_eps > 0, "%s: norm_eps %g", who,
                    (double)c->norm_eps);
        fuzz_expect(c->untied == 0 || c->untied == 1, "%s: untied %d", who, c->untied);
    } else {
        fuzz_expect(
            c->KV == 0 && c->F == 0 && c->rope_theta == 0 && c->norm_eps == 0 && c->untied == 0,
            "%s: a GPT-2 config with LLaMA fields", who);
    }
}

typedef int (*ReadConfig)(const char *dir, int pad, GPTConfig *cfg, ErrMsg *e);

// Runs one reader; returns 1 when it accepted (the config checked at both paddings).
static int run_reader(ReadConfig read, ModelArch arch, const char *who) {
    GPTConfig cfg, unpadded;
    ErrMsg e = {{0}};
    int rc = read(model_dir, HF_GPT2_VOCAB_PAD_TO, &cfg, &e);
    if (rc != 0) {
        fuzz_expect(rc < 0, "%s returned %d", who, rc);
        check_refusal(&e, who);
        return 0;
    }
    check_config(&cfg, HF_GPT2_VOCAB_PAD_TO, arch, who);
    fuzz_expect(read(model_dir, 1, &unpadded, &e) == 0,
                "%s accepts a config padded to 128 but not unpadded: %s", who, e.msg);
    check_config(&unpadded, 1, arch, who);
    fuzz_expect(unpadded.Vp == unpadded.V, "%s: Vp %d unpadded", who, unpadded.Vp);
    unpadded.Vp = cfg.Vp;
    fuzz_expect(memcmp(&unpadded, &cfg, sizeof cfg) == 0,
                "%s reads another config when only the padding differs", who);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write_file(config_path, data, size);
    ModelArch arch = (ModelArch)-1;
    ErrMsg e = {{0}};
    int detect = hf_detect_arch(model_dir, &arch, &e);
    fuzz_expect(detect == 0 || detect < 0, "hf_detect_arch returned %d", detect);
    fuzz_expect(arch == GPT_ARCH_GPT2 || arch == GPT_ARCH_LLAMA, "hf_detect_arch gave arch %d",
                (int)arch);
    if (detect < 0) check_refusal(&e, "hf_detect_arch");

    if (run_reader(hf_llama_read_config, GPT_ARCH_LLAMA, "hf_llama_read_config"))
        fuzz_expect(detect == 0 && arch == GPT_ARCH_LLAMA,
                    "hf_llama_read_config accepted a file hf_detect_arch does not call llama");
    if (run_reader(hf_gpt2_read_config, GPT_ARCH_GPT2, "hf_gpt2_read_config"))
        fuzz_expect(detect == 0, "hf_gpt2_read_config accepted a file hf_detect_arch refuses: %s",
                    e.msg);
    return 0;
}
