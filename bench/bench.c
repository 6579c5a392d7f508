/* bench/bench.c — concord-bench: speed of the two hot loops of a round on this machine.
   Prints one JSON line per measurement with the keys
     impl, what, config, params, batch_pairs, seq, threads, s_per_step, tokens_per_s, gflops,
     peak_gflops
   what = dpo_step: policy forward+backward on chosen and rejected, reference forward, AdamW.
          tokens_per_s counts policy tokens (2 * pairs * seq); gflops counts 6·params·tokens for the
          policy and 2·params·tokens for the reference (attention FLOPs not counted, as in the
          usual 6N rule), so it is comparable with bench/torch_ref.py.
   what = sample: 16 sequences, prompt of seq/2 tokens, 32 new tokens with the KV cache
          (temperature 1, no EOS stop); tokens_per_s counts new tokens; gflops = 2·params·(all
          positions processed).
   peak_gflops is one large cblas_sgemm (2048³) on the same threads, best of 3.
   Usage: concord-bench [--threads N] [--config tiny|small|all] [--repeats K] [--what dpo|sample|all]
                        [--profile]
   --profile prints, on stderr, where a dpo_step's time goes by kind of kernel. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/adamw.h"
#include "train/generate.h"
#include "train/matmul.h"
#include "train/prefstep.h"
#include "train/rng.h"
#include "util/alloc.h"
#include "util/timer.h"

typedef struct {
    const char *name;
    GPTConfig cfg;
    int pairs, seq;
} BenchConfig;

static const BenchConfig CONFIGS[] = {
    {"tiny", {.V = 64, .Vp = 64, .T = 128, .C = 128, .L = 4, .NH = 4}, 8, 64},
    {"small", {.V = 64, .Vp = 64, .T = 256, .C = 384, .L = 6, .NH = 6}, 8, 128},
};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double peak_gflops(void) {
    int n = 2048;
    float *a = xmalloc("bench", (size_t)n * n * 4), *b = xmalloc("bench", (size_t)n * n * 4);
    float *c = xmalloc("bench", (size_t)n * n * 4);
    Rng r = rng_stream(1, 2);
    for (size_t i = 0; i < (size_t)n * n; i++) a[i] = rng_uniform(&r), b[i] = rng_uniform(&r);
    double best = 1e30;
    for (int rep = 0; rep < 4; rep++) {
        double t0 = timer_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double dt = timer_now() - t0;
        if (rep > 0 && dt < best) best = dt;  // first run warms up
    }
    xfree(a), xfree(b), xfree(c);
    return 2.0 * n * (double)n * n / best / 1e9;
}

static void print_line(const BenchConfig *bc, const char *what, size_t params, int threads,
                       double s, double tokens, double flops, double peak) {
    printf("{\"impl\": \"concord\", \"what\": \"%s\", \"config\": \"%s\", \"params\": %zu, "
           "\"batch_pairs\": %d, \"seq\": %d, \"threads\": %d, \"s_per_step\": %.6f, "
           "\"tokens_per_s\": %.1f, \"gflops\": %.2f, \"peak_gflops\": %.2f}\n",
           what, bc->name, params, bc->pairs, bc->seq, threads, s, tokens / s, flops / s / 1e9, peak);
    fflush(stdout);
}

static int profile = 0;

static void bench_dpo(const BenchConfig *bc, int threads, int repeats, double peak) {
    const GPTConfig *cfg = &bc->cfg;
    int n = bc->pairs, B = 2 * n, S = bc->seq;
    ParamSlab w, ref, g;
    param_slab_init(&w, cfg, "bench.params");
    param_slab_init(&ref, cfg, "bench.ref");
    param_slab_init(&g, cfg, "bench.grads");
    gpt_init_weights(&w, 1);
    param_slab_copy(&ref, &w);
    AdamWConfig oc = {.lr = 1e-5f, .warmup_steps = 0, .total_steps = 0, .beta1 = 0.9f,
                      .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f, .grad_clip = 1.0f};
    AdamW opt;
    adamw_init(&opt, &oc, cfg);
    Activations train, infer;
    acts_init(&train, cfg, B, S, 1);
    acts_init(&infer, cfg, B, S, 0);
    int32_t *tokens = xmalloc("bench", (size_t)B * S * 4), *start = xmalloc("bench", (size_t)B * 4);
    int32_t *len = xmalloc("bench", (size_t)B * 4);
    double *ref_logp = xmalloc("bench", (size_t)B * 8);
    Rng r = rng_stream(3, 4);
    for (int i = 0; i < B * S; i++) tokens[i] = (int32_t)rng_below(&r, (uint32_t)cfg->V);
    for (int b = 0; b < B; b++) start[b] = S / 2, len[b] = S;
    LossParams lp = loss_params_default(LOSS_DPO);
    PairBatch pb = {.n_pairs = n, .S = S, .tokens = tokens, .resp_start = start, .len = len,
                    .ref_logp = ref_logp};
    double times[64];
    if (repeats > 64) repeats = 64;
    for (int it = 0; it < repeats + 2; it++) {
        double t0 = timer_now();
        prefstep_logprobs(ref_logp, &infer, &ref, tokens, start, len, B, S);
        memset(g.data, 0, g.n * sizeof(float));
        LossMetrics m;
        prefstep_train(&train, &w, &g, &lp, &pb, 1.0, NULL, &m);
        adamw_step(&opt, &w, &g);
        if (it >= 2) times[it - 2] = timer_now() - t0;
    }
    double s = median(times, repeats);
    double tok = (double)B * S;
    if (profile) {  // kernel time per step, policy (train) and reference (infer) passes together
        fprintf(stderr, "profile %s dpo_step (s/step):", bc->name);
        double total = 0.0;
        for (int k = 0; k < PROF_COUNT; k++) {
            double t = (train.prof[k] + infer.prof[k]) / (repeats + 2);
            total += t;
            fprintf(stderr, " %s %.4f", PROF_OP_NAMES[k], t);
        }
        fprintf(stderr, " | kernels %.4f of %.4f\n", total, s);
    }
    print_line(bc, "dpo_step", w.n, threads, s, tok, 6.0 * w.n * tok + 2.0 * w.n * tok, peak);
    xfree(tokens), xfree(start), xfree(len), xfree(ref_logp);
    acts_free(&train), acts_free(&infer), adamw_free(&opt);
    param_slab_free(&w), param_slab_free(&ref), param_slab_free(&g);
}

static void bench_sample(const BenchConfig *bc, int threads, int repeats, double peak) {
    const GPTConfig *cfg = &bc->cfg;
    int n = 16, P = bc->seq / 2, new_tokens = 32;
    ParamSlab w;
    param_slab_init(&w, cfg, "bench.params");
    gpt_init_weights(&w, 1);
    KVCache kv;
    kv_init(&kv, cfg, n, P + new_tokens);
    Activations a;
    acts_init(&a, cfg, n, P, 0);
    int32_t *prompts = xmalloc("bench", (size_t)n * P * 4), *plen = xmalloc("bench", (size_t)n * 4);
    int32_t *resp = xmalloc("bench", (size_t)n * new_tokens * 4), *rlen = xmalloc("bench", (size_t)n * 4);
    uint32_t *pid = xmalloc("bench", (size_t)n * 4), *sid = xmalloc("bench", (size_t)n * 4);
    Rng r = rng_stream(5, 6);
    for (int i = 0; i < n * P; i++) prompts[i] = (int32_t)rng_below(&r, (uint32_t)cfg->V);
    for (int i = 0; i < n; i++) plen[i] = P, pid[i] = (uint32_t)i, sid[i] = 0;
    GenParams gp = {.seed = 7, .round = 0, .sample = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f},
                    .max_new = new_tokens, .eos = -1};
    double times[64];
    if (repeats > 64) repeats = 64;
    for (int it = 0; it < repeats + 2; it++) {
        double t0 = timer_now();
        generate(resp, rlen, NULL, &kv, &a, &w, prompts, plen, n, P, pid, sid, &gp);
        if (it >= 2) times[it - 2] = timer_now() - t0;
    }
    double s = median(times, repeats);
    print_line(bc, "sample", w.n, threads, s, (double)n * new_tokens,
               2.0 * w.n * (double)n * (P + new_tokens), peak);
    xfree(prompts), xfree(plen), xfree(resp), xfree(rlen), xfree(pid), xfree(sid);
    kv_free(&kv), acts_free(&a), param_slab_free(&w);
}

static void usage(void) {
    fprintf(stderr, "usage: concord-bench [--threads N] [--config tiny|small|all] [--repeats K] "
                    "[--what dpo|sample|all] [--profile]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int threads = 2, repeats = 5;
    const char *config = "all", *what = "all";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--profile") == 0) {
            profile = 1;
            continue;
        }
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--config") == 0) config = argv[++i];
        else if (strcmp(argv[i], "--repeats") == 0) repeats = atoi(argv[++i]);
        else if (strcmp(argv[i], "--what") == 0) what = argv[++i];
        else usage();
    }
    if (threads < 1 || repeats < 1) usage();
    matmul_set_threads(threads);
    char advice[400];
    fprintf(stderr, "OpenBLAS kernels: %s\n", matmul_blas_core());
    if (matmul_blas_core_advice(advice, sizeof advice)) fprintf(stderr, "warning: %s\n", advice);
    double peak = peak_gflops();
    for (size_t i = 0; i < sizeof CONFIGS / sizeof CONFIGS[0]; i++) {
        const BenchConfig *bc = &CONFIGS[i];
        if (strcmp(config, "all") != 0 && strcmp(config, bc->name) != 0) continue;
        if (strcmp(what, "all") == 0 || strcmp(what, "dpo") == 0) bench_dpo(bc, threads, repeats, peak);
        if (strcmp(what, "all") == 0 || strcmp(what, "sample") == 0)
            bench_sample(bc, threads, repeats, peak);
    }
    return 0;
}
