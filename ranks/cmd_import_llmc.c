/* ranks/cmd_import_llmc.c — `concord import-llmc IN.bin OUT.h5`: convert an llm.c GPT-2 checkpoint
   (train_gpt2.py's gpt2_124M.bin and the like) into a concord checkpoint on one process. */
#include <stdio.h>
#include <string.h>

#include "io/ckpt.h"
#include "io/llmc.h"
#include "ranks/commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord import-llmc IN.bin OUT.h5\n"
            "  Converts an llm.c GPT-2 model file (version %d: fp32 weights, padded vocabulary)\n"
            "  into a concord checkpoint at exactly OUT.h5 (round 0, phase sft, no optimizer\n"
            "  state, no character tokenizer: GPT-2 uses BPE, so sample with --tokens).\n",
            LLMC_VERSION);
}

int cmd_import_llmc(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    if (argc != 2) {
        fprintf(stderr, "error: import-llmc: expected 2 arguments (IN.bin OUT.h5), got %d\n", argc);
        usage(stderr);
        return 2;
    }
    ErrMsg e = {{0}};
    GPTConfig cfg;
    if (llmc_read_header(argv[0], &cfg, &e) < 0 || llmc_import(argv[0], argv[1], &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    TensorSpec tb[MAX_TENSORS];
    int ntensors;
    printf("imported %s -> %s: GPT-2 with V=%d Vp=%d T=%d C=%d L=%d NH=%d, %zu parameters\n",
           argv[0], argv[1], cfg.V, cfg.Vp, cfg.T, cfg.C, cfg.L, cfg.NH,
           gpt_param_table(&cfg, tb, &ntensors));
    return 0;
}
