/* ranks/cmd_export_hf.c — `concord export-hf CKPT DIR`: write a concord checkpoint's model as a
   Hugging Face GPT-2 or LlamaForCausalLM directory (config.json + model.safetensors, F32), by the
   checkpoint's arch, on one process. */
#include <stdio.h>
#include <string.h>

#include "io/ckpt.h"
#include "io/hf_gpt2.h"
#include "io/hf_llama.h"
#include "ranks/commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord export-hf CKPT DIR\n"
            "  Writes the model of checkpoint CKPT as a Hugging Face model in DIR (created if\n"
            "  missing): DIR/model.safetensors (F32, vocabulary unpadded to V), DIR/config.json\n"
            "  and, when CKPT holds a BPE, vocab.json + merges.txt; each file is written to a\n"
            "  .tmp name and renamed. The checkpoint's arch picks the kind:\n"
            "  gpt2: GPT2Model names without prefix, LM head tied to wte, model_type gpt2,\n"
            "    architectures [\"GPT2LMHeadModel\"]; model.position \"none\" (NoPE) is refused:\n"
            "    GPT-2 always has position embeddings.\n"
            "  llama: LlamaForCausalLM names, q/k/v and gate/up split back out of concord's\n"
            "    fused tensors, lm_head.weight only when the head is untied, model_type llama.\n"
            "  Loads with transformers' AutoModelForCausalLM.from_pretrained(DIR).\n");
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
    CkptInfo info;
    if (ckpt_peek(argv[0], &info, &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    ModelArch arch = info.model_cfg.arch;
    ckpt_info_free(&info);
    GPTConfig cfg;
    if ((arch == GPT_ARCH_LLAMA ? hf_llama_export(argv[0], argv[1], &cfg, &e)
                                : hf_gpt2_export(argv[0], argv[1], &cfg, &e)) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    if (arch == GPT_ARCH_LLAMA)
        printf(
            "exported %s -> %s: LLaMA with V=%d T=%d C=%d L=%d NH=%d KV=%d F=%d, %s head "
            "(model.safetensors, config.json)\n",
            argv[0], argv[1], cfg.V, cfg.T, cfg.C, cfg.L, cfg.NH, cfg.KV, cfg.F,
            cfg.untied ? "untied" : "tied");
    else
        printf(
            "exported %s -> %s: GPT-2 with V=%d T=%d C=%d L=%d NH=%d (model.safetensors, "
            "config.json)\n",
            argv[0], argv[1], cfg.V, cfg.T, cfg.C, cfg.L, cfg.NH);
    return 0;
}
