/* tests/test_sample.c — greedy and its tie rule, top-k/top-p limits, empirical frequencies against
   the (truncated, renormalised) softmax, the inverse-CDF order, u at the edges, log-probs. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "train/rng.h"
#include "train/sample.h"

enum { NDRAW = 200000 };

static SampleParams params(float t, int k, float p) {
    SampleParams sp = {.temperature = t, .top_k = k, .top_p = p, .greedy = 0};
    return sp;
}

// Expected distribution: softmax(logits/T) (NaN as -inf), keep the top_k most likely, renormalise,
// keep the smallest top set with mass >= top_p, renormalise. Written independently of sample.c:
// the ranking picks the largest remaining probability each time (ties: lower id).
static void expected_probs(double *q, const float *logits, int V, float T, int k, float top_p) {
    double mx = -INFINITY;
    for (int i = 0; i < V; i++) q[i] = isnan(logits[i]) ? -INFINITY : logits[i] / (double)T;
    for (int i = 0; i < V; i++) mx = fmax(mx, q[i]);
    for (int i = 0; i < V; i++) q[i] = exp(q[i] - mx);
    int rank[64], used[64] = {0};
    for (int r = 0; r < V; r++) {
        int best = -1;
        for (int i = 0; i < V; i++)
            if (!used[i] && (best < 0 || q[i] > q[best])) best = i;
        used[best] = 1;
        rank[r] = best;
    }
    int kept = k > 0 && k < V ? k : V;
    double mass = 0;
    for (int r = 0; r < kept; r++) mass += q[rank[r]];
    if (top_p < 1) {
        double cum = 0;
        for (int r = 0; r < kept; r++) {
            cum += q[rank[r]] / mass;
            if (cum >= top_p) {
                kept = r + 1;
                break;
            }
        }
    }
    double kept_mass = 0;
    for (int r = 0; r < kept; r++) kept_mass += q[rank[r]];
    for (int i = 0; i < V; i++) used[i] = 0;
    for (int r = 0; r < kept; r++) used[rank[r]] = 1;
    for (int i = 0; i < V; i++) q[i] = used[i] ? q[i] / kept_mass : 0.0;
}

// Draws NDRAW tokens with u = rng_uniform_at(seed, 0, 0, 0, i) and compares the frequencies.
static void check_frequencies(const char *what, const float *logits, int V, SampleParams sp) {
    double q[64];
    expected_probs(q, logits, V, sp.temperature, sp.top_k, sp.top_p);
    int count[64] = {0};
    float scratch[128];
    for (int i = 0; i < NDRAW; i++) {
        float u = rng_uniform_at(2718, 0, 0, 0, (uint32_t)i);
        count[sample_token(logits, V, &sp, u, scratch)]++;
    }
    for (int i = 0; i < V; i++) {
        double f = (double)count[i] / NDRAW;
        // 5 standard deviations of a binomial frequency, plus a little.
        double tol = 5 * sqrt(q[i] * (1 - q[i]) / NDRAW) + 1e-4;
        CHECK_MSG(fabs(f - q[i]) <= tol, "%s: token %d frequency %.5f, expected %.5f", what, i, f,
                  q[i]);
        if (q[i] == 0) CHECK_MSG(count[i] == 0, "%s: excluded token %d drawn", what, i);
    }
}

static void test_greedy(void) {
    float l[5] = {0.1f, 2.0f, -1.0f, 2.0f, 1.5f};
    SampleParams g = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .greedy = 1};
    CHECK_EQ_I64(sample_token(l, 5, &g, 0.9f, NULL), 1);  // tie of 1 and 3: lower id
    SampleParams t0 = params(0.0f, 0, 1.0f), tneg = params(-1.0f, 0, 1.0f);
    CHECK_EQ_I64(sample_token(l, 5, &t0, 0.9f, NULL), 1);
    CHECK_EQ_I64(sample_token(l, 5, &tneg, 0.9f, NULL), 1);
    float nan_first[3] = {NAN, 0.0f, -1.0f};
    CHECK_EQ_I64(sample_token(nan_first, 3, &g, 0.5f, NULL), 1);

    // top_k = 1 and a tiny top_p are greedy, for any u and random logits (ties included).
    SampleParams k1 = params(1.0f, 1, 1.0f), p0 = params(0.7f, 0, 1e-6f), pz = params(2.f, 0, 0);
    Rng r = rng_stream(1, 0);
    int same = 1;
    for (int trial = 0; trial < 2000; trial++) {
        float x[17];
        for (int i = 0; i < 17; i++) x[i] = (float)rng_below(&r, 6);  // many ties
        float u = rng_uniform(&r);
        int want = sample_token(x, 17, &g, u, NULL);
        if (sample_token(x, 17, &k1, u, NULL) != want ||
            sample_token(x, 17, &p0, u, NULL) != want || sample_token(x, 17, &pz, u, NULL) != want)
            same = 0;
    }
    CHECK_TRUE(same);
}

// The inverse CDF runs over descending probability, ties by lower id.
static void test_order(void) {
    float l[3] = {0.0f, logf(2.0f), logf(3.0f)};  // probabilities 1/6, 2/6, 3/6
    SampleParams sp = params(1.0f, 0, 1.0f);
    CHECK_EQ_I64(sample_token(l, 3, &sp, 0.0f, NULL), 2);
    CHECK_EQ_I64(sample_token(l, 3, &sp, 0.49f, NULL), 2);
    CHECK_EQ_I64(sample_token(l, 3, &sp, 0.51f, NULL), 1);
    CHECK_EQ_I64(sample_token(l, 3, &sp, 0.83f, NULL), 1);
    CHECK_EQ_I64(sample_token(l, 3, &sp, 0.84f, NULL), 0);
    float ties[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    CHECK_EQ_I64(sample_token(ties, 4, &sp, 0.10f, NULL), 0);
    CHECK_EQ_I64(sample_token(ties, 4, &sp, 0.30f, NULL), 1);
    CHECK_EQ_I64(sample_token(ties, 4, &sp, 0.60f, NULL), 2);
    CHECK_EQ_I64(sample_token(ties, 4, &sp, 0.99f, NULL), 3);
}

static void test_frequencies(void) {
    const float l[6] = {1.0f, 0.5f, -0.3f, 2.0f, 0.0f, -1.5f};
    check_frequencies("T=1", l, 6, params(1.0f, 0, 1.0f));
    check_frequencies("T=0.8", l, 6, params(0.8f, 0, 1.0f));
    check_frequencies("T=2", l, 6, params(2.0f, 0, 1.0f));
    check_frequencies("top_k=3", l, 6, params(1.0f, 3, 1.0f));
    // T=1 masses sorted: 0.486, 0.179, 0.108, 0.066, 0.049, 0.011 (cumulative .486 .665 .773 ...)
    check_frequencies("top_p=0.7", l, 6, params(1.0f, 0, 0.7f));
    check_frequencies("top_p=0.4", l, 6, params(1.0f, 0, 0.4f));  // only the top token
    check_frequencies("top_k=4,top_p=0.8", l, 6, params(1.0f, 4, 0.8f));
    check_frequencies("top_k=2,top_p=0.9,T=1.5", l, 6, params(1.5f, 2, 0.9f));
    float masked[5] = {0.3f, -INFINITY, 1.0f, NAN, -0.2f};
    check_frequencies("masked", masked, 5, params(1.0f, 0, 1.0f));
    // A 40-token row with a long tail.
    float wide[40];
    for (int i = 0; i < 40; i++) wide[i] = 3.0f * sinf((float)i * 1.7f);
    check_frequencies("V=40", wide, 40, params(1.0f, 0, 1.0f));
    check_frequencies("V=40 top_k=10 top_p=0.9", wide, 40, params(0.9f, 10, 0.9f));
}

// u at and past the top edge never leaves the allowed set; -inf tokens are never chosen.
static void test_edges(void) {
    const float top_u = 1.0f - 0x1.0p-24f;  // the largest value rng_uniform_at returns
    const float us[5] = {top_u, 1.0f, 2.0f, -1.0f, NAN};
    float l[6] = {1.0f, 0.5f, -0.3f, 2.0f, 0.0f, -1.5f};
    SampleParams k2 = params(1.0f, 2, 1.0f), p5 = params(1.0f, 0, 0.5f);
    for (int j = 0; j < 5; j++) {
        int a = sample_token(l, 6, &k2, us[j], NULL), b = sample_token(l, 6, &p5, us[j], NULL);
        CHECK_MSG(a == 3 || a == 0, "top_k=2 with u=%g chose %d", us[j], a);
        CHECK_MSG(b == 3, "top_p=0.5 with u=%g chose %d", us[j], b);
    }
    CHECK_EQ_I64(sample_token(l, 6, &k2, top_u, NULL), 0);  // last of the kept set
    CHECK_EQ_I64(sample_token(l, 6, &k2, -1.0f, NULL), 3);  // clamped to 0: first
    // Masked tokens sort last and have no mass: u near 1 must not reach them.
    float m[5] = {-INFINITY, 0.0f, -INFINITY, 0.5f, NAN};
    SampleParams all = params(1.0f, 0, 1.0f), hot = params(1e30f, 0, 1.0f);
    SampleParams inf_t = params(INFINITY, 0, 1.0f);
    for (int j = 0; j < 5; j++) {
        int a = sample_token(m, 5, &all, us[j], NULL), b = sample_token(m, 5, &hot, us[j], NULL);
        int c = sample_token(m, 5, &inf_t, us[j], NULL);
        CHECK_MSG((a == 1 || a == 3) && (b == 1 || b == 3) && (c == 1 || c == 3),
                  "masked row with u=%g chose %d/%d/%d", us[j], a, b, c);
    }
    // All masked: the choice is among the tied top tokens (all of them); +inf dominates.
    float none[3] = {-INFINITY, -INFINITY, -INFINITY};
    int t = sample_token(none, 3, &all, 0.5f, NULL);
    CHECK_TRUE(t >= 0 && t < 3);
    float pinf[3] = {0.0f, INFINITY, 5.0f};
    CHECK_EQ_I64(sample_token(pinf, 3, &all, 0.99f, NULL), 1);
    float one[1] = {-3.0f};
    CHECK_EQ_I64(sample_token(one, 1, &all, 0.7f, NULL), 0);
}

// Same (logits, params, u) give the same token, with or without scratch, whatever scratch held.
static void test_deterministic(void) {
    float l[40], scratch[80];
    for (int i = 0; i < 40; i++) l[i] = cosf((float)i * 0.37f) * 2.0f;
    SampleParams sp = params(0.9f, 12, 0.95f);
    int same = 1;
    for (uint32_t i = 0; i < 5000; i++) {
        float u = rng_uniform_at(7, 1, 2, 3, i);
        for (int k = 0; k < 80; k++) scratch[k] = (float)(k * 31 % 7) - 3.0f;
        int a = sample_token(l, 40, &sp, u, scratch);
        int b = sample_token(l, 40, &sp, u, NULL);
        int c = sample_token(l, 40, &sp, u, scratch);
        if (a != b || a != c) same = 0;
    }
    CHECK_TRUE(same);
}

static void test_logprob(void) {
    float l[5] = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f};
    double mx = 3.0, s = 0;
    for (int i = 0; i < 5; i++) s += exp(l[i] - mx);
    double total = 0;
    for (int i = 0; i < 5; i++) {
        float lp = sample_logprob(l, 5, i);
        CHECK_NEAR(lp, l[i] - mx - log(s), 1e-6);
        total += exp(lp);
    }
    CHECK_NEAR(total, 1.0, 1e-6);
    // Stable for large logits.
    float big[2] = {1000.0f, 999.0f};
    CHECK_NEAR(sample_logprob(big, 2, 1), -1.0 - log1p(exp(-1.0)), 1e-6);
    CHECK_NEAR(sample_logprob(big, 2, 0), -log1p(exp(-1.0)), 1e-6);
    float m[3] = {0.0f, -INFINITY, 0.0f};
    CHECK_TRUE(isinf(sample_logprob(m, 3, 1)) && sample_logprob(m, 3, 1) < 0);
    CHECK_NEAR(sample_logprob(m, 3, 0), -log(2.0), 1e-6);
    float none[2] = {-INFINITY, -INFINITY};
    CHECK_NEAR(sample_logprob(none, 2, 0), -log(2.0), 1e-6);
}

int main(void) {
    test_greedy();
    test_order();
    test_frequencies();
    test_edges();
    test_deterministic();
    test_logprob();
    return check_report();
}
