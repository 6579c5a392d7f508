/* ranks/cmd_sample.c — `concord sample CKPT`: generate from any checkpoint (trained, SFT or
   imported) on one process, with the same KV-cache sampler the generator ranks use. The text
   options use the checkpoint's tokenizer: its charset, or the GPT-2 BPE stored in it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/ckpt.h"
#include "io/ckpt_tokenizer.h"
#include "ranks/cli.h"
#include "ranks/commands.h"
#include "train/generate.h"
#include "train/tokenizer.h"
#include "util/alloc.h"

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: concord sample CKPT [--prompt TEXT | --tokens ID,ID,...] [options]\n"
        "  --prompt TEXT       prompt text (BOS is prepended); needs a checkpoint with a "
        "tokenizer\n"
        "  --chat              wrap --prompt in ChatML turns (<|im_start|>user ... <|im_end|>,\n"
        "                      then <|im_start|>assistant) and end at <|im_end|>, as a run with\n"
        "                      task.chat_template \"chatml\" does; needs those special tokens\n"
        "  --system TEXT       with --chat: a system turn first\n"
        "  --stop TEXT         end a sample before TEXT (repeatable, at most 8; text output)\n"
        "  --tokens IDS        prompt as comma-separated token ids (any checkpoint)\n"
        "  --max-new N         new tokens at most (default 32)\n"
        "  --temperature T     sampling temperature (default 1.0; 0 = greedy)\n"
        "  --top-k K           keep the K most likely tokens (default 0 = off)\n"
        "  --top-p P           nucleus sampling mass (default 1.0 = off)\n"
        "  --greedy            argmax decoding\n"
        "  --seed S            random seed (default 1)\n"
        "  --samples N         independent samples of the same prompt (default 1)\n"
        "  --eos ID            token that ends a sample (default: the tokenizer's EOS, else none)\n"
        "  --print-ids         print the generated token ids (one line per sample) instead of "
        "text\n");
}

// Parses "1,2,3" into ids (each < V); returns the count or -1.
static int parse_ids(const char *text, int32_t *ids, int max, int V) {
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v >= V || (*end != ',' && *end != '\0')) {
            fprintf(stderr,
                    "error: --tokens: expected comma-separated ids in [0, %d), got \"%s\"\n", V,
                    text);
            return -1;
        }
        if (n == max) {
            fprintf(stderr, "error: --tokens: more than %d ids (the model's context)\n", max);
            return -1;
        }
        ids[n++] = (int32_t)v;
        p = *end == ',' ? end + 1 : end;
    }
    if (n == 0) fprintf(stderr, "error: --tokens: no ids given\n");
    return n > 0 ? n : -1;
}

#define SAMPLE_MAX_STOPS 8

typedef struct {
    const char *ckpt, *prompt, *tokens, *system;
    const char *stop[SAMPLE_MAX_STOPS];
    int n_stop;
    int64_t max_new, top_k, seed, samples, eos;
    double temperature, top_p;
    int greedy, print_ids, chat;
} SampleArgs;

static int parse_args(SampleArgs *a, int argc, char **argv) {
    *a = (SampleArgs){
        .max_new = 32, .temperature = 1.0, .top_p = 1.0, .seed = 1, .samples = 1, .eos = -2};
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        int r = 0;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(o, "--greedy") == 0)
            a->greedy = 1;
        else if (strcmp(o, "--print-ids") == 0)
            a->print_ids = 1;
        else if (strcmp(o, "--chat") == 0)
            a->chat = 1;
        else if (o[0] == '-' && o[1] == '-' && (r = cli_value(argc, argv, &i, &v)) == 0) {
            if (strcmp(o, "--prompt") == 0)
                a->prompt = v;
            else if (strcmp(o, "--tokens") == 0)
                a->tokens = v;
            else if (strcmp(o, "--system") == 0)
                a->system = v;
            else if (strcmp(o, "--stop") == 0) {
                if (a->n_stop == SAMPLE_MAX_STOPS || !v[0]) {
                    fprintf(stderr, "error: --stop: expected at most %d non-empty strings\n",
                            SAMPLE_MAX_STOPS);
                    return -1;
                }
                a->stop[a->n_stop++] = v;
            } else if (strcmp(o, "--max-new") == 0)
                r = cli_parse_int(o, v, 1, 1 << 20, &a->max_new);
            else if (strcmp(o, "--temperature") == 0)
                r = cli_parse_double(o, v, 0, 100, &a->temperature);
            else if (strcmp(o, "--top-k") == 0)
                r = cli_parse_int(o, v, 0, 1 << 30, &a->top_k);
            else if (strcmp(o, "--top-p") == 0)
                r = cli_parse_double(o, v, 0, 1, &a->top_p);
            else if (strcmp(o, "--seed") == 0)
                r = cli_parse_int(o, v, 0, INT64_MAX, &a->seed);
            else if (strcmp(o, "--samples") == 0)
                r = cli_parse_int(o, v, 1, 4096, &a->samples);
            else if (strcmp(o, "--eos") == 0)
                r = cli_parse_int(o, v, -1, 1 << 30, &a->eos);
            else {
                fprintf(stderr, "error: sample: unknown option \"%s\"\n", o);
                return -1;
            }
        } else if (r == 0 && o[0] != '-' && !a->ckpt)
            a->ckpt = o;
        else {
            if (r == 0) fprintf(stderr, "error: sample: unexpected argument \"%s\"\n", o);
            return -1;
        }
        if (r != 0) return -1;
    }
    if (!a->ckpt || (!a->prompt == !a->tokens)) {
        fprintf(stderr, "error: sample: needs CKPT and exactly one of --prompt or --tokens\n");
        usage(stderr);
        return -1;
    }
    if ((a->chat || a->system) && !a->prompt) {
        fprintf(stderr, "error: sample: --chat and --system apply to --prompt text\n");
        return -1;
    }
    if (a->system && !a->chat) {
        fprintf(stderr, "error: sample: --system needs --chat\n");
        return -1;
    }
    return 0;
}

int cmd_sample(int argc, char **argv) {
    SampleArgs a;
    if (parse_args(&a, argc, argv) != 0) return 2;
    ErrMsg e;
    CkptInfo info;
    if (ckpt_peek(a.ckpt, &info, &e) != 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    GPTConfig cfg = info.model_cfg;
    Tokenizer tok = {0};
    int has_tok = info.charset[0] != '\0' && tokenizer_init(&tok, info.charset, &e) == 0;
    if (!has_tok) {  // a GPT-2 BPE in /tokenizer (imported, or a bpe run's checkpoint)
        Bpe *b = NULL;
        if (ckpt_tokenizer_read_bpe(a.ckpt, &b, &e) != 0) {
            fprintf(stderr, "error: %s\n", e.msg);
            ckpt_info_free(&info);
            return 2;
        }
        has_tok = b && tokenizer_init_bpe(&tok, b, &e) == 0;
    }
    int32_t *prompt = xmalloc("sample", (size_t)cfg.T * sizeof(int32_t));
    int P;
    if (a.prompt) {
        if (!has_tok) {
            fprintf(stderr, "error: %s has no tokenizer (no charset, no BPE); use --tokens\n",
                    a.ckpt);
            return 2;
        }
        if (a.chat && tokenizer_set_chat(&tok, "chatml", a.system ? a.system : "", &e) != 0) {
            fprintf(stderr, "error: --chat: %s\n", e.msg);
            return 2;
        }
        P = tokenizer_encode_turn(&tok, a.prompt, prompt, cfg.T - 1, &e);  // BOS + text, or turns
        if (P < 0) {
            fprintf(stderr, "error: --prompt: %s\n", e.msg);
            return 2;
        }
    } else {
        P = parse_ids(a.tokens, prompt, cfg.T - 1, cfg.V);
        if (P < 0) return 2;
    }
    int max_new = (int)(a.max_new < cfg.T - P ? a.max_new : cfg.T - P);
    ParamSlab w;
    param_slab_init(&w, &cfg, "sample.params");
    CkptContents c = {.model = &w};
    if (ckpt_read(a.ckpt, &cfg, &c, MPI_COMM_SELF, &e) != 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    int n = (int)a.samples;
    KVCache kv;
    Activations acts;
    kv_init(&kv, &cfg, n < 16 ? n : 16, P + max_new);
    acts_init(&acts, &cfg, 1, P, 0);
    int32_t *prompts = xmalloc("sample", (size_t)n * P * sizeof(int32_t));
    int32_t *plen = xmalloc("sample", (size_t)n * sizeof(int32_t));
    uint32_t *pid = xcalloc("sample", (size_t)n, sizeof(uint32_t));
    uint32_t *sid = xmalloc("sample", (size_t)n * sizeof(uint32_t));
    int32_t *resp = xmalloc("sample", (size_t)n * max_new * sizeof(int32_t));
    int32_t *rlen = xmalloc("sample", (size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        memcpy(prompts + (size_t)i * P, prompt, (size_t)P * sizeof(int32_t));
        plen[i] = P, sid[i] = (uint32_t)i;
    }
    GenParams gp = {.seed = (uint64_t)a.seed,
                    .round = 0,
                    .max_new = max_new,
                    .eos = a.eos >= -1 ? (int32_t)a.eos : (has_tok ? tok.eos : -1),
                    .sample = {.temperature = (float)a.temperature,
                               .top_k = (int)a.top_k,
                               .top_p = (float)a.top_p,
                               .greedy = a.greedy || a.temperature == 0},
                    .stop_tok = has_tok ? &tok : NULL,
                    .stop_str = a.stop,
                    .n_stop_str = a.n_stop};
    generate(resp, rlen, NULL, &kv, &acts, &w, prompts, plen, n, P, pid, sid, &gp);
    for (int i = 0; i < n; i++) {
        const int32_t *r = resp + (size_t)i * max_new;
        if (a.print_ids || !has_tok) {
            for (int t = 0; t < rlen[i]; t++) printf(t ? " %d" : "%d", r[t]);
            printf("\n");
        } else {
            char text[4096];
            int skip = P > 0 && prompt[0] == tok.bos;  // bpe: BOS is also EOS, which ends a text
            Tokenizer whole = tok;  // the prompt in full: a chat prompt holds <|im_end|> (EOS)
            whole.eos = -1;
            tokenizer_decode(&whole, prompt + skip, P - skip, text, sizeof text);
            printf("%s", text);
            tokenizer_decode(&tok, r, rlen[i], text, sizeof text);
            printf("%s\n", text);
        }
    }
    xfree(prompt), xfree(prompts), xfree(plen), xfree(pid), xfree(sid), xfree(resp), xfree(rlen);
    kv_free(&kv);
    acts_free(&acts);
    param_slab_free(&w);
    ckpt_info_free(&info);
    tokenizer_free(&tok);
    return 0;
}
