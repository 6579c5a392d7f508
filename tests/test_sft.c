/* tests/test_sft.c — the SFT objective through the model: sft_train_batch's gradient equals
   central finite differences of the weighted mean NLL it documents, -(Σ_b w_b logp_b) / Σ_b w_b n_b,
   with per-sequence weights (evaluation examples weigh sft.judge_weight); NULL weights equal all-1
   weights; and the returned sum and the token count are the documented ones. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "model_fixture.h"
#include "train/prefstep.h"
#include "train/rng.h"
#include "train/sft.h"
#include "util/alloc.h"

#define B   3
#define SEQ 8
static GPTConfig cfg = {.V = 10, .Vp = 16, .T = 8, .C = 16, .L = 1, .NH = 2};
static const int32_t TOK[B][SEQ] = {
    {1, 4, 5, 6, 7, 2, 0, 0}, {1, 4, 5, 8, 9, 9, 2, 0}, {1, 6, 7, 4, 2, 0, 0, 0}};
static const int32_t START[B] = {3, 3, 4}, LEN[B] = {6, 7, 5};
static const float W[B] = {1.0f, 4.0f, 0.5f};

// The documented objective, from the sequence log-probabilities.
static double objective(Activations *a, const ParamSlab *w, const float *weight) {
    double lp[B], num = 0.0, den = 0.0;
    prefstep_logprobs(lp, a, w, &TOK[0][0], START, LEN, B, SEQ);
    for (int b = 0; b < B; b++) {
        double wb = weight ? weight[b] : 1.0;
        num -= wb * lp[b];
        den += wb * (LEN[b] - START[b]);
    }
    return num / den;
}

struct Ctx {
    Activations *a;
    const ParamSlab *w;
    const float *weight;
};
static double weighted_objective(void *ctx) {
    struct Ctx *c = ctx;
    return objective(c->a, c->w, c->weight);
}

// Verdict weights: equal counts keep judge_weight; unequal counts give both verdicts the same total.
static void test_verdict_weights(void) {
    float wt[2];
    sft_verdict_weights(4500, 4500, 2.0, wt);
    CHECK_TRUE(wt[0] == 2.0f && wt[1] == 2.0f);
    sft_verdict_weights(2250, 6750, 2.0, wt);  // 75% N
    CHECK_NEAR(wt[1], 4.0, 1e-6);
    CHECK_NEAR(wt[0], 4.0 / 3.0, 1e-6);
    CHECK_NEAR(2250.0 * wt[1], 6750.0 * wt[0], 1e-2);                   // the same total
    CHECK_NEAR((2250.0 * wt[1] + 6750.0 * wt[0]) / 9000.0, 2.0, 1e-6);  // judge_weight on average
    sft_verdict_weights(0, 10, 1.5, wt);  // only N examples: nothing to balance
    CHECK_TRUE(wt[0] == 1.5f && wt[1] == 1.5f);
}

int main(void) {
    test_verdict_weights();
    ParamSlab w, g, g1;
    param_slab_init(&w, &cfg, "test.params");
    param_slab_init(&g, &cfg, "test.grads");
    param_slab_init(&g1, &cfg, "test.grads");
    Rng r = rng_stream(3, 3);
    fixture_weights(&w, 5, 0.2f, &r);
    Activations ta, ia;
    acts_init(&ta, &cfg, B, SEQ, 1);
    acts_init(&ia, &cfg, B, SEQ, 0);

    CHECK_NEAR(sft_response_tokens(START, LEN, NULL, B), 3 + 4 + 1, 0);
    CHECK_NEAR(sft_response_tokens(START, LEN, W, B), 3 * 1.0 + 4 * 4.0 + 1 * 0.5, 1e-12);

    double sum = sft_train_batch(&ta, &w, &g, &TOK[0][0], START, LEN, W, B, SEQ, 0.0);
    double J = objective(&ia, &w, W);
    CHECK_NEAR(sum / sft_response_tokens(START, LEN, W, B), J, 1e-5 * fabs(J));
    struct Ctx ctx = {&ia, &w, W};
    double worst = fixture_fd_worst(&w, &g, &r, 40, 2e-3f, weighted_objective, &ctx);
    CHECK_MSG(worst < 2e-2, "weighted SFT gradient vs finite differences: %g", worst);

    // NULL weights are all-1 weights, bit for bit; an explicit norm replaces the batch's own count
    static const float ONES[B] = {1.0f, 1.0f, 1.0f};
    memset(g.data, 0, g.n * sizeof(float));
    double s0 = sft_train_batch(&ta, &w, &g, &TOK[0][0], START, LEN, NULL, B, SEQ, 0.0);
    double s1 = sft_train_batch(&ta, &w, &g1, &TOK[0][0], START, LEN, ONES, B, SEQ, 0.0);
    CHECK_TRUE(s0 == s1 && memcmp(g.data, g1.data, g.n * sizeof(float)) == 0);
    memset(g1.data, 0, g1.n * sizeof(float));
    sft_train_batch(&ta, &w, &g1, &TOK[0][0], START, LEN, NULL, B, SEQ, 16.0);  // twice 8 tokens
    double dev = 0.0, scale = 1e-4;
    for (size_t i = 0; i < g.n; i++) scale = fmax(scale, fabs(g.data[i]));
    for (size_t i = 0; i < g.n; i++) dev = fmax(dev, fabs(2.0 * g1.data[i] - g.data[i]));
    CHECK_MSG(dev < 1e-6 * scale + 1e-9, "norm = 2x the tokens halves the gradient: %g", dev);

    acts_free(&ta), acts_free(&ia);
    param_slab_free(&w), param_slab_free(&g), param_slab_free(&g1);
    return check_report();
}
