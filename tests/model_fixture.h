/* tests/model_fixture.h — shared pieces of the model tests (test_gpt, test_llama, test_prefstep,
   test_sft): perturbed weights, a finite-difference probe of a gradient, and error measures. */
#ifndef CONCORD_TESTS_MODEL_FIXTURE_H
#define CONCORD_TESTS_MODEL_FIXTURE_H

#include <math.h>

#include <stddef.h>

#include "train/params.h"
#include "train/rng.h"

/* Normwise relative error max|a-b| / max|b|. */
static inline double rel_err(const float *a, const float *b, size_t n) {
    double md = 0.0, mb = 1e-12;
    for (size_t i = 0; i < n; i++) {
        md = fmax(md, fabs((double)a[i] - b[i]));
        mb = fmax(mb, fabs((double)b[i]));
    }
    return md / mb;
}

/* Dot product in double. */
static inline double dot(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* GPT-2 initial weights (seed) plus sigma·N(0, 1) on every element, drawn from r, so that no term
   (LayerNorm gains 1, biases 0) is trivially constant. */
static inline void fixture_weights(ParamSlab *w, uint64_t seed, float sigma, Rng *r) {
    gpt_init_weights(w, seed);
    for (size_t i = 0; i < w->n; i++) w->data[i] += sigma * rng_normal(r);
}

/* Largest |central difference of objective(ctx) - g[i]| over `probes` random elements i of w
   (drawn from r), relative to max(1e-4, max |g|). objective reads the weights w. */
static inline double fixture_fd_worst(ParamSlab *w, const ParamSlab *g, Rng *r, int probes,
                                      float eps, double (*objective)(void *ctx), void *ctx) {
    double worst = 0.0, scale = 1e-4;
    for (size_t i = 0; i < g->n; i++) scale = fmax(scale, fabs(g->data[i]));
    for (int k = 0; k < probes; k++) {
        size_t i = rng_below(r, (uint32_t)w->n);
        float keep = w->data[i];
        w->data[i] = keep + eps;
        double jp = objective(ctx);
        w->data[i] = keep - eps;
        double jm = objective(ctx);
        w->data[i] = keep;
        worst = fmax(worst, fabs((jp - jm) / (2.0 * eps) - g->data[i]) / scale);
    }
    return worst;
}

#endif
