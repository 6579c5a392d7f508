/* tests/test_adamw.c — AdamW against the formula evaluated in double, weight decay only on decayed
   tensors, clipping, the learning-rate schedule, and bit-identical reruns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train/adamw.h"
#include "train/rng.h"
#include "util/alloc.h"

static const GPTConfig TINY = {.V = 5, .Vp = 8, .T = 4, .C = 4, .L = 1, .NH = 2};
static const GPTConfig MEDIUM = {.V = 50, .Vp = 64, .T = 16, .C = 32, .L = 2, .NH = 4};

static AdamWConfig base_cfg(void) {
    AdamWConfig c = {.lr = 1e-2f,
                     .lr_min_ratio = 0.1f,
                     .warmup_steps = 0,
                     .total_steps = 0,
                     .beta1 = 0.9f,
                     .beta2 = 0.95f,
                     .eps = 1e-8f,
                     .weight_decay = 0.1f,
                     .grad_clip = 0.0f};
    return c;
}

// Reference state in double: p, m, v for every element of the slab.
typedef struct {
    size_t n;
    double *p, *m, *v;
    int *decay;  // per element: its tensor's decay flag
} Ref;

static void ref_init(Ref *r, const ParamSlab *w) {
    r->n = w->n;
    r->p = xcalloc("test_ref", r->n, sizeof(double));
    r->m = xcalloc("test_ref", r->n, sizeof(double));
    r->v = xcalloc("test_ref", r->n, sizeof(double));
    r->decay = xcalloc("test_ref", r->n, sizeof(int));
    for (size_t i = 0; i < r->n; i++) r->p[i] = w->data[i];
    for (int k = 0; k < GPT_NUM_TENSORS; k++)
        for (size_t i = 0; i < w->table[k].count; i++)
            r->decay[w->table[k].offset + i] = w->table[k].decay;
}

static void ref_free(Ref *r) {
    xfree(r->p);
    xfree(r->m);
    xfree(r->v);
    xfree(r->decay);
}

// One AdamW step in double; grads are the unclipped gradient, scale the clip factor.
static void ref_step(Ref *r, const float *grads, double scale, const AdamWConfig *c, double lr,
                     int t) {
    double b1 = c->beta1, b2 = c->beta2;
    for (size_t i = 0; i < r->n; i++) {
        double g = grads[i] * scale;
        r->m[i] = b1 * r->m[i] + (1 - b1) * g;
        r->v[i] = b2 * r->v[i] + (1 - b2) * g * g;
        double mhat = r->m[i] / (1 - pow(b1, t)), vhat = r->v[i] / (1 - pow(b2, t));
        double wd = r->decay[i] ? c->weight_decay : 0.0;
        r->p[i] -= lr * (mhat / (sqrt(vhat) + c->eps) + wd * r->p[i]);
    }
}

static void fill_normal(float *x, size_t n, uint64_t seed, float scale) {
    Rng r = rng_stream(seed, 0);
    for (size_t i = 0; i < n; i++) x[i] = scale * rng_normal(&r);
}

// Largest |a - b| over the slab, and separately over decayed and non-decayed elements.
static void compare(const ParamSlab *w, const Ref *r, double *err_decay, double *err_nodecay) {
    *err_decay = *err_nodecay = 0;
    for (size_t i = 0; i < r->n; i++) {
        double e = fabs(w->data[i] - r->p[i]);
        double *dst = r->decay[i] ? err_decay : err_nodecay;
        if (e > *dst) *dst = e;
    }
}

static double slab_norm(const float *g, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return sqrt(s);
}

// Two plain steps (no clipping, constant lr) on a config; every element checked.
static void test_two_steps(const GPTConfig *mc) {
    AdamWConfig c = base_cfg();
    ParamSlab w, g;
    param_slab_init(&w, mc, "test_w");
    param_slab_init(&g, mc, "test_g");
    fill_normal(w.data, w.n, 6, 0.5f);  // nonzero values everywhere, so decay is visible
    AdamW opt;
    adamw_init(&opt, &c, mc);
    CHECK_TRUE(opt.step == 0 && opt.m.n == w.n && opt.v.n == w.n);
    CHECK_TRUE(slab_norm(opt.m.data, opt.m.n) == 0 && slab_norm(opt.v.data, opt.v.n) == 0);
    Ref r;
    ref_init(&r, &w);

    for (int t = 1; t <= 2; t++) {
        fill_normal(g.data, g.n, 100 + (uint64_t)t, 0.3f);
        ref_step(&r, g.data, 1.0, &c, c.lr, t);
        AdamWStepInfo info = adamw_step(&opt, &w, &g);
        CHECK_EQ_I64(opt.step, t);
        CHECK_TRUE(info.lr == c.lr && info.clip_scale == 1.0f);
        double ed, en;
        compare(&w, &r, &ed, &en);
        CHECK_MSG(ed < 2e-6, "step %d: decayed tensors off by %g", t, ed);
        CHECK_MSG(en < 2e-6, "step %d: non-decayed tensors off by %g", t, en);
    }
    // Spot checks by name: wte decays, ln1_w does not; decay moved wte by about lr*wd*p per step,
    // which is far larger than the tolerance, so a wrong decay flag fails the check above.
    int wte = param_slab_find(&w, "wte"), ln1 = param_slab_find(&w, "ln1_w");
    CHECK_TRUE(w.table[wte].decay == 1 && w.table[ln1].decay == 0);
    size_t i = w.table[wte].offset + 3;
    CHECK_TRUE(fabs(c.lr * c.weight_decay * r.p[i]) > 1e-4);
    CHECK_NEAR(w.data[i], r.p[i], 2e-6);
    CHECK_NEAR(w.data[w.table[ln1].offset + 1], r.p[w.table[ln1].offset + 1], 2e-6);
    // Moments after step 2 match too.
    double em = 0, ev = 0;
    for (size_t k = 0; k < r.n; k++) {
        em = fmax(em, fabs(opt.m.data[k] - r.m[k]));
        ev = fmax(ev, fabs(opt.v.data[k] - r.v[k]));
    }
    CHECK_MSG(em < 1e-7 && ev < 1e-7, "moments off by %g, %g", em, ev);

    ref_free(&r);
    adamw_free(&opt);
    adamw_free(&opt);  // safe twice
    CHECK_TRUE(opt.m.data == NULL && opt.v.data == NULL);
    param_slab_free(&w);
    param_slab_free(&g);
}

static void test_clipping(void) {
    AdamWConfig c = base_cfg();
    c.grad_clip = 0.5f;
    ParamSlab w, g;
    param_slab_init(&w, &TINY, "test_w");
    param_slab_init(&g, &TINY, "test_g");
    fill_normal(w.data, w.n, 7, 0.5f);
    fill_normal(g.data, g.n, 8, 0.3f);
    double norm = slab_norm(g.data, g.n);
    CHECK_TRUE(norm > 1.0);  // 300 elements of sd 0.3: the clip is active
    CHECK_NEAR(adamw_grad_norm(&g), norm, 1e-6 * norm);

    AdamW opt;
    adamw_init(&opt, &c, &TINY);
    Ref r;
    ref_init(&r, &w);
    float *g0 = xmalloc("test_g0", g.n * sizeof(float));
    memcpy(g0, g.data, g.n * sizeof(float));
    ref_step(&r, g0, 0.5 / norm, &c, c.lr, 1);
    AdamWStepInfo info = adamw_step(&opt, &w, &g);
    CHECK_NEAR(info.grad_norm, norm, 1e-6 * norm);
    CHECK_NEAR(info.clip_scale, 0.5 / norm, 1e-6 * (0.5 / norm));
    CHECK_NEAR(slab_norm(g.data, g.n), 0.5, 1e-6);  // clipped in place
    CHECK_TRUE(g.data[17] == g0[17] * info.clip_scale);
    double ed, en;
    compare(&w, &r, &ed, &en);
    CHECK_MSG(ed < 2e-6 && en < 2e-6, "clipped step off by %g, %g", ed, en);

    // Below the threshold: scale 1 and the gradient is untouched.
    c.grad_clip = 1000.0f;
    opt.cfg = c;
    memcpy(g.data, g0, g.n * sizeof(float));
    info = adamw_step(&opt, &w, &g);
    CHECK_TRUE(info.clip_scale == 1.0f);
    CHECK_TRUE(memcmp(g.data, g0, g.n * sizeof(float)) == 0);

    xfree(g0);
    ref_free(&r);
    adamw_free(&opt);
    param_slab_free(&w);
    param_slab_free(&g);
}

static void test_schedule(void) {
    AdamWConfig c = base_cfg();
    c.lr = 1e-3f;
    c.warmup_steps = 10;
    c.total_steps = 110;
    const double lr = 1e-3, lo = 1e-4, tol = 1e-9;
    CHECK_NEAR(adamw_lr_at(&c, 0), lr / 10, tol);
    CHECK_NEAR(adamw_lr_at(&c, 4), lr * 5 / 10, tol);
    CHECK_NEAR(adamw_lr_at(&c, 9), lr, tol);   // last warmup step reaches the peak
    CHECK_NEAR(adamw_lr_at(&c, 10), lr, tol);  // cosine starts at the peak
    CHECK_NEAR(adamw_lr_at(&c, 35), lo + 0.5 * (1 + cos(M_PI * 0.25)) * (lr - lo), tol);
    CHECK_NEAR(adamw_lr_at(&c, 60), (lr + lo) / 2, tol);  // middle of the cosine
    CHECK_NEAR(adamw_lr_at(&c, 109), lo + 0.5 * (1 + cos(M_PI * 0.99)) * (lr - lo), tol);
    CHECK_NEAR(adamw_lr_at(&c, 110), lo, tol);  // end of the horizon
    CHECK_NEAR(adamw_lr_at(&c, 100000), lo, tol);
    int monotone = 1;
    for (int64_t s = 10; s < 120; s++)
        if (adamw_lr_at(&c, s + 1) > adamw_lr_at(&c, s)) monotone = 0;
    CHECK_TRUE(monotone);

    c.total_steps = 0;  // constant after warmup
    CHECK_NEAR(adamw_lr_at(&c, 9), lr, tol);
    CHECK_NEAR(adamw_lr_at(&c, 10), lr, tol);
    CHECK_NEAR(adamw_lr_at(&c, 1000000), lr, tol);
    c.warmup_steps = 0;  // no warmup at all
    CHECK_NEAR(adamw_lr_at(&c, 0), lr, tol);
    c.total_steps = 100;
    CHECK_NEAR(adamw_lr_at(&c, 0), lr, tol);
    CHECK_NEAR(adamw_lr_at(&c, 50), (lr + lo) / 2, tol);
    c.lr_min_ratio = 0.0f;  // decay to zero
    CHECK_NEAR(adamw_lr_at(&c, 100), 0.0, tol);
    CHECK_NEAR(adamw_lr_at(&c, 99), 0.5 * (1 + cos(M_PI * 0.99)) * lr, tol);

    // The step uses the scheduled lr of its own step number.
    c = base_cfg();
    c.warmup_steps = 4;
    ParamSlab w, g;
    param_slab_init(&w, &TINY, "test_w");
    param_slab_init(&g, &TINY, "test_g");
    AdamW opt;
    adamw_init(&opt, &c, &TINY);
    for (int s = 0; s < 3; s++) {
        fill_normal(g.data, g.n, 40 + (uint64_t)s, 1.0f);
        AdamWStepInfo info = adamw_step(&opt, &w, &g);
        CHECK_TRUE(info.lr == adamw_lr_at(&c, s));
    }
    adamw_free(&opt);
    param_slab_free(&w);
    param_slab_free(&g);
}

// Same inputs, same bits: two optimizers from identical states, three clipped steps each.
static void test_bit_identical(void) {
    AdamWConfig c = base_cfg();
    c.grad_clip = 1.0f;
    c.warmup_steps = 2;
    c.total_steps = 10;
    ParamSlab w[2], g;
    AdamW opt[2];
    param_slab_init(&g, &MEDIUM, "test_g");
    for (int k = 0; k < 2; k++) {
        param_slab_init(&w[k], &MEDIUM, "test_w");
        gpt_init_weights(&w[k], 99);
        adamw_init(&opt[k], &c, &MEDIUM);
        for (int s = 0; s < 3; s++) {
            fill_normal(g.data, g.n, 200 + (uint64_t)s, 0.05f);
            adamw_step(&opt[k], &w[k], &g);
        }
    }
    CHECK_TRUE(memcmp(w[0].data, w[1].data, w[0].n * sizeof(float)) == 0);
    CHECK_TRUE(memcmp(opt[0].m.data, opt[1].m.data, w[0].n * sizeof(float)) == 0);
    CHECK_TRUE(memcmp(opt[0].v.data, opt[1].v.data, w[0].n * sizeof(float)) == 0);
    CHECK_TRUE(opt[0].step == 3 && opt[1].step == 3);
    for (int k = 0; k < 2; k++) {
        adamw_free(&opt[k]);
        param_slab_free(&w[k]);
    }
    param_slab_free(&g);
}

int main(void) {
    test_two_steps(&TINY);
    test_two_steps(&MEDIUM);
    test_clipping();
    test_schedule();
    test_bit_identical();
    return check_report();
}
