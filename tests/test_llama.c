/* tests/test_llama.c — the LLaMA architecture (cfg.arch = llama): RMSNorm, RoPE, SwiGLU and
   grouped-query attention against their naive references on odd shapes and against central
   finite differences; grouped-query attention against multi-head attention on repeated key/value
   heads; the whole model's gradient against finite differences (tied and untied head, KV < NH and
   KV == NH); KV-cache decoding against the full forward; decoding, sampling (train/generate.h)
   and log-probs that do not depend on batch-mates or padding. GPT-2 keeps its own tests (tests/test_gpt.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model_fixture.h"
#include "train/generate.h"
#include "train/gpt.h"
#include "train/logprob.h"
#include "train/matmul.h"
#include "train/ops.h"
#include "train/ops_llama.h"
#include "train/rng.h"
#include "util/alloc.h"

static Rng rng;

static float *randn(size_t n, float scale) {
    float *p = xmalloc("test", n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = scale * rng_normal(&rng);
    return p;
}

static float *copy_of(const float *src, size_t n) {
    float *p = xmalloc("test", n * sizeof(float));
    memcpy(p, src, n * sizeof(float));
    return p;
}

// ---- kernels vs references ----

static void test_rmsnorm_vs_ref(void) {
    int N = 37, C = 29;
    size_t n = (size_t)N * C;
    float *x = randn(n, 2), *w = randn(C, 1), *o1 = randn(n, 1), *o2 = randn(n, 1);
    float r1[37], r2[37];
    rmsnorm_forward(o1, r1, x, w, 1e-5f, N, C);
    rmsnorm_forward_ref(o2, r2, x, w, 1e-5f, N, C);
    CHECK_MSG(rel_err(o1, o2, n) < 1e-6, "rmsnorm forward vs ref: %g", rel_err(o1, o2, n));
    CHECK_TRUE(rel_err(r1, r2, N) < 1e-6);
    float *dout = randn(n, 1), *dx1 = randn(n, 1), *dx2 = copy_of(dx1, n);
    float *dw1 = randn(C, 1), *dw2 = copy_of(dw1, C);
    for (int rep = 0; rep < 2; rep++) {  // twice: both outputs accumulate
        rmsnorm_backward(dx1, dw1, dout, x, w, r1, N, C);
        rmsnorm_backward_ref(dx2, dw2, dout, x, w, r2, N, C);
    }
    CHECK_MSG(rel_err(dx1, dx2, n) < 1e-5, "rmsnorm dinp vs ref: %g", rel_err(dx1, dx2, n));
    CHECK_MSG(rel_err(dw1, dw2, C) < 1e-5, "rmsnorm dweight vs ref: %g", rel_err(dw1, dw2, C));
    // eps enters: a zero row gives rstd = 1/sqrt(eps), not a division by zero
    float zero[29] = {0}, out[29], rz;
    rmsnorm_forward(out, &rz, zero, w, 0.25f, 1, C);
    CHECK_NEAR(rz, 2.0, 1e-6);
    xfree(x), xfree(w), xfree(o1), xfree(o2), xfree(dout), xfree(dx1), xfree(dx2), xfree(dw1),
        xfree(dw2);
}

static void test_rope_vs_ref(void) {
    int B = 2, T = 11, NH = 4, KV = 2, hs = 6, W = (NH + 2 * KV) * hs;
    size_t n = (size_t)B * T * W;
    float theta = 500.0f;
    float *cs = xmalloc("test", (size_t)T * hs / 2 * 4),
          *sn = xmalloc("test", (size_t)T * hs / 2 * 4);
    rope_tables(cs, sn, T, hs, theta);
    CHECK_TRUE(cs[0] == 1.0f && sn[0] == 0.0f);  // position 0 is the identity
    // frequency 1 at position 5: angle 5·theta^(-2/6)
    CHECK_NEAR(sn[5 * 3 + 1], sin(5.0 * pow(500.0, -1.0 / 3.0)), 1e-7);
    float *x = randn(n, 1), *a = copy_of(x, n), *b = copy_of(x, n);
    rope_forward(a, cs, sn, NULL, B, T, NH, KV, hs);
    rope_forward_ref(b, NULL, B, T, NH, KV, hs, theta);
    CHECK_MSG(rel_err(a, b, n) < 1e-6, "rope forward vs ref: %g", rel_err(a, b, n));
    // value heads are untouched; row t = 0 is unchanged
    int untouched = 1;
    for (int r = 0; r < B * T; r++)
        for (int j = (NH + KV) * hs; j < W; j++)
            untouched &= a[(size_t)r * W + j] == x[(size_t)r * W + j];
    CHECK_TRUE(untouched);
    CHECK_TRUE(memcmp(a, x, (size_t)W * 4) == 0);
    // the rotation keeps each head's pair norms; the backward (transpose) undoes it
    double worst = 0.0;
    for (int r = 0; r < B * T; r++)
        for (int h = 0; h < NH + KV; h++)
            for (int i = 0; i < hs / 2; i++) {
                size_t o = (size_t)r * W + (size_t)h * hs + i;
                double n0 = hypot(x[o], x[o + hs / 2]), n1 = hypot(a[o], a[o + hs / 2]);
                worst = fmax(worst, fabs(n0 - n1));
            }
    CHECK_MSG(worst < 1e-5, "rope changes a pair's norm by %g", worst);
    rope_backward(a, cs, sn, NULL, B, T, NH, KV, hs);
    CHECK_MSG(rel_err(a, x, n) < 1e-6, "rope backward does not invert the forward: %g",
              rel_err(a, x, n));
    float *d = randn(n, 1), *d1 = copy_of(d, n), *d2 = copy_of(d, n);
    rope_backward(d1, cs, sn, NULL, B, T, NH, KV, hs);
    rope_backward_ref(d2, NULL, B, T, NH, KV, hs, theta);
    CHECK_MSG(rel_err(d1, d2, n) < 1e-6, "rope backward vs ref: %g", rel_err(d1, d2, n));
    // explicit positions (decoding): rows at positions 7 and 3 equal those rows of the full pass
    int pos[2] = {7, 3};
    float *rows = xmalloc("test", (size_t)2 * W * 4), *full = copy_of(x, n);
    memcpy(rows, x + (size_t)7 * W, (size_t)W * 4);
    memcpy(rows + W, x + (size_t)(T + 3) * W, (size_t)W * 4);
    rope_forward(full, cs, sn, NULL, B, T, NH, KV, hs);
    rope_forward(rows, cs, sn, pos, 2, 1, NH, KV, hs);
    CHECK_TRUE(memcmp(rows, full + (size_t)7 * W, (size_t)W * 4) == 0);
    CHECK_TRUE(memcmp(rows + W, full + (size_t)(T + 3) * W, (size_t)W * 4) == 0);
    memcpy(rows, x + (size_t)7 * W, (size_t)W * 4);
    memcpy(rows + W, x + (size_t)(T + 3) * W, (size_t)W * 4);
    rope_forward_ref(rows, pos, 2, 1, NH, KV, hs, theta);
    CHECK_TRUE(rel_err(rows, full + (size_t)7 * W, W) < 1e-6);
    xfree(cs), xfree(sn), xfree(x), xfree(a), xfree(b), xfree(d), xfree(d1), xfree(d2);
    xfree(rows), xfree(full);
}

static void test_swiglu_vs_ref(void) {
    int64_t N = 9;
    int F = 301;
    size_t ni = (size_t)N * 2 * F, no = (size_t)N * F;
    float *x = randn(ni, 3), *o1 = randn(no, 1), *o2 = randn(no, 1);
    x[0] = -200.0f, x[1] = 200.0f, x[2] = 0.0f;  // saturated gates stay finite
    swiglu_forward(o1, x, N, F);
    swiglu_forward_ref(o2, x, N, F);
    CHECK_MSG(rel_err(o1, o2, no) < 1e-6, "swiglu forward vs ref: %g", rel_err(o1, o2, no));
    CHECK_TRUE(o1[0] == 0.0f && o1[2] == 0.0f && isfinite(o1[1]));
    float *dout = randn(no, 1), *d1 = randn(ni, 1), *d2 = randn(ni, 1);
    swiglu_backward(d1, x, dout, N, F);
    swiglu_backward_ref(d2, x, dout, N, F);
    CHECK_MSG(rel_err(d1, d2, ni) < 1e-6, "swiglu backward vs ref: %g", rel_err(d1, d2, ni));
    int finite = 1;
    for (size_t i = 0; i < ni; i++) finite &= isfinite(d1[i]);
    CHECK_TRUE(finite);
    xfree(x), xfree(o1), xfree(o2), xfree(dout), xfree(d1), xfree(d2);
}

// Grouped-query attention: optimised vs reference, and equal to multi-head attention over the
// key/value heads repeated per group (Hugging Face's repeat_kv), whose key/value gradients sum
// over the group.
static void check_gqa(int B, int T, int NH, int KV, int hs) {
    int C = NH * hs, W = (NH + 2 * KV) * hs, group = NH / KV, W3 = 3 * C;
    size_t nq = (size_t)B * T * W, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *qkv = randn(nq, 1), *o1 = randn(no, 1), *o2 = randn(no, 1);
    float *a1 = randn(na, 1), *a2 = randn(na, 1);
    attention_forward(o1, a1, qkv, B, T, C, NH, KV);
    attention_forward_ref(o2, a2, qkv, B, T, C, NH, KV);
    CHECK_MSG(rel_err(o1, o2, no) < 1e-5, "attention NH=%d KV=%d forward vs ref", NH, KV);
    CHECK_MSG(rel_err(a1, a2, na) < 1e-5, "attention NH=%d KV=%d probabilities vs ref", NH, KV);
    float *dout = randn(no, 1), *d1 = randn(nq, 1), *d2 = randn(nq, 1);
    attention_backward(d1, dout, qkv, a1, B, T, C, NH, KV);
    attention_backward_ref(d2, dout, qkv, a2, B, T, C, NH, KV);
    CHECK_MSG(rel_err(d1, d2, nq) < 1e-5, "attention NH=%d KV=%d backward vs ref: %g", NH, KV,
              rel_err(d1, d2, nq));
    // multi-head equivalent: rows [q | k repeated | v repeated] of width 3C
    float *mha = xmalloc("test", (size_t)B * T * W3 * 4);
    for (int r = 0; r < B * T; r++)
        for (int h = 0; h < NH; h++) {
            const float *src = qkv + (size_t)r * W;
            float *dst = mha + (size_t)r * W3;
            memcpy(dst + h * hs, src + h * hs, (size_t)hs * 4);
            memcpy(dst + C + h * hs, src + (size_t)(NH + h / group) * hs, (size_t)hs * 4);
            memcpy(dst + 2 * C + h * hs, src + (size_t)(NH + KV + h / group) * hs, (size_t)hs * 4);
        }
    float *om = xmalloc("test", no * 4), *am = xmalloc("test", na * 4);
    float *dm = xmalloc("test", (size_t)B * T * W3 * 4);
    attention_forward(om, am, mha, B, T, C, NH, NH);
    CHECK_MSG(rel_err(o1, om, no) < 1e-6, "GQA NH=%d KV=%d differs from MHA on repeated heads", NH,
              KV);
    attention_backward(dm, dout, mha, am, B, T, C, NH, NH);
    double worst = 0.0, scale = 1e-12;
    for (int r = 0; r < B * T; r++) {
        for (int j = 0; j < NH * hs; j++) {  // dq
            double want = dm[(size_t)r * W3 + j];
            worst = fmax(worst, fabs(d1[(size_t)r * W + j] - want)),
            scale = fmax(scale, fabs(want));
        }
        for (int kvh = 0; kvh < KV; kvh++)
            for (int i = 0; i < hs; i++)
                for (int part = 1; part <= 2; part++) {  // dk, dv: sums over the group
                    double want = 0.0;
                    for (int h = kvh * group; h < (kvh + 1) * group; h++)
                        want += dm[(size_t)r * W3 + (size_t)part * C + (size_t)h * hs + i];
                    float got = d1[(size_t)r * W + (size_t)(NH + (part - 1) * KV + kvh) * hs + i];
                    worst = fmax(worst, fabs(got - want)), scale = fmax(scale, fabs(want));
                }
    }
    CHECK_MSG(worst / scale < 1e-5, "GQA NH=%d KV=%d gradient vs MHA group sums: %g", NH, KV,
              worst / scale);
    xfree(qkv), xfree(o1), xfree(o2), xfree(a1), xfree(a2), xfree(dout), xfree(d1), xfree(d2);
    xfree(mha), xfree(om), xfree(am), xfree(dm);
}

static void test_gqa(void) {
    check_gqa(2, 13, 4, 2, 5);
    check_gqa(1, 9, 6, 1, 4);  // multi-query
    check_gqa(2, 7, 3, 3, 4);  // KV == NH
}

// ---- layer backward vs finite differences (loss = Σ out·R for a fixed random R) ----

typedef void (*FwdFn)(float *out, const float *in, void *ctx);

// Worst |fd − analytic| / max|analytic| over 24 sampled inputs.
static double fd_check(FwdFn f, void *ctx, float *in, size_t n_in, size_t n_out, const float *R,
                       const float *analytic, float eps) {
    float *out = xmalloc("test", n_out * 4);
    double worst = 0.0, scale = 1e-6;
    for (size_t i = 0; i < n_in; i++) scale = fmax(scale, fabs(analytic[i]));
    for (size_t k = 0; k < 24; k++) {
        size_t i = (size_t)rng_below(&rng, (uint32_t)n_in);
        float keep = in[i];
        in[i] = keep + eps;
        f(out, in, ctx);
        double lp = dot(out, R, n_out);
        in[i] = keep - eps;
        f(out, in, ctx);
        double lm = dot(out, R, n_out);
        in[i] = keep;
        worst = fmax(worst, fabs((lp - lm) / (2.0 * eps) - analytic[i]) / scale);
    }
    xfree(out);
    return worst;
}

typedef struct {
    int N, C;
    const float *x, *w;
} RmsCtx;
static void rms_fwd_x(float *out, const float *in, void *p) {
    RmsCtx *c = p;
    float rstd[8];
    rmsnorm_forward(out, rstd, in, c->w, 1e-5f, c->N, c->C);
}
static void rms_fwd_w(float *out, const float *in, void *p) {
    RmsCtx *c = p;
    float rstd[8];
    rmsnorm_forward(out, rstd, c->x, in, 1e-5f, c->N, c->C);
}

static void test_rmsnorm_fd(void) {
    int N = 5, C = 19;
    size_t n = (size_t)N * C;
    float *x = randn(n, 1), *w = randn(C, 1), *R = randn(n, 1), *out = xmalloc("test", n * 4);
    float *dx = xcalloc("test", n, 4), *dw = xcalloc("test", C, 4), rstd[5];
    rmsnorm_forward(out, rstd, x, w, 1e-5f, N, C);
    rmsnorm_backward(dx, dw, R, x, w, rstd, N, C);
    RmsCtx ctx = {N, C, x, w};
    CHECK_MSG(fd_check(rms_fwd_x, &ctx, x, n, n, R, dx, 1e-2f) < 2e-3,
              "rmsnorm dinp vs finite differences");
    CHECK_MSG(fd_check(rms_fwd_w, &ctx, w, C, n, R, dw, 1e-2f) < 2e-3,
              "rmsnorm dweight vs finite differences");
    xfree(x), xfree(w), xfree(R), xfree(out), xfree(dx), xfree(dw);
}

typedef struct {
    int B, T, NH, KV, hs;
    const float *cs, *sn;
} RopeCtx;
static void rope_fwd(float *out, const float *in, void *p) {
    RopeCtx *c = p;
    memcpy(out, in, (size_t)c->B * c->T * (c->NH + 2 * c->KV) * c->hs * 4);
    rope_forward(out, c->cs, c->sn, NULL, c->B, c->T, c->NH, c->KV, c->hs);
}

static void test_rope_fd(void) {
    RopeCtx c = {2, 5, 2, 1, 4, NULL, NULL};
    size_t n = (size_t)c.B * c.T * (c.NH + 2 * c.KV) * c.hs;
    float *cs = xmalloc("test", (size_t)c.T * 2 * 4), *sn = xmalloc("test", (size_t)c.T * 2 * 4);
    rope_tables(cs, sn, c.T, c.hs, 10000.0f);
    c.cs = cs, c.sn = sn;
    float *x = randn(n, 1), *R = randn(n, 1), *d = copy_of(R, n);
    rope_backward(d, cs, sn, NULL, c.B, c.T, c.NH, c.KV, c.hs);
    CHECK_MSG(fd_check(rope_fwd, &c, x, n, n, R, d, 1e-2f) < 2e-3, "rope vs finite differences");
    xfree(cs), xfree(sn), xfree(x), xfree(R), xfree(d);
}

static void swiglu_fwd(float *out, const float *in, void *p) {
    swiglu_forward(out, in, 4, *(int *)p);
}

static void test_swiglu_fd(void) {
    int F = 7;
    float *x = randn((size_t)4 * 2 * F, 2), *R = randn((size_t)4 * F, 1),
          *d = xmalloc("test", (size_t)4 * 2 * F * 4);
    swiglu_backward(d, x, R, 4, F);
    CHECK_MSG(fd_check(swiglu_fwd, &F, x, (size_t)4 * 2 * F, (size_t)4 * F, R, d, 1e-2f) < 2e-3,
              "swiglu vs finite differences");
    xfree(x), xfree(R), xfree(d);
}

typedef struct {
    int B, T, C, NH, KV;
    float *att;
} AttCtx;
static void att_fwd(float *out, const float *in, void *p) {
    AttCtx *c = p;
    attention_forward_ref(out, c->att, in, c->B, c->T, c->C, c->NH, c->KV);
}

static void test_gqa_fd(void) {
    AttCtx c = {2, 7, 12, 4, 2, NULL};
    int W = (c.NH + 2 * c.KV) * (c.C / c.NH);
    size_t nq = (size_t)c.B * c.T * W, no = (size_t)c.B * c.T * c.C,
           na = (size_t)c.B * c.NH * c.T * c.T;
    float *qkv = randn(nq, 1), *R = randn(no, 1), *out = xmalloc("test", no * 4);
    float *att = xmalloc("test", na * 4), *d = xmalloc("test", nq * 4);
    attention_forward(out, att, qkv, c.B, c.T, c.C, c.NH, c.KV);
    attention_backward(d, R, qkv, att, c.B, c.T, c.C, c.NH, c.KV);
    c.att = xmalloc("test", na * 4);
    CHECK_MSG(fd_check(att_fwd, &c, qkv, nq, no, R, d, 1e-2f) < 2e-3,
              "grouped-query attention vs finite differences");
    xfree(qkv), xfree(R), xfree(out), xfree(att), xfree(d), xfree(c.att);
}

// ---- whole model ----

static GPTConfig llama_cfg(int KV, int untied) {
    GPTConfig c = {.arch = GPT_ARCH_LLAMA,
                   .V = 11,
                   .Vp = 16,
                   .T = 12,
                   .C = 16,
                   .L = 2,
                   .NH = 4,
                   .KV = KV,
                   .F = 24,
                   .rope_theta = 100.0f,
                   .norm_eps = 1e-5f,
                   .untied = untied};
    return c;
}

// Batch of 3 sequences (S=10) with different prompt/response spans.
static const int32_t SEQ_TOK[3][10] = {{1, 4, 5, 6, 7, 8, 2, 0, 0, 0},
                                       {1, 9, 10, 4, 5, 2, 0, 0, 0, 0},
                                       {1, 6, 6, 7, 8, 9, 10, 4, 5, 2}};
static const int32_t SEQ_START[3] = {3, 2, 5};
static const int32_t SEQ_LEN[3] = {7, 6, 10};
static const double SEQ_WEIGHT[3] = {1.0, -0.5, 0.75};

static double weighted_logp(Activations *a, const ParamSlab *w) {
    const float *logits = gpt_forward(a, w, &SEQ_TOK[0][0], 3, 10);
    double lp[3];
    seq_logprob_forward(lp, logits, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10, w->cfg.V, w->cfg.Vp);
    return SEQ_WEIGHT[0] * lp[0] + SEQ_WEIGHT[1] * lp[1] + SEQ_WEIGHT[2] * lp[2];
}

// Random weights around the initialisation: norm weights away from 1, matrices larger than the
// 0.02 initialisation so every term matters.
static void perturbed_weights(ParamSlab *w, uint64_t seed) {
    gpt_init_weights(w, seed);
    for (size_t i = 0; i < w->n; i++) w->data[i] += 0.1f * rng_normal(&rng);
}

// Layers reported to the grad_ready callback, in order.
typedef struct {
    int n, layers[8];
} ReadyLog;
static void log_ready(void *ctx, int layer) {
    ReadyLog *r = ctx;
    if (r->n < 8) r->layers[r->n] = layer;
    r->n++;
}

static void test_model_fd(int KV, int untied) {
    GPTConfig cfg = llama_cfg(KV, untied);
    ErrMsg e;
    CHECK_TRUE(gpt_config_check(&cfg, &e) == 0);
    ParamSlab w, g;
    param_slab_init(&w, &cfg, "test.params");
    param_slab_init(&g, &cfg, "test.grads");
    CHECK_TRUE(w.ntensors == (untied ? 9 : 8) && (w.t.lm_head != NULL) == untied);
    CHECK_TRUE(w.t.wpe == NULL && w.t.ln1_b == NULL && w.t.qkv_b == NULL && w.t.fc_b == NULL);
    perturbed_weights(&w, 7);
    Activations a;
    acts_init(&a, &cfg, 3, 10, 1);
    ReadyLog ready = {0};
    a.grad_ready = log_ready, a.grad_ready_ctx = &ready;
    weighted_logp(&a, &w);
    seq_logprob_backward(a.dlogits, SEQ_WEIGHT, a.logits, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10,
                         cfg.V, cfg.Vp);
    gpt_backward(&g, &a, &w);
    CHECK_TRUE(ready.n == 3 && ready.layers[0] == -1 && ready.layers[1] == 1 &&
               ready.layers[2] == 0);
    for (int ti = 0; ti < w.ntensors; ti++) {
        const TensorSpec *t = &w.table[ti];
        double worst = 0.0, scale = 1e-4;
        for (size_t k = 0; k < t->count; k++) scale = fmax(scale, fabs(g.data[t->offset + k]));
        for (int k = 0; k < 8; k++) {
            size_t i = t->offset + rng_below(&rng, (uint32_t)t->count);
            float keep = w.data[i], eps = 2e-3f;
            w.data[i] = keep + eps;
            double lp = weighted_logp(&a, &w);
            w.data[i] = keep - eps;
            double lm = weighted_logp(&a, &w);
            w.data[i] = keep;
            worst = fmax(worst, fabs((lp - lm) / (2.0 * eps) - g.data[i]) / scale);
        }
        CHECK_MSG(worst < 2e-2, "llama KV=%d untied=%d: gradient of %s vs finite differences: %g",
                  KV, untied, t->name, worst);
    }
    // the rows of padding ids (>= V, never in a valid position) get no gradient
    int idle = 1;
    for (size_t i = (size_t)cfg.V * cfg.C; i < (size_t)cfg.Vp * cfg.C; i++)
        idle &= g.t.wte[i] == 0.0f;
    CHECK_TRUE(idle);
    acts_free(&a);
    param_slab_free(&w);
    param_slab_free(&g);
}

// Untied with lm_head equal to wte is the tied model: same logits; the tied wte gradient is the
// untied wte + lm_head gradients.
static void test_tied_equals_untied_copy(void) {
    GPTConfig ct = llama_cfg(2, 0), cu = llama_cfg(2, 1);
    ParamSlab wt, wu, gt, gu;
    param_slab_init(&wt, &ct, "test.params");
    param_slab_init(&wu, &cu, "test.params");
    param_slab_init(&gt, &ct, "test.grads");
    param_slab_init(&gu, &cu, "test.grads");
    perturbed_weights(&wt, 9);
    memcpy(wu.data, wt.data, wt.n * sizeof(float));  // lm_head is last: same offsets before it
    memcpy(wu.t.lm_head, wt.t.wte, (size_t)ct.Vp * ct.C * sizeof(float));
    Activations at, au;
    acts_init(&at, &ct, 3, 10, 1);
    acts_init(&au, &cu, 3, 10, 1);
    const float *lt = gpt_forward(&at, &wt, &SEQ_TOK[0][0], 3, 10);
    const float *lu = gpt_forward(&au, &wu, &SEQ_TOK[0][0], 3, 10);
    CHECK_TRUE(memcmp(lt, lu, (size_t)30 * ct.Vp * sizeof(float)) == 0);
    seq_logprob_backward(at.dlogits, SEQ_WEIGHT, lt, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10,
                         ct.V, ct.Vp);
    memcpy(au.dlogits, at.dlogits, (size_t)30 * ct.Vp * sizeof(float));
    gpt_backward(&gt, &at, &wt);
    gpt_backward(&gu, &au, &wu);
    size_t nw = (size_t)ct.Vp * ct.C;
    float *sum = xmalloc("test", nw * sizeof(float));
    for (size_t i = 0; i < nw; i++) sum[i] = gu.t.wte[i] + gu.t.lm_head[i];
    CHECK_MSG(rel_err(sum, gt.t.wte, nw) < 1e-6, "tied wte gradient vs untied wte + lm_head: %g",
              rel_err(sum, gt.t.wte, nw));
    CHECK_TRUE(memcmp(gt.data + nw, gu.data + nw, (gt.n - nw) * sizeof(float)) == 0);
    xfree(sum);
    acts_free(&at), acts_free(&au);
    param_slab_free(&wt), param_slab_free(&wu), param_slab_free(&gt), param_slab_free(&gu);
}

static void test_padding_and_batch_invariance(int KV, int untied) {
    GPTConfig cfg = llama_cfg(KV, untied);
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    perturbed_weights(&w, 11);
    Activations a;
    acts_init(&a, &cfg, 4, 12, 1);
    double alone, batch[3], batch2[3];
    const float *lg = gpt_forward(&a, &w, &SEQ_TOK[0][0], 1, SEQ_LEN[0]);
    seq_logprob_forward(&alone, lg, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 1, SEQ_LEN[0], cfg.V,
                        cfg.Vp);
    lg = gpt_forward(&a, &w, &SEQ_TOK[0][0], 3, 10);
    seq_logprob_forward(batch, lg, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10, cfg.V, cfg.Vp);
    CHECK_NEAR(alone, batch[0], 1e-5 * fabs(alone));
    int32_t tok2[3][10];
    memcpy(tok2, SEQ_TOK, sizeof tok2);
    for (int b = 0; b < 3; b++)
        for (int t = SEQ_LEN[b]; t < 10; t++) tok2[b][t] = 3 + (t % 12);  // ids up to Vp-1
    lg = gpt_forward(&a, &w, &tok2[0][0], 3, 10);
    seq_logprob_forward(batch2, lg, &tok2[0][0], SEQ_START, SEQ_LEN, 3, 10, cfg.V, cfg.Vp);
    for (int b = 0; b < 3; b++) CHECK_TRUE(batch2[b] == batch[b]);
    ParamSlab g1, g2;
    param_slab_init(&g1, &cfg, "test.grads");
    param_slab_init(&g2, &cfg, "test.grads");
    double ones[3] = {1, 1, 1};
    const int32_t *toks[2] = {&SEQ_TOK[0][0], &tok2[0][0]};
    ParamSlab *gs[2] = {&g1, &g2};
    for (int r = 0; r < 2; r++) {
        lg = gpt_forward(&a, &w, toks[r], 3, 10);
        seq_logprob_backward(a.dlogits, ones, lg, toks[r], SEQ_START, SEQ_LEN, 3, 10, cfg.V,
                             cfg.Vp);
        gpt_backward(gs[r], &a, &w);
    }
    CHECK_TRUE(memcmp(g1.data, g2.data, g1.n * sizeof(float)) == 0);
    param_slab_free(&g1), param_slab_free(&g2);
    acts_free(&a);
    param_slab_free(&w);
}

static void test_kv_cache_matches_forward(int KV, int untied) {
    GPTConfig cfg = llama_cfg(KV, untied);
    int Vp = cfg.Vp;
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    perturbed_weights(&w, 5);
    Activations a, full;
    acts_init(&a, &cfg, 3, 12, 0);
    acts_init(&full, &cfg, 3, 12, 0);
    KVCache kv;
    kv_init(&kv, &cfg, 3, 12);
    int32_t prompt_len[3] = {3, 2, 5}, prompts[3][5] = {{0}};
    for (int b = 0; b < 3; b++) memcpy(prompts[b], SEQ_TOK[b], (size_t)prompt_len[b] * 4);
    float next[3 * 16];
    gpt_prefill(&kv, &a, &w, &prompts[0][0], prompt_len, 3, 5, next);
    const float *ref = gpt_forward(&full, &w, &SEQ_TOK[0][0], 3, 10);
    double worst = 0.0;
    for (int b = 0; b < 3; b++)
        worst = fmax(worst,
                     rel_err(next + b * Vp, ref + ((size_t)b * 10 + prompt_len[b] - 1) * Vp, Vp));
    int pos[3] = {prompt_len[0], prompt_len[1], prompt_len[2]}, slot[3] = {0, 1, 2};
    float step_logits[3 * 16];
    for (int step = 0; step < 4; step++) {
        int32_t tok[3];
        for (int b = 0; b < 3; b++) tok[b] = SEQ_TOK[b][pos[b]];
        gpt_decode_step(&kv, &w, slot, tok, pos, 3, step_logits);
        for (int b = 0; b < 3; b++)
            worst = fmax(worst,
                         rel_err(step_logits + b * Vp, ref + ((size_t)b * 10 + pos[b]) * Vp, Vp));
        for (int b = 0; b < 3; b++) pos[b]++;
    }
    CHECK_MSG(worst < 1e-5, "llama KV=%d untied=%d: KV-cache logits vs full forward: %g", KV,
              untied, worst);
    // Row invariance: the next step of all three equals each sequence decoded alone, bit for bit
    // (from copies of the cache in spare slots, so the state is the same).
    KVCache solo;
    kv_init(&solo, &cfg, 3, 12);
    for (int b = 0; b < 3; b++) {
        memcpy(solo.k, kv.k, (size_t)cfg.L * 3 * 12 * KV * (cfg.C / cfg.NH) * sizeof(float));
        memcpy(solo.v, kv.v, (size_t)cfg.L * 3 * 12 * KV * (cfg.C / cfg.NH) * sizeof(float));
        int s1[1] = {b}, p1[1] = {pos[b]};
        int32_t t1[1] = {SEQ_TOK[b][pos[b]]};
        float one[16];
        gpt_decode_step(&solo, &w, s1, t1, p1, 1, one);
        if (b == 0) {
            int32_t tok[3];
            for (int i = 0; i < 3; i++) tok[i] = SEQ_TOK[i][pos[i]];
            gpt_decode_step(&kv, &w, slot, tok, pos, 3, step_logits);
        }
        CHECK_MSG(memcmp(one, step_logits + b * Vp, (size_t)Vp * sizeof(float)) == 0,
                  "llama KV=%d: sequence %d decoded alone differs from its batch", KV, b);
        CHECK_TRUE(rel_err(one, ref + ((size_t)b * 10 + pos[b]) * Vp, Vp) < 1e-5);
    }
    kv_free(&solo);
    kv_free(&kv);
    acts_free(&a);
    acts_free(&full);
    param_slab_free(&w);
}

// RoPE is the only source of order: the same weights with a different rotary base give other
// logits past position 0, and the same logits at position 0.
static void test_rope_theta_matters(void) {
    GPTConfig c1 = llama_cfg(2, 0), c2 = c1;
    c2.rope_theta = 7.0f;
    ParamSlab w1, w2;
    param_slab_init(&w1, &c1, "test.params");
    param_slab_init(&w2, &c2, "test.params");
    perturbed_weights(&w1, 4);
    memcpy(w2.data, w1.data, w1.n * sizeof(float));
    Activations a1, a2;
    acts_init(&a1, &c1, 1, 10, 0);
    acts_init(&a2, &c2, 1, 10, 0);
    const float *l1 = gpt_forward(&a1, &w1, SEQ_TOK[2], 1, 10);
    const float *l2 = gpt_forward(&a2, &w2, SEQ_TOK[2], 1, 10);
    CHECK_TRUE(memcmp(l1, l2, (size_t)c1.Vp * sizeof(float)) == 0);
    CHECK_TRUE(rel_err(l1 + (size_t)9 * c1.Vp, l2 + (size_t)9 * c1.Vp, c1.Vp) > 1e-4);
    acts_free(&a1), acts_free(&a2);
    param_slab_free(&w1), param_slab_free(&w2);
}

// Sampling through train/generate.h: each response the same bit for bit whether generated with
// its batch-mates or alone, and its reported log-prob equal to a full-forward recomputation.
static void test_generate(void) {
    enum { NS = 4, PL = 5, NEW = 6 };
    GPTConfig cfg = llama_cfg(2, 1);
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    gpt_init_weights(&w, 3);
    for (size_t i = 0; i < w.n; i++) w.data[i] += 0.3f * rng_normal(&rng);  // peaky, varied outputs
    int32_t prompts[NS][PL] = {{1, 4, 5, 0, 0}, {1, 9, 10, 4, 5}, {1, 6, 0, 0, 0}, {1, 7, 8, 9, 0}};
    int32_t plen[NS] = {3, 5, 2, 4};
    uint32_t pid[NS] = {1, 2, 3, 4}, sid[NS] = {0, 0, 0, 0};
    GenParams gp = {.seed = 5,
                    .round = 1,
                    .sample = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f},
                    .max_new = NEW,
                    .eos = 2};
    int32_t resp[NS][NEW], len[NS], one[NEW], one_len;
    double logp[NS], one_logp;
    KVCache kv;
    Activations a;
    kv_init(&kv, &cfg, NS, cfg.T);
    acts_init(&a, &cfg, NS, PL, 0);
    generate(&resp[0][0], len, logp, &kv, &a, &w, &prompts[0][0], plen, NS, PL, pid, sid, &gp);
    int same = 1;
    for (int i = 0; i < NS; i++) {
        generate(one, &one_len, &one_logp, &kv, &a, &w, prompts[i], &plen[i], 1, PL, &pid[i],
                 &sid[i], &gp);
        same &= one_len == len[i] && one_logp == logp[i] &&
                memcmp(one, resp[i], (size_t)one_len * sizeof(int32_t)) == 0;
        int32_t seq[12] = {0}, start = plen[i], n = plen[i] + len[i];
        memcpy(seq, prompts[i], (size_t)plen[i] * 4);
        memcpy(seq + plen[i], resp[i], (size_t)len[i] * 4);
        Activations f;
        acts_init(&f, &cfg, 1, n, 0);
        double lp;
        seq_logprob_forward(&lp, gpt_forward(&f, &w, seq, 1, n), seq, &start, &n, 1, n, cfg.V,
                            cfg.Vp);
        CHECK_NEAR(lp, logp[i], 1e-4 * fmax(1.0, fabs(lp)));
        acts_free(&f);
    }
    CHECK_MSG(same, "llama: a sampled response depends on its batch-mates");
    kv_free(&kv);
    acts_free(&a);
    param_slab_free(&w);
}

int main(void) {
    rng = rng_stream(2025, 3);
    matmul_set_threads(1);
    for (int threads = 1; threads <= 3; threads += 2) {  // also with loops over 3 threads
        matmul_set_threads(threads);
        test_rmsnorm_vs_ref();
        test_rope_vs_ref();
        test_swiglu_vs_ref();
        test_gqa();
        test_rmsnorm_fd();
        test_rope_fd();
        test_swiglu_fd();
        test_gqa_fd();
        test_model_fd(2, 0);
        test_model_fd(2, 1);
        test_model_fd(4, 0);  // KV == NH
        test_model_fd(1, 1);  // one key/value head
    }
    matmul_set_threads(1);
    test_tied_equals_untied_copy();
    for (int KV = 1; KV <= 4; KV *= 2) {
        test_padding_and_batch_invariance(KV, KV == 2);
        test_kv_cache_matches_forward(KV, KV == 2);
    }
    test_rope_theta_matters();
    test_generate();
    return check_report();
}
