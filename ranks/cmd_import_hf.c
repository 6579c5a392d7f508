/* ranks/cmd_import_hf.c — `concord import-hf DIR OUT.h5`: convert a Hugging Face GPT-2 or LLaMA
   directory (config.json + safetensors weights, F32/F16/BF16) into a concord checkpoint on one
   process; config.json's model_type / architectures picks the importer (io/hf_llama.h
   hf_detect_arch). */
#include <stdio.h>
#include <string.h>

#include "io/hf_gpt2.h"
#include "io/hf_llama.h"
#include "ranks/cli.h"
#include "ranks/commands.h"

// The config's "model" keys that start a run from the checkpoint (model.init), ready to paste;
// a LLaMA run may choose its own max_seq_len (no tensor depends on it).
static void print_model_keys(const GPTConfig *c, int pad) {
    printf(
        "config keys for model.init = this checkpoint:\n  \"model\": {\"arch\": \"%s\", "
        "\"n_layer\": %d, \"n_head\": %d, \"n_embd\": %d, ",
        gpt_arch_name(c->arch), c->L, c->NH, c->C);
    if (c->arch == GPT_ARCH_LLAMA)
        printf(
            "\"n_kv_head\": %d, \"ffn_hidden\": %d, \"rope_theta\": %.9g, \"norm_eps\": %.9g, "
            "\"tie_embeddings\": %s, \"max_seq_len\": %d (or shorter), ",
            c->KV, c->F, (double)c->rope_theta, (double)c->norm_eps, c->untied ? "false" : "true",
            c->T);
    else
        printf("\"max_seq_len\": %d, ", c->T);
    printf("\"vocab_pad_to\": %d}\n", pad);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord import-hf DIR OUT.h5 [--vocab-pad-to N]\n"
            "  Converts a Hugging Face model directory into a concord checkpoint at exactly\n"
            "  OUT.h5 (round 0, phase sft, no optimizer state). DIR/config.json picks the kind:\n"
            "  GPT-2 (model_type \"gpt2\", activation_function \"gelu_new\", layer_norm_epsilon\n"
            "  1e-05, LM head tied; DIR/model.safetensors, names with or without\n"
            "  \"transformer.\") or LLaMA (model_type \"llama\" or architectures\n"
            "  [\"LlamaForCausalLM\"]: hidden_act \"silu\", rope_scaling null, no biases, tied\n"
            "  or untied head, grouped key/value heads; DIR/model.safetensors or the shards of\n"
            "  DIR/model.safetensors.index.json). Weights F32, F16 or BF16. The BPE of DIR's\n"
            "  tokenizer files (tokenizer.json, or vocab.json + merges.txt) goes into the\n"
            "  checkpoint; without them, sample with --tokens.\n"
            "  --vocab-pad-to N   pad the vocabulary to a multiple of N rows (default %d,\n"
            "                     which gives GPT-2's 50257 -> 50304 as llm.c); use the\n"
            "                     model.vocab_pad_to of a config that starts from the\n"
            "                     checkpoint (model.init)\n",
            HF_GPT2_VOCAB_PAD_TO);
}

int cmd_import_hf(int argc, char **argv) {
    const char *pos[2];
    int n_pos = 0;
    int64_t pad = HF_GPT2_VOCAB_PAD_TO;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--vocab-pad-to") == 0) {
            if (cli_value(argc, argv, &i, &v) != 0 ||
                cli_parse_int("--vocab-pad-to", v, 1, 1 << 16, &pad) != 0)
                return 2;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "error: import-hf: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (n_pos < 2) {
            pos[n_pos++] = argv[i];
        } else {
            n_pos++;
        }
    }
    if (n_pos != 2) {
        fprintf(stderr, "error: import-hf: expected 2 arguments (DIR OUT.h5), got %d\n", n_pos);
        usage(stderr);
        return 2;
    }
    ErrMsg e = {{0}};
    GPTConfig cfg;
    ModelArch arch;
    if (hf_detect_arch(pos[0], &arch, &e) < 0 ||
        (arch == GPT_ARCH_LLAMA ? hf_llama_import(pos[0], pos[1], (int)pad, &cfg, &e)
                                : hf_gpt2_import(pos[0], pos[1], (int)pad, &cfg, &e)) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    TensorSpec tb[MAX_TENSORS];
    int ntensors;
    size_t n_params = gpt_param_table(&cfg, tb, &ntensors);
    if (arch == GPT_ARCH_LLAMA)
        printf(
            "imported %s -> %s: LLaMA with V=%d Vp=%d T=%d C=%d L=%d NH=%d KV=%d F=%d "
            "rope_theta=%g norm_eps=%g %s head, %zu parameters\n",
            pos[0], pos[1], cfg.V, cfg.Vp, cfg.T, cfg.C, cfg.L, cfg.NH, cfg.KV, cfg.F,
            (double)cfg.rope_theta, (double)cfg.norm_eps, cfg.untied ? "untied" : "tied", n_params);
    else
        printf("imported %s -> %s: GPT-2 with V=%d Vp=%d T=%d C=%d L=%d NH=%d, %zu parameters\n",
               pos[0], pos[1], cfg.V, cfg.Vp, cfg.T, cfg.C, cfg.L, cfg.NH, n_params);
    print_model_keys(&cfg, (int)pad);
    return 0;
}
