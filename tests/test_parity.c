/* tests/test_parity.c — writes the input and concord's outputs for the PyTorch cross-check
   (tests/parity/torch_parity.py; format in tests/parity/README.md): policy and reference weights,
   a padded batch of preference pairs, and concord's logits, sequence log-probs, DPO loss and every
   parameter gradient. The script recomputes all of it in float64 and compares.
   Usage: test_parity OUT.bin [learned|none|abacus|llama|llama-untied]
   The first three are GPT-2 position encodings (learned by default). With abacus, ids 4..13 are
   the digits and the policy's rows carry training shifts (the reference forward uses none),
   written after len[]. llama is the LLaMA architecture with grouped-query attention (NH = 4,
   KV = 2) and an MLP width F = 40 that is not a multiple of C, its LM head tied to wte;
   llama-untied the same with a separate lm_head. */
#include <stdio.h>
#include <string.h>

#include "train/prefstep.h"
#include "train/rng.h"
#include "util/alloc.h"
#include "util/err.h"

#define N_PAIRS      3
#define SEQ          16
#define HEADER_INTS  24
#define DUMP_VERSION 2

static void write_all(FILE *f, const void *p, size_t size, size_t n) {
    CHECKF(fwrite(p, size, n, f) == n, "short write");
}

int main(int argc, char **argv) {
    GPTConfig cfg = {.V = 20, .Vp = 32, .T = 24, .C = 32, .L = 2, .NH = 4};
    const char *mode = argc == 3 ? argv[2] : "learned";
    if (strcmp(mode, "llama") == 0 || strcmp(mode, "llama-untied") == 0) {
        cfg.arch = GPT_ARCH_LLAMA;
        cfg.KV = 2, cfg.F = 40, cfg.rope_theta = 10000.0f, cfg.norm_eps = 1e-5f;
        cfg.untied = strcmp(mode, "llama-untied") == 0;
    } else if (argc < 2 || argc > 3 || gpt_position_parse(mode, &cfg.position) < 0) {
        fprintf(stderr, "usage: test_parity OUT.bin [learned|none|abacus|llama|llama-untied]\n");
        return 2;
    }
    int abacus = cfg.position == GPT_POS_ABACUS;
    if (abacus) cfg.digit0 = 4, cfg.abacus_offset = 5;
    ErrMsg e;
    CHECKF(gpt_config_check(&cfg, &e) == 0, "%s", e.msg);
    ParamSlab w, ref, g;
    param_slab_init(&w, &cfg, "parity.params");
    param_slab_init(&ref, &cfg, "parity.ref");
    param_slab_init(&g, &cfg, "parity.grads");
    gpt_init_weights(&w, 42);
    Rng r = rng_stream(42, 99);
    // perturb every tensor (norm weights and biases included) so no term is trivially 0 or 1
    for (size_t i = 0; i < w.n; i++) w.data[i] += 0.1f * rng_normal(&r);
    for (size_t i = 0; i < w.n; i++) ref.data[i] = w.data[i] + 0.05f * rng_normal(&r);

    int B = 2 * N_PAIRS;
    int32_t tokens[2 * N_PAIRS * SEQ] = {0}, start[2 * N_PAIRS], len[2 * N_PAIRS];
    const int32_t lens[2 * N_PAIRS] = {9, 12, 16, 7, 11, 11};
    const int32_t starts[2 * N_PAIRS] = {4, 4, 6, 6, 3, 3};
    for (int b = 0; b < B; b++) {
        start[b] = starts[b];
        len[b] = lens[b];
        for (int t = 0; t < SEQ; t++)  // valid tokens < V; padding uses ids up to Vp-1 on purpose
            tokens[b * SEQ + t] =
                t < len[b] ? (int32_t)rng_below(&r, (uint32_t)cfg.V)
                           : (int32_t)(cfg.V + rng_below(&r, (uint32_t)(cfg.Vp - cfg.V)));
    }
    Activations train, infer;
    acts_init(&train, &cfg, B, SEQ, 1);
    acts_init(&infer, &cfg, B, SEQ, 0);
    const int32_t shift[2 * N_PAIRS] = {0, 2, 5, 1, 3, 0};
    if (abacus) train.pos_offset = shift;
    double ref_logp[2 * N_PAIRS], logp[2 * N_PAIRS];
    prefstep_logprobs(ref_logp, &infer, &ref, tokens, start, len, B, SEQ);
    LossParams lp = loss_params_default(LOSS_DPO);
    lp.beta = 0.5;  // larger than the default so the loss is far from log 2 and gradients are big
    PairBatch pb = {.n_pairs = N_PAIRS,
                    .S = SEQ,
                    .tokens = tokens,
                    .resp_start = start,
                    .len = len,
                    .ref_logp = ref_logp};
    LossMetrics m;
    int bad = prefstep_train(&train, &w, &g, &lp, &pb, 1.0, logp, &m);
    CHECKF(bad == 0, "non-finite loss");

    FILE *f = fopen(argv[1], "wb");
    CHECKF(f, "cannot open %s", argv[1]);
    int32_t theta_bits, eps_bits;  // LLaMA's float fields, bit for bit (0 for GPT-2)
    memcpy(&theta_bits, &cfg.rope_theta, 4);
    memcpy(&eps_bits, &cfg.norm_eps, 4);
    int32_t header[HEADER_INTS] = {0x434F4E43,
                                   DUMP_VERSION,
                                   cfg.V,
                                   cfg.Vp,
                                   cfg.T,
                                   cfg.C,
                                   cfg.L,
                                   cfg.NH,
                                   B,
                                   SEQ,
                                   N_PAIRS,
                                   (int32_t)w.n,
                                   (int32_t)cfg.position,
                                   cfg.digit0,
                                   (int32_t)cfg.arch,
                                   cfg.KV,
                                   cfg.F,
                                   cfg.untied,
                                   theta_bits,
                                   eps_bits,
                                   0,
                                   0,
                                   0,
                                   0};
    float beta = (float)lp.beta, loss = (float)m.loss;
    float flogp[2 * N_PAIRS], fref[2 * N_PAIRS];
    for (int b = 0; b < B; b++) flogp[b] = (float)logp[b], fref[b] = (float)ref_logp[b];
    write_all(f, header, 4, HEADER_INTS);
    write_all(f, &beta, 4, 1);
    write_all(f, w.data, 4, w.n);
    write_all(f, ref.data, 4, ref.n);
    write_all(f, tokens, 4, (size_t)B * SEQ);
    write_all(f, start, 4, (size_t)B);
    write_all(f, len, 4, (size_t)B);
    if (abacus) write_all(f, shift, 4, (size_t)B);
    write_all(f, train.logits, 4, (size_t)B * SEQ * cfg.Vp);
    write_all(f, flogp, 4, (size_t)B);
    write_all(f, fref, 4, (size_t)B);
    write_all(f, &loss, 4, 1);
    write_all(f, g.data, 4, g.n);
    CHECKF(fclose(f) == 0, "cannot close %s", argv[1]);
    printf("wrote %s: %s, %d pairs, %zu parameters, DPO loss %.6f\n", argv[1], mode, N_PAIRS, w.n,
           m.loss);
    acts_free(&train), acts_free(&infer);
    param_slab_free(&w), param_slab_free(&ref), param_slab_free(&g);
    return 0;
}
