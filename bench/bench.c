/* bench/bench.c — concord-bench: speed of the two hot loops of a round on this machine.
   Prints one JSON line per measurement with the keys
     impl, what, config, params, batch_pairs, seq, threads, s_per_step, tokens_per_s, gflops,
     peak_gflops, peak_rss_mb, model_mb, flop_params
   what = dpo_step: policy forward+backward on chosen and rejected, reference forward, AdamW.
          tokens_per_s counts policy tokens (2 * pairs * seq); gflops counts 6·params·tokens for the
          policy and 2·params·tokens for the reference (attention FLOPs not counted, as in the
          usual 6N rule), so it is comparable with bench/torch_ref.py. params here is
          flop_params: the weights a token is multiplied by (every matrix of every layer, and the
          LM head), i.e. the whole slab less the tables that are only looked up (GPT-2's wpe;
          wte when a LLaMA head is untied). The weight shapes make it architecture-aware: GQA's
          narrower k/v rows, SwiGLU's three F-wide matrices, an untied head.
   what = sample: 16 sequences, prompt of seq/2 tokens, 32 new tokens with the KV cache
          (temperature 1, no EOS stop); tokens_per_s counts new tokens; gflops = 2·params·(all
          positions processed).
   what = decode1: one sequence, a 16-token prompt, 64 greedy new tokens with the KV cache;
          tokens_per_s counts new tokens. Decoding one sequence reads every weight once per token,
          so its limit is memory bandwidth: bw_limit_tokens_per_s = mem_gbs / 2 / weight bytes
          (the flop_params weights, 4 bytes each), with
          mem_gbs a large memcpy's rate (read + write bytes) on this machine, same run.
   Every line also has peak_rss_mb (the process's peak resident memory so far) and model_mb: the
   bytes the measurement's buffers need by their shapes (weights, reference, gradients, AdamW
   moments and activations for dpo_step; weights, KV cache and activations for sampling).
   peak_gflops is one large cblas_sgemm (2048³) on the same threads, best of 3.
   Usage: concord-bench [--threads N] [--config tiny|small|gpt2-124m|smollm2-135m|all]
                        [--repeats K] [--what dpo|sample|decode1|all] [--profile]
   "all" configs are tiny and small; gpt2-124m (GPT-2 small's shape) and smollm2-135m
   (SmolLM2-135M's LlamaForCausalLM shape: GQA, SwiGLU, RoPE, RMSNorm, tied head) run when named.
   --profile prints, on stderr, where a dpo_step's time goes by kind of kernel (mean seconds per
   timed step, warm-ups left out). */
#include <cblas.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
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
    {"gpt2-124m", {.V = 50257, .Vp = 50304, .T = 1024, .C = 768, .L = 12, .NH = 12}, 2, 256},
    // T only sizes the rotary tables and buffers here (no wpe): 512 covers every measurement
    {"smollm2-135m",
     {.arch = GPT_ARCH_LLAMA,
      .V = 49152,
      .Vp = 49152,
      .T = 512,
      .C = 576,
      .L = 30,
      .NH = 9,
      .KV = 3,
      .F = 1536,
      .rope_theta = 100000.0f,
      .norm_eps = 1e-5f,
      .untied = 0},
     2,
     256},
};
#define N_ALL_CONFIGS 2  // "all" = tiny and small

// Peak resident memory of this process so far, MiB.
static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Rate of a large memcpy, GB/s of bytes moved (read + write), best of 3 over 512 MiB. Measured in
// a child process, so that its 1 GiB of buffers does not count in this process's peak RSS.
static double memcpy_gbs_here(void);
static double memcpy_gbs(void) {
    int fd[2];
    double gbs = 0.0;
    if (pipe(fd) != 0) return memcpy_gbs_here();
    pid_t pid = fork();
    if (pid == 0) {
        gbs = memcpy_gbs_here();
        ssize_t wr = write(fd[1], &gbs, sizeof gbs);
        _exit(wr == (ssize_t)sizeof gbs ? 0 : 1);
    }
    close(fd[1]);
    if (pid < 0 || read(fd[0], &gbs, sizeof gbs) != (ssize_t)sizeof gbs) gbs = 0.0;
    close(fd[0]);
    if (pid > 0) waitpid(pid, NULL, 0);
    return gbs;
}

static double memcpy_gbs_here(void) {
    size_t n = (size_t)512 << 20;
    char *a = xmalloc("bench.bw", n), *b = xmalloc("bench.bw", n);
    memset(a, 1, n), memset(b, 2, n);
    double best = 1e30;
    for (int rep = 0; rep < 4; rep++) {
        double t0 = timer_now();
        memcpy(b, a, n);
        double dt = timer_now() - t0;
        if (rep > 0 && dt < best) best = dt;
    }
    xfree(a), xfree(b);
    return 2.0 * (double)n / best / 1e9;
}

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
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c,
                    n);
        double dt = timer_now() - t0;
        if (rep > 0 && dt < best) best = dt;  // first run warms up
    }
    xfree(a), xfree(b), xfree(c);
    return 2.0 * n * (double)n * n / best / 1e9;
}

// One JSON line; extra ("" or ", \"key\": value...") is appended before the closing brace.
static void print_line(const BenchConfig *bc, const char *what, size_t params, size_t fparams,
                       int threads, double s, double tokens, double flops, double peak,
                       double model_mb, const char *extra) {
    printf(
        "{\"impl\": \"concord\", \"what\": \"%s\", \"config\": \"%s\", \"params\": %zu, "
        "\"batch_pairs\": %d, \"seq\": %d, \"threads\": %d, \"s_per_step\": %.6f, "
        "\"tokens_per_s\": %.1f, \"gflops\": %.2f, \"peak_gflops\": %.2f, "
        "\"peak_rss_mb\": %.1f, \"model_mb\": %.1f, \"flop_params\": %zu%s}\n",
        what, bc->name, params, bc->pairs, bc->seq, threads, s, tokens / s, flops / s / 1e9, peak,
        peak_rss_mb(), model_mb, fparams, extra);
    fflush(stdout);
}

// Weights a token is multiplied by (see the opening comment): the slab less the lookup-only tables.
static size_t flop_params(const ParamSlab *w) {
    size_t n = w->n;
    for (int i = 0; i < w->ntensors; i++) {
        const TensorSpec *t = &w->table[i];
        int lookup_only =
            strcmp(t->name, "wpe") == 0 ||
            (strcmp(t->name, "wte") == 0 && w->cfg.arch == GPT_ARCH_LLAMA && w->cfg.untied);
        if (lookup_only) n -= t->count;
    }
    return n;
}

// Floats of a KV cache of n slots x positions (keys and values of every layer, KV heads only).
static double kv_cache_floats(const GPTConfig *cfg, int n, int positions) {
    return 2.0 * cfg->L * n * positions * gpt_kv_heads(cfg) * gpt_head_size(cfg);
}

#define MB(floats) ((double)(floats) * sizeof(float) / (1024.0 * 1024.0))

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
    AdamWConfig oc = {.lr = 1e-5f,
                      .warmup_steps = 0,
                      .total_steps = 0,
                      .beta1 = 0.9f,
                      .beta2 = 0.999f,
                      .eps = 1e-8f,
                      .weight_decay = 0.0f,
                      .grad_clip = 1.0f};
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
    PairBatch pb = {.n_pairs = n,
                    .S = S,
                    .tokens = tokens,
                    .resp_start = start,
                    .len = len,
                    .ref_logp = ref_logp};
    double times[64];
    if (repeats > 64) repeats = 64;
    for (int it = 0; it < repeats + 2; it++) {
        if (it == 2)  // the profile covers the timed steps only, not the two warm-ups
            memset(train.prof, 0, sizeof train.prof), memset(infer.prof, 0, sizeof infer.prof);
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
            double t = (train.prof[k] + infer.prof[k]) / repeats;
            total += t;
            fprintf(stderr, " %s %.4f", PROF_OP_NAMES[k], t);
        }
        fprintf(stderr, " | kernels %.4f of %.4f (mean over the timed steps; median step)\n", total,
                s);
    }
    // weights, reference, gradients, AdamW m and v, and both activation slabs
    double model_mb = MB(5.0 * w.n + train.slab_floats + infer.slab_floats);
    double fp = (double)flop_params(&w);
    print_line(bc, "dpo_step", w.n, flop_params(&w), threads, s, tok,
               6.0 * fp * tok + 2.0 * fp * tok, peak, model_mb, "");
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
    int32_t *resp = xmalloc("bench", (size_t)n * new_tokens * 4),
            *rlen = xmalloc("bench", (size_t)n * 4);
    uint32_t *pid = xmalloc("bench", (size_t)n * 4), *sid = xmalloc("bench", (size_t)n * 4);
    Rng r = rng_stream(5, 6);
    for (int i = 0; i < n * P; i++) prompts[i] = (int32_t)rng_below(&r, (uint32_t)cfg->V);
    for (int i = 0; i < n; i++) plen[i] = P, pid[i] = (uint32_t)i, sid[i] = 0;
    GenParams gp = {.seed = 7,
                    .round = 0,
                    .sample = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f},
                    .max_new = new_tokens,
                    .eos = -1};
    double times[64];
    if (repeats > 64) repeats = 64;
    for (int it = 0; it < repeats + 2; it++) {
        double t0 = timer_now();
        generate(resp, rlen, NULL, &kv, &a, &w, prompts, plen, n, P, pid, sid, &gp);
        if (it >= 2) times[it - 2] = timer_now() - t0;
    }
    double s = median(times, repeats);
    double kv_floats = kv_cache_floats(cfg, n, P + new_tokens);
    print_line(bc, "sample", w.n, flop_params(&w), threads, s, (double)n * new_tokens,
               2.0 * (double)flop_params(&w) * n * (P + new_tokens), peak,
               MB(w.n + kv_floats + a.slab_floats), "");
    xfree(prompts), xfree(plen), xfree(resp), xfree(rlen), xfree(pid), xfree(sid);
    kv_free(&kv), acts_free(&a), param_slab_free(&w);
}

// One sequence, greedy: the memory-bandwidth-bound case (every weight read once per token).
static void bench_decode1(const BenchConfig *bc, int threads, int repeats, double peak,
                          double mem_gbs) {
    const GPTConfig *cfg = &bc->cfg;
    int P = 16, new_tokens = 64;
    ParamSlab w;
    param_slab_init(&w, cfg, "bench.params");
    gpt_init_weights(&w, 1);
    KVCache kv;
    kv_init(&kv, cfg, 1, P + new_tokens);
    Activations a;
    acts_init(&a, cfg, 1, P, 0);
    int32_t prompt[16], plen = P, resp[64], rlen;
    uint32_t pid = 0, sid = 0;
    Rng r = rng_stream(5, 7);
    for (int i = 0; i < P; i++) prompt[i] = (int32_t)rng_below(&r, (uint32_t)cfg->V);
    GenParams gp = {.seed = 7,
                    .round = 0,
                    .sample = {.temperature = 0.0f, .top_k = 0, .top_p = 1.0f},
                    .max_new = new_tokens,
                    .eos = -1};
    double times[64];
    if (repeats > 64) repeats = 64;
    for (int it = 0; it < repeats + 2; it++) {
        double t0 = timer_now();
        generate(resp, &rlen, NULL, &kv, &a, &w, prompt, &plen, 1, P, &pid, &sid, &gp);
        if (it >= 2) times[it - 2] = timer_now() - t0;
    }
    double s = median(times, repeats);
    // the prefill is one pass over the weights too: P + new_tokens - 1 passes in all would
    // overcount it, so the limit counts one read of the weights per new token
    double weight_gb = (double)flop_params(&w) * sizeof(float) / 1e9;
    double limit = mem_gbs / 2.0 / weight_gb;  // memcpy moves 2 bytes per byte read
    char extra[160];
    snprintf(extra, sizeof extra,
             ", \"mem_gbs\": %.2f, \"bw_limit_tokens_per_s\": %.2f, \"share_of_bw_limit\": %.3f",
             mem_gbs, limit, new_tokens / s / limit);
    double kv_floats = kv_cache_floats(cfg, 1, P + new_tokens);
    print_line(bc, "decode1", w.n, flop_params(&w), threads, s, new_tokens,
               2.0 * (double)flop_params(&w) * (P + new_tokens), peak,
               MB(w.n + kv_floats + a.slab_floats), extra);
    kv_free(&kv), acts_free(&a), param_slab_free(&w);
}

static void usage(void) {
    fprintf(stderr,
            "usage: concord-bench [--threads N] [--config tiny|small|gpt2-124m|"
            "smollm2-135m|all] [--repeats K] [--what dpo|sample|decode1|all] [--profile]\n");
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
        if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--config") == 0)
            config = argv[++i];
        else if (strcmp(argv[i], "--repeats") == 0)
            repeats = atoi(argv[++i]);
        else if (strcmp(argv[i], "--what") == 0)
            what = argv[++i];
        else
            usage();
    }
    if (threads < 1 || repeats < 1) usage();
    if (strcmp(what, "all") != 0 && strcmp(what, "dpo") != 0 && strcmp(what, "sample") != 0 &&
        strcmp(what, "decode1") != 0)
        usage();
    matmul_set_threads(threads);
    char advice[400];
    fprintf(stderr, "OpenBLAS kernels: %s\n", matmul_blas_core());
    if (matmul_blas_core_advice(advice, sizeof advice)) fprintf(stderr, "warning: %s\n", advice);
    double peak = peak_gflops(), mem_gbs = 0.0;
    int all = strcmp(what, "all") == 0, known = 0;
    for (int i = 0; i < (int)(sizeof CONFIGS / sizeof CONFIGS[0]); i++) {
        const BenchConfig *bc = &CONFIGS[i];
        if (strcmp(config, "all") == 0 ? i >= N_ALL_CONFIGS : strcmp(config, bc->name) != 0)
            continue;
        known = 1;
        // smallest footprint first, so each line's peak_rss_mb is its own measurement's peak
        if (all || strcmp(what, "decode1") == 0) {
            if (mem_gbs == 0.0) mem_gbs = memcpy_gbs();
            bench_decode1(bc, threads, repeats, peak, mem_gbs);
        }
        if (all || strcmp(what, "sample") == 0) bench_sample(bc, threads, repeats, peak);
        if (all || strcmp(what, "dpo") == 0) bench_dpo(bc, threads, repeats, peak);
    }
    if (!known) usage();
    return 0;
}
