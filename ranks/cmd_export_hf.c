/* ranks/cmd_export_hf.c — `concord export-hf CKPT DIR`: write a concord checkpoint's model as a
   Hugging Face GPT-2 directory (config.json + model.safetensors, F32) on one process. */
#include <stdio.h>
#include <string.h>

#include "io/hf_gpt2.h"
#include "ranks/commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord export-hf CKPT DIR\n"
            "  Writes the model of checkpoint CKPT as a Hugging Face GPT-2 in DIR (created if\n"
            "  missing): DIR/model.safetensors (F32, GPT2Model names without prefix, LM head tied\n"
            "  to wte, vocabulary unpadded to V) and DIR/config.json (model_type gpt2,\n"
            "  architectures [\"GPT2LMHeadModel\"]), each written to a .tmp name and renamed.\n"
            "  Loads with transformers' GPT2LMHeadModel.from_pretrained(DIR). Checkpoints with\n"
            "  model.position \"none\" (NoPE) are refused: GPT-2 always has position embeddings.\n"
            "  No tokenizer files are written.\n");
}

int cmd_export_hf(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    if (argc != 2) {
        fprintf(stderr, "error: export-hf: expected 2 arguments (CKPT DIR), got %d\n", argc);
        usage(stderr);
        return 2;
    }
    ErrMsg e = {{0}};
    GPTConfig cfg;
    if (hf_gpt2_export(argv[0], argv[1], &cfg, &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    printf("exported %s -> %s: GPT-2 with V=%d T=%d C=%d L=%d NH=%d (model.safetensors, "
           "config.json)\n",
           argv[0], argv[1], cfg.V, cfg.T, cfg.C, cfg.L, cfg.NH);
    return 0;
}
