/* tests/test_gpt.c — the GPT-2 kernels and model: every optimised kernel against its naive
   reference on odd shapes, every layer's backward against central finite differences, the whole
   model's gradient against finite differences, KV-cache decoding against the full forward, and
   padding/batch composition having no effect; the model tests run with learned positions and
   with none (NoPE), which must equal a learned model whose wpe is zero. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model_fixture.h"
#include "train/gpt.h"
#include "train/logprob.h"
#include "train/matmul.h"
#include "train/ops.h"
#include "train/rng.h"
#include "util/alloc.h"

static Rng rng;

static float *randn(size_t n, float scale) {
    float *p = xmalloc("test", n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = scale * rng_normal(&rng);
    return p;
}

// ---- kernels vs references ----

static void test_matmul_vs_ref(void) {
    int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 17, 9}, {64, 48, 96}, {5, 130, 67}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int N = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        float *x = randn((size_t)N * C, 1), *w = randn((size_t)OC * C, 1), *bias = randn(OC, 1);
        float *o1 = randn((size_t)N * OC, 1), *o2 = randn((size_t)N * OC, 1);
        matmul_forward(o1, x, w, bias, N, C, OC);
        matmul_forward_ref(o2, x, w, bias, N, C, OC);
        CHECK_MSG(rel_err(o1, o2, (size_t)N * OC) < 1e-5, "matmul fwd %dx%dx%d", N, C, OC);
        matmul_forward(o1, x, w, NULL, N, C, OC);
        matmul_forward_ref(o2, x, w, NULL, N, C, OC);
        CHECK_MSG(rel_err(o1, o2, (size_t)N * OC) < 1e-5, "matmul fwd nobias %dx%dx%d", N, C, OC);
        float *dout = randn((size_t)N * OC, 1);
        float *dx1 = randn((size_t)N * C, 1), *dx2 = randn((size_t)N * C, 1);
        float *dw1 = xcalloc("test", (size_t)OC * C, 4), *dw2 = xcalloc("test", (size_t)OC * C, 4);
        float *db1 = xcalloc("test", OC, 4), *db2 = xcalloc("test", OC, 4);
        for (int rep = 0; rep < 2; rep++) {  // twice: weight/bias gradients accumulate
            matmul_backward(dx1, dw1, db1, dout, x, w, N, C, OC);
            matmul_backward_ref(dx2, dw2, db2, dout, x, w, N, C, OC);
        }
        CHECK_MSG(rel_err(dx1, dx2, (size_t)N * C) < 1e-5, "matmul dinp %dx%dx%d", N, C, OC);
        CHECK_MSG(rel_err(dw1, dw2, (size_t)OC * C) < 1e-5, "matmul dweight %dx%dx%d", N, C, OC);
        CHECK_MSG(rel_err(db1, db2, OC) < 1e-5, "matmul dbias %dx%dx%d", N, C, OC);
        xfree(x), xfree(w), xfree(bias), xfree(o1), xfree(o2), xfree(dout);
        xfree(dx1), xfree(dx2), xfree(dw1), xfree(dw2), xfree(db1), xfree(db2);
    }
}

static void test_attention_vs_ref(void) {
    int B = 2, T = 13, C = 12, NH = 3;
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *qkv = randn(nq, 1), *o1 = randn(no, 1), *o2 = randn(no, 1);
    float *a1 = randn(na, 1), *a2 = randn(na, 1);
    attention_forward(o1, a1, qkv, B, T, C, NH, NH);
    attention_forward_ref(o2, a2, qkv, B, T, C, NH, NH);
    CHECK_TRUE(rel_err(o1, o2, no) < 1e-5);
    CHECK_TRUE(rel_err(a1, a2, na) < 1e-5);
    float *dout = randn(no, 1), *d1 = randn(nq, 1), *d2 = randn(nq, 1);
    attention_backward(d1, dout, qkv, a1, B, T, C, NH, NH);
    attention_backward_ref(d2, dout, qkv, a2, B, T, C, NH, NH);
    CHECK_TRUE(rel_err(d1, d2, nq) < 1e-5);
    xfree(qkv), xfree(o1), xfree(o2), xfree(a1), xfree(a2), xfree(dout), xfree(d1), xfree(d2);
}

static void test_gelu_tanh(void) {
    int64_t N = 20001;
    float *x = xmalloc("test", N * 4), *o1 = xmalloc("test", N * 4), *o2 = xmalloc("test", N * 4);
    for (int64_t i = 0; i < N; i++) x[i] = -12.0f + 24.0f * (float)i / (float)(N - 1);
    double worst = 0.0;
    for (int64_t i = 0; i < N; i++) {
        double ref = tanh((double)x[i] * 0.5);
        worst = fmax(worst, fabs(ops_tanhf(x[i] * 0.5f) - ref) / fmax(fabs(ref), 1e-30));
    }
    CHECK_MSG(worst < 5e-7, "ops_tanhf worst relative error %g", worst);
    CHECK_TRUE(ops_tanhf(0.0f) == 0.0f && ops_tanhf(100.0f) == 1.0f && ops_tanhf(-100.0f) == -1.0f);
    gelu_forward(o1, x, N);
    gelu_forward_ref(o2, x, N);
    CHECK_TRUE(rel_err(o1, o2, N) < 1e-6);
    float *dout = randn(N, 1);
    gelu_backward(o1, x, dout, N);
    gelu_backward_ref(o2, x, dout, N);
    CHECK_TRUE(rel_err(o1, o2, N) < 1e-6);
    // the variants that save tanh in the forward and reuse it in the backward
    float *th = xmalloc("test", N * 4), *o3 = xmalloc("test", N * 4);
    gelu_forward_tanh(o3, th, x, N);
    gelu_forward_ref(o2, x, N);
    CHECK_TRUE(rel_err(o3, o2, N) < 1e-6);
    gelu_backward_tanh(o3, x, th, dout, N);
    gelu_backward_ref(o2, x, dout, N);
    CHECK_TRUE(rel_err(o3, o2, N) < 1e-6);
    xfree(th), xfree(o3);
    xfree(x), xfree(o1), xfree(o2), xfree(dout);
}

// ---- layer backward vs finite differences (loss = Σ out·R for a fixed random R) ----

typedef void (*FwdFn)(float *out, const float *in, void *ctx);

// Checks dL/din (analytic, given) against central differences on k sampled inputs.
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
        double fd = (lp - lm) / (2.0 * eps);
        worst = fmax(worst, fabs(fd - analytic[i]) / scale);
    }
    xfree(out);
    return worst;
}

typedef struct {
    int N, C;
    const float *w, *b;
} LnCtx;
static void ln_fwd(float *out, const float *in, void *p) {
    LnCtx *c = p;
    float mean[64], rstd[64];
    layernorm_forward(out, mean, rstd, in, c->w, c->b, c->N, c->C);
}

static void test_layernorm_fd(void) {
    int N = 5, C = 19;
    float *x = randn((size_t)N * C, 1), *w = randn(C, 1), *b = randn(C, 1),
          *R = randn((size_t)N * C, 1);
    float *out = xmalloc("test", (size_t)N * C * 4), mean[5], rstd[5];
    float *dx = xcalloc("test", (size_t)N * C, 4), *dw = xcalloc("test", C, 4),
          *db = xcalloc("test", C, 4);
    layernorm_forward(out, mean, rstd, x, w, b, N, C);
    layernorm_backward(dx, dw, db, R, x, w, mean, rstd, N, C);
    LnCtx ctx = {N, C, w, b};
    CHECK_MSG(fd_check(ln_fwd, &ctx, x, (size_t)N * C, (size_t)N * C, R, dx, 1e-2f) < 2e-3,
              "layernorm dinp vs finite differences");
    // dweight: d/dw Σ out·R = Σ_n norm·R
    double worst = 0.0;
    for (int c = 0; c < C; c++) {
        double ref = 0.0;
        for (int n = 0; n < N; n++)
            ref += (double)(x[n * C + c] - mean[n]) * rstd[n] * R[n * C + c];
        double refb = 0.0;
        for (int n = 0; n < N; n++) refb += R[n * C + c];
        worst = fmax(worst, fabs(ref - dw[c]) + fabs(refb - db[c]));
    }
    CHECK_MSG(worst < 1e-4, "layernorm dweight/dbias error %g", worst);
    xfree(x), xfree(w), xfree(b), xfree(R), xfree(out), xfree(dx), xfree(dw), xfree(db);
}

typedef struct {
    int B, T, C, NH;
    float *att;
} AttCtx;
static void att_fwd(float *out, const float *in, void *p) {
    AttCtx *c = p;
    attention_forward_ref(out, c->att, in, c->B, c->T, c->C, c->NH, c->NH);
}

static void test_attention_fd(void) {
    int B = 2, T = 7, C = 8, NH = 2;
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C;
    float *qkv = randn(nq, 1), *R = randn(no, 1), *out = xmalloc("test", no * 4);
    float *att = xmalloc("test", (size_t)B * NH * T * T * 4), *d = xmalloc("test", nq * 4);
    attention_forward(out, att, qkv, B, T, C, NH, NH);
    attention_backward(d, R, qkv, att, B, T, C, NH, NH);
    AttCtx ctx = {B, T, C, NH, xmalloc("test", (size_t)B * NH * T * T * 4)};
    CHECK_MSG(fd_check(att_fwd, &ctx, qkv, nq, no, R, d, 1e-2f) < 2e-3,
              "attention vs finite differences");
    xfree(qkv), xfree(R), xfree(out), xfree(att), xfree(d), xfree(ctx.att);
}

static void gelu_fwd(float *out, const float *in, void *p) { gelu_forward(out, in, *(int64_t *)p); }

static void test_gelu_fd(void) {
    int64_t N = 64;
    float *x = randn(N, 2), *R = randn(N, 1), *d = xmalloc("test", N * 4);
    gelu_backward(d, x, R, N);
    CHECK_MSG(fd_check(gelu_fwd, &N, x, N, N, R, d, 1e-2f) < 2e-3, "gelu vs finite differences");
    xfree(x), xfree(R), xfree(d);
}

typedef struct {
    int N, C, OC;
    const float *w;
} MmCtx;
static void mm_fwd(float *out, const float *in, void *p) {
    MmCtx *c = p;
    matmul_forward(out, in, c->w, NULL, c->N, c->C, c->OC);
}

static void test_matmul_fd(void) {
    int N = 6, C = 9, OC = 5;
    float *x = randn((size_t)N * C, 1), *w = randn((size_t)OC * C, 1),
          *R = randn((size_t)N * OC, 1);
    float *dx = xmalloc("test", (size_t)N * C * 4), *dw = xcalloc("test", (size_t)OC * C, 4);
    matmul_backward(dx, dw, NULL, R, x, w, N, C, OC);
    MmCtx ctx = {N, C, OC, w};
    CHECK_MSG(fd_check(mm_fwd, &ctx, x, (size_t)N * C, (size_t)N * OC, R, dx, 1e-2f) < 2e-3,
              "matmul vs finite differences");
    xfree(x), xfree(w), xfree(R), xfree(dx), xfree(dw);
}

// ---- whole model ----

static GPTPosition position = GPT_POS_LEARNED;  // of tiny_cfg; main runs the model tests with both

static GPTConfig tiny_cfg(void) {
    GPTConfig c = {.V = 11, .Vp = 16, .T = 12, .C = 16, .L = 2, .NH = 2, .position = position};
    if (position == GPT_POS_ABACUS)  // ids 5..14 are the digits: SEQ_TOK mixes runs and others
        c.V = 16, c.digit0 = 5, c.abacus_offset = 3;
    return c;
}

// Training offsets of SEQ_TOK's rows (abacus; the other encodings ignore them).
static const int32_t SEQ_OFFSET[3] = {0, 3, 1};

// Batch of 3 sequences (S=10) with different prompt/response spans.
static const int32_t SEQ_TOK[3][10] = {{1, 4, 5, 6, 7, 8, 2, 0, 0, 0},
                                       {1, 9, 10, 4, 5, 2, 0, 0, 0, 0},
                                       {1, 6, 6, 7, 8, 9, 10, 4, 5, 2}};
static const int32_t SEQ_START[3] = {3, 2, 5};
static const int32_t SEQ_LEN[3] = {7, 6, 10};
static const double SEQ_WEIGHT[3] = {1.0, -0.5, 0.75};

// Σ_b weight_b·logp_b for the batch above (the objective of the finite-difference check).
static double weighted_logp(Activations *a, const ParamSlab *w) {
    const float *logits = gpt_forward(a, w, &SEQ_TOK[0][0], 3, 10);
    double lp[3];
    seq_logprob_forward(lp, logits, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10, w->cfg.V, w->cfg.Vp);
    return SEQ_WEIGHT[0] * lp[0] + SEQ_WEIGHT[1] * lp[1] + SEQ_WEIGHT[2] * lp[2];
}

static void test_model_fd(void) {
    GPTConfig cfg = tiny_cfg();
    ParamSlab w, g;
    param_slab_init(&w, &cfg, "test.params");
    param_slab_init(&g, &cfg, "test.grads");
    gpt_init_weights(&w, 7);
    for (size_t i = 0; i < w.n; i++) w.data[i] += 0.05f * rng_normal(&rng);  // non-trivial LN/bias
    Activations a;
    acts_init(&a, &cfg, 3, 10, 1);
    a.pos_offset = SEQ_OFFSET;
    weighted_logp(&a, &w);
    seq_logprob_backward(a.dlogits, SEQ_WEIGHT, a.logits, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10,
                         cfg.V, cfg.Vp);
    gpt_backward(&g, &a, &w);
    for (int ti = 0; ti < GPT_NUM_TENSORS; ti++) {
        const TensorSpec *t = &w.table[ti];
        if (t->count == 0) continue;  // NoPE's wpe
        double worst = 0.0, scale = 1e-4;
        for (size_t k = 0; k < t->count; k++) scale = fmax(scale, fabs(g.data[t->offset + k]));
        for (int k = 0; k < 6; k++) {
            size_t i = t->offset + rng_below(&rng, (uint32_t)t->count);
            float keep = w.data[i];
            float eps = 2e-3f;
            w.data[i] = keep + eps;
            double lp = weighted_logp(&a, &w);
            w.data[i] = keep - eps;
            double lm = weighted_logp(&a, &w);
            w.data[i] = keep;
            double fd = (lp - lm) / (2.0 * eps);
            worst = fmax(worst, fabs(fd - g.data[i]) / scale);
        }
        CHECK_MSG(worst < 2e-2, "model gradient of %s vs finite differences: %g", t->name, worst);
    }
    acts_free(&a);
    param_slab_free(&w);
    param_slab_free(&g);
}

static void test_padding_and_batch_invariance(void) {
    GPTConfig cfg = tiny_cfg();
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    gpt_init_weights(&w, 11);
    Activations a;
    acts_init(&a, &cfg, 4, 12, 1);
    // logp of sequence 0 alone at S = its length, vs inside the padded batch of 3 at S = 10
    double alone, batch[3];
    const float *lg = gpt_forward(&a, &w, &SEQ_TOK[0][0], 1, SEQ_LEN[0]);
    seq_logprob_forward(&alone, lg, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 1, SEQ_LEN[0], cfg.V,
                        cfg.Vp);
    lg = gpt_forward(&a, &w, &SEQ_TOK[0][0], 3, 10);
    seq_logprob_forward(batch, lg, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10, cfg.V, cfg.Vp);
    CHECK_NEAR(alone, batch[0], 1e-5 * fabs(alone));
    // different padding token values must not change anything
    int32_t tok2[3][10];
    memcpy(tok2, SEQ_TOK, sizeof tok2);
    for (int b = 0; b < 3; b++)
        for (int t = SEQ_LEN[b]; t < 10; t++) tok2[b][t] = 3 + (t % 5);
    double batch2[3];
    lg = gpt_forward(&a, &w, &tok2[0][0], 3, 10);
    seq_logprob_forward(batch2, lg, &tok2[0][0], SEQ_START, SEQ_LEN, 3, 10, cfg.V, cfg.Vp);
    for (int b = 0; b < 3; b++) CHECK_TRUE(batch2[b] == batch[b]);
    // gradients with different padding values are identical too
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
    // wte rows of the padding ids differ only by the padding tokens' own (zero) gradient
    CHECK_TRUE(memcmp(g1.data, g2.data, g1.n * sizeof(float)) == 0);
    param_slab_free(&g1);
    param_slab_free(&g2);
    acts_free(&a);
    param_slab_free(&w);
}

static void test_kv_cache_matches_forward(void) {
    GPTConfig cfg = tiny_cfg();
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    gpt_init_weights(&w, 5);
    for (size_t i = 0; i < w.n; i++) w.data[i] += 0.05f * rng_normal(&rng);
    Activations a;
    acts_init(&a, &cfg, 3, 12, 0);
    KVCache kv;
    kv_init(&kv, &cfg, 3, 12);
    // prompts of lengths 3, 2, 5 from the batch; then feed the rest of each sequence token by token
    int32_t prompt_len[3] = {3, 2, 5};
    int32_t prompts[3][5] = {{0}};
    for (int b = 0; b < 3; b++) memcpy(prompts[b], SEQ_TOK[b], (size_t)prompt_len[b] * 4);
    float next[3 * 16];
    gpt_prefill(&kv, &a, &w, &prompts[0][0], prompt_len, 3, 5, next);
    // reference: full forward over the whole sequences
    Activations full;
    acts_init(&full, &cfg, 3, 12, 0);
    const float *ref = gpt_forward(&full, &w, &SEQ_TOK[0][0], 3, 10);
    double worst = 0.0;
    for (int b = 0; b < 3; b++)
        worst = fmax(worst,
                     rel_err(next + b * 16, ref + ((size_t)b * 10 + prompt_len[b] - 1) * 16, 16));
    int pos[3] = {prompt_len[0], prompt_len[1], prompt_len[2]}, slot[3] = {0, 1, 2};
    float step_logits[3 * 16];
    for (int step = 0; step < 4; step++) {
        int32_t tok[3];
        for (int b = 0; b < 3; b++) tok[b] = SEQ_TOK[b][pos[b]];
        gpt_decode_step(&kv, &w, slot, tok, pos, 3, step_logits);
        for (int b = 0; b < 3; b++)
            worst = fmax(worst,
                         rel_err(step_logits + b * 16, ref + ((size_t)b * 10 + pos[b]) * 16, 16));
        for (int b = 0; b < 3; b++) pos[b]++;
    }
    CHECK_MSG(worst < 1e-5, "KV-cache logits vs full forward: %g", worst);
    // decoding a subset of slots (a finished sequence dropped) gives the same logits for the rest
    int sub_slot[1] = {2}, sub_pos[1] = {pos[2]};
    int32_t sub_tok[1] = {SEQ_TOK[2][pos[2]]};
    float sub_logits[16];
    gpt_decode_step(&kv, &w, sub_slot, sub_tok, sub_pos, 1, sub_logits);
    CHECK_TRUE(rel_err(sub_logits, ref + ((size_t)2 * 10 + pos[2]) * 16, 16) < 1e-5);
    kv_free(&kv);
    acts_free(&a);
    acts_free(&full);
    param_slab_free(&w);
}

// NoPE: the table keeps wpe's slot with zero elements; forward, backward and decoding equal those
// of a learned-position model whose wpe is zero, bit for bit (adding 0.0f changes nothing).
static void test_nope_equals_zero_wpe(void) {
    GPTConfig cn = tiny_cfg(), cl = cn;
    cn.position = GPT_POS_NONE;
    cl.position = GPT_POS_LEARNED;
    ParamSlab wn, wl, gn, gl;
    param_slab_init(&wn, &cn, "test.params");
    param_slab_init(&wl, &cl, "test.params");
    param_slab_init(&gn, &cn, "test.grads");
    param_slab_init(&gl, &cl, "test.grads");
    CHECK_TRUE(param_slab_find(&wn, "wpe") == 1 && wn.table[1].count == 0);
    CHECK_TRUE(wn.table[1].offset == wn.table[0].count && wn.table[1].dims[0] == 0);
    CHECK_TRUE(wl.n - wn.n == (size_t)cl.T * cl.C);
    gpt_init_weights(&wn, 3);
    gpt_init_weights(&wl, 3);
    // Per-tensor streams: every tensor but wpe is the same in both models.
    for (int i = 0; i < GPT_NUM_TENSORS; i++)
        if (i != 1)
            CHECK_TRUE(memcmp(wn.data + wn.table[i].offset, wl.data + wl.table[i].offset,
                              wn.table[i].count * sizeof(float)) == 0);
    for (size_t i = 0; i < wn.n; i++) wn.data[i] += 0.05f * rng_normal(&rng);
    memset(wl.data, 0, wl.n * sizeof(float));
    for (int i = 0; i < GPT_NUM_TENSORS; i++)
        memcpy(wl.data + wl.table[i].offset, wn.data + wn.table[i].offset,
               wn.table[i].count * sizeof(float));
    Activations an, al;
    acts_init(&an, &cn, 3, 10, 1);
    acts_init(&al, &cl, 3, 10, 1);
    const float *ln = gpt_forward(&an, &wn, &SEQ_TOK[0][0], 3, 10);
    const float *ll = gpt_forward(&al, &wl, &SEQ_TOK[0][0], 3, 10);
    CHECK_TRUE(memcmp(ln, ll, (size_t)3 * 10 * cn.Vp * sizeof(float)) == 0);
    seq_logprob_backward(an.dlogits, SEQ_WEIGHT, ln, &SEQ_TOK[0][0], SEQ_START, SEQ_LEN, 3, 10,
                         cn.V, cn.Vp);
    memcpy(al.dlogits, an.dlogits, (size_t)3 * 10 * cn.Vp * sizeof(float));
    gpt_backward(&gn, &an, &wn);
    gpt_backward(&gl, &al, &wl);
    for (int i = 0; i < GPT_NUM_TENSORS; i++)
        if (i != 1)
            CHECK_MSG(memcmp(gn.data + gn.table[i].offset, gl.data + gl.table[i].offset,
                             gn.table[i].count * sizeof(float)) == 0,
                      "NoPE gradient of %s equals the zero-wpe model's", gn.table[i].name);
    // Without positions, a run of one token gives the same logits at every position.
    int32_t same[8] = {5, 5, 5, 5, 5, 5, 5, 5};
    const float *lg = gpt_forward(&an, &wn, same, 1, 8);
    double worst = 0.0;
    for (int t = 1; t < 8; t++) worst = fmax(worst, rel_err(lg + (size_t)t * 16, lg, 16));
    CHECK_MSG(worst < 1e-5, "NoPE logits of a repeated token differ by position: %g", worst);
    acts_free(&an);
    acts_free(&al);
    param_slab_free(&wn);
    param_slab_free(&wl);
    param_slab_free(&gn);
    param_slab_free(&gl);
}

// Abacus rows: a digit's 1-based index in its run plus its row's offset, 0 for other tokens,
// capped at T-1; a model whose only difference is the offset gives other logits.
static void test_abacus_positions(void) {
    const int32_t tok[2][9] = {{1, 5, 6, 14, 4, 7, 7, 15, 9}, {9, 9, 9, 9, 9, 9, 9, 9, 4}};
    const int32_t offset[2] = {2, 0},
                  want[2][9] = {{0, 3, 4, 5, 0, 3, 4, 0, 3}, {1, 2, 3, 4, 5, 6, 6, 6, 0}};
    int32_t pos[2][9];
    gpt_abacus_positions(&pos[0][0], &tok[0][0], offset, 2, 9, 5, 7);
    CHECK_TRUE(memcmp(pos, want, sizeof pos) == 0);
    gpt_abacus_positions(&pos[0][0], &tok[0][0], NULL, 1, 9, 5, 7);
    CHECK_TRUE(pos[0][1] == 1 && pos[0][3] == 3 && pos[0][5] == 1 && pos[0][8] == 1);
    position = GPT_POS_ABACUS;
    GPTConfig cfg = tiny_cfg();
    position = GPT_POS_LEARNED;
    ErrMsg e;
    CHECK_TRUE(gpt_config_check(&cfg, &e) == 0);
    GPTConfig bad = cfg;
    bad.digit0 = 7;  // 7..16 leaves the vocabulary
    CHECK_TRUE(gpt_config_check(&bad, &e) < 0 && strstr(e.msg, "digit0"));
    bad = cfg, bad.abacus_offset = cfg.T - 1;
    CHECK_TRUE(gpt_config_check(&bad, &e) < 0 && strstr(e.msg, "abacus_offset"));
    bad = cfg, bad.position = GPT_POS_LEARNED;
    CHECK_TRUE(gpt_config_check(&bad, &e) < 0 && strstr(e.msg, "abacus positions only"));
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    gpt_init_weights(&w, 5);
    Activations a;
    acts_init(&a, &cfg, 3, 10, 0);
    size_t n = (size_t)3 * 10 * cfg.Vp;
    float *plain = xmalloc("test", n * sizeof(float));
    memcpy(plain, gpt_forward(&a, &w, &SEQ_TOK[0][0], 3, 10), n * sizeof(float));
    a.pos_offset = SEQ_OFFSET;
    const float *shifted = gpt_forward(&a, &w, &SEQ_TOK[0][0], 3, 10);
    CHECK_TRUE(memcmp(plain, shifted, (size_t)10 * cfg.Vp * sizeof(float)) ==
               0);  // row 0: offset 0
    CHECK_TRUE(memcmp(plain + (size_t)10 * cfg.Vp, shifted + (size_t)10 * cfg.Vp,
                      (size_t)20 * cfg.Vp * sizeof(float)) != 0);
    xfree(plain);
    acts_free(&a);
    param_slab_free(&w);
}

int main(void) {
    rng = rng_stream(2024, 1);
    matmul_set_threads(1);
    test_matmul_vs_ref();
    test_attention_vs_ref();
    test_gelu_tanh();
    test_layernorm_fd();
    test_attention_fd();
    test_gelu_fd();
    test_matmul_fd();
    test_model_fd();
    test_padding_and_batch_invariance();
    test_kv_cache_matches_forward();
    position = GPT_POS_NONE;  // NoPE: the same model tests without position embeddings
    test_model_fd();
    test_padding_and_batch_invariance();
    test_kv_cache_matches_forward();
    test_nope_equals_zero_wpe();
    position = GPT_POS_ABACUS;  // digit positions: offsets in training, offset 0 when decoding
    test_model_fd();
    test_padding_and_batch_invariance();
    test_kv_cache_matches_forward();
    position = GPT_POS_LEARNED;
    test_abacus_positions();
    // the same kernels with their loops spread over 3 threads (train/parallel.h)
    matmul_set_threads(3);
    test_attention_vs_ref();
    test_gelu_tanh();
    test_layernorm_fd();
    test_attention_fd();
    test_model_fd();
    position = GPT_POS_NONE;
    test_model_fd();
    position = GPT_POS_ABACUS;
    test_model_fd();
    position = GPT_POS_LEARNED;
    matmul_set_threads(1);
    return check_report();
}
