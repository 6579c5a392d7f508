/* tests/test_rng.c — Philox4x32-10 known answers, stream save/restore, distributions, rng_below,
   shuffle. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train/rng.h"

static void test_known_answers(void) {
    // Random123 kat_vectors for philox4x32_10.
    struct {
        uint32_t ctr[4], key[2], expect[4];
    } kat[3] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        philox4x32(out, kat[i].ctr, kat[i].key);
        for (int j = 0; j < 4; j++)
            CHECK_MSG(out[j] == kat[i].expect[j], "kat %d word %d: %08x, expected %08x", i, j,
                      out[j], kat[i].expect[j]);
    }
}

// Word i of a stream is lane i%4 of the block with counter {i/4, 0, 0, 0} under the split key.
static void test_stream_layout(void) {
    Rng r = rng_stream(42, 7);
    CHECK_TRUE(r.counter == 0);
    CHECK_TRUE(r.key == rng_derive_key(42, 7));
    uint32_t key[2] = {(uint32_t)r.key, (uint32_t)(r.key >> 32)};
    for (uint32_t i = 0; i < 12; i++) {
        uint32_t ctr[4] = {i / 4, 0, 0, 0}, out[4];
        philox4x32(out, ctr, key);
        uint32_t x = rng_u32(&r);
        CHECK_MSG(x == out[i % 4], "word %u differs from its Philox lane", i);
    }
    CHECK_EQ_I64(r.counter, 12);
    // A counter beyond 2^32 blocks uses the high counter word.
    uint64_t word = ((uint64_t)5 << 34) + ((uint64_t)3 << 2) + 2;  // block 5*2^32 + 3, lane 2
    Rng far = {r.key, word};
    uint32_t ctr[4] = {3, 5, 0, 0}, out[4];
    philox4x32(out, ctr, key);
    CHECK_TRUE(rng_u32(&far) == out[2]);
}

// Drawing from a mix of calls.
static void draw_mix(Rng *r, float *buf, int n) {
    for (int i = 0; i < n; i++) {
        switch (i % 4) {
            case 0: buf[i] = rng_uniform(r); break;
            case 1: buf[i] = rng_normal(r); break;
            case 2: buf[i] = (float)rng_below(r, 1000); break;
            default: buf[i] = (float)(rng_u32(r) >> 8); break;
        }
    }
}

static void test_save_restore(void) {
    Rng r = rng_stream(1234, 5);
    float warm[7], a[101], b[101];
    draw_mix(&r, warm, 7);
    Rng saved = r;  // the whole state: (key, counter)
    draw_mix(&r, a, 101);
    Rng restored = {saved.key, saved.counter};
    draw_mix(&restored, b, 101);
    CHECK_TRUE(memcmp(a, b, sizeof a) == 0);
    CHECK_TRUE(restored.counter == r.counter);
}

// rng_normal consumes exactly two words, from any lane, and is Box-Muller of those two words.
static void test_normal_words(void) {
    for (uint64_t start = 0; start < 8; start++) {
        Rng r = {rng_derive_key(9, 1), start}, copy = r;
        float z = rng_normal(&r);
        CHECK_EQ_I64(r.counter, start + 2);
        double u1 = 1.0 - (double)(rng_u32(&copy) >> 8) * 0x1.0p-24;
        double u2 = (double)(rng_u32(&copy) >> 8) * 0x1.0p-24;
        double expect = sqrt(-2.0 * log(u1)) * cos(6.28318530717958647692 * u2);
        CHECK_MSG(z == (float)expect, "normal from lane %d: %g vs %g", (int)(start % 4), z, expect);
    }
}

static void test_uniform_stats(void) {
    Rng r = rng_stream(2024, 0);
    const int n = 1000000;
    double s = 0, s2 = 0;
    int in_range = 1;
    for (int i = 0; i < n; i++) {
        float u = rng_uniform(&r);
        if (!(u >= 0.0f && u < 1.0f)) in_range = 0;
        s += u;
        s2 += (double)u * u;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    CHECK_TRUE(in_range);
    CHECK_NEAR(mean, 0.5, 0.0015);        // sd of the mean 0.00029
    CHECK_NEAR(var, 1.0 / 12.0, 0.0008);  // sd of the variance 0.000075
}

static void test_normal_stats(void) {
    Rng r = rng_stream(77, 3);
    const int n = 1000000;
    double s = 0, s2 = 0, s4 = 0;
    int finite = 1;
    for (int i = 0; i < n; i++) {
        float z = rng_normal(&r);
        if (!isfinite(z) || fabsf(z) > 6.5f) finite = 0;
        s += z;
        s2 += (double)z * z;
        s4 += (double)z * z * z * z;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    CHECK_TRUE(finite);
    CHECK_NEAR(mean, 0.0, 0.005);   // sd 0.001
    CHECK_NEAR(var, 1.0, 0.008);    // sd 0.0014
    CHECK_NEAR(s4 / n, 3.0, 0.05);  // fourth moment of N(0,1); sd 0.01
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_independent_streams(void) {
    enum { NS = 2000 };
    static uint64_t first[NS], keys[NS];
    for (int s = 0; s < NS; s++) {
        Rng r = rng_stream(11, (uint64_t)s);
        keys[s] = r.key;
        uint64_t hi = rng_u32(&r);
        first[s] = hi << 32 | rng_u32(&r);
    }
    qsort(first, NS, sizeof first[0], cmp_u64);
    qsort(keys, NS, sizeof keys[0], cmp_u64);
    int distinct_first = 1, distinct_keys = 1;
    for (int s = 1; s < NS; s++) {
        if (first[s] == first[s - 1]) distinct_first = 0;
        if (keys[s] == keys[s - 1]) distinct_keys = 0;
    }
    CHECK_TRUE(distinct_first);
    CHECK_TRUE(distinct_keys);
    CHECK_TRUE(rng_derive_key(1, 0) != rng_derive_key(2, 0));
    CHECK_TRUE(rng_derive_key(0, 0) != 0);

    // Two neighbouring streams (and seeds) are uncorrelated.
    Rng a = rng_stream(11, 0), b = rng_stream(11, 1), c = rng_stream(12, 0);
    const int n = 200000;
    double sab = 0, sac = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_uniform(&a) - 0.5;
        sab += x * (rng_uniform(&b) - 0.5);
        sac += x * (rng_uniform(&c) - 0.5);
    }
    CHECK_NEAR(12.0 * sab / n, 0.0, 0.012);  // correlation; sd 0.0022
    CHECK_NEAR(12.0 * sac / n, 0.0, 0.012);
}

static void test_uniform_at(void) {
    float u = rng_uniform_at(5, 1, 2, 3, 4);
    CHECK_TRUE(u >= 0.0f && u < 1.0f);
    CHECK_TRUE(u == rng_uniform_at(5, 1, 2, 3, 4));
    CHECK_TRUE(u != rng_uniform_at(6, 1, 2, 3, 4));
    CHECK_TRUE(u != rng_uniform_at(5, 1, 2, 3, 5));
    CHECK_TRUE(u != rng_uniform_at(5, 0, 2, 3, 4));
    // Stateless draws over a grid of counters are uniform.
    double s = 0;
    int n = 0;
    for (uint32_t a = 0; a < 100; a++)
        for (uint32_t d = 0; d < 1000; d++, n++) s += rng_uniform_at(99, a, 7, 0, d);
    CHECK_NEAR(s / n, 0.5, 0.003);  // sd 0.00065
}

static void test_below(void) {
    Rng r = rng_stream(3, 0);
    CHECK_TRUE(rng_below(&r, 1) == 0);
    enum { N = 7, DRAWS = 700000 };
    int count[N] = {0}, in_range = 1;
    for (int i = 0; i < DRAWS; i++) {
        uint32_t x = rng_below(&r, N);
        if (x >= N) {
            in_range = 0;
            continue;
        }
        count[x]++;
    }
    CHECK_TRUE(in_range);
    for (int k = 0; k < N; k++) CHECK_NEAR(count[k], DRAWS / N, 1500);  // sd 293
    // Large n: about half of 2^32 values are rejected; results stay in range, mean n/2.
    uint32_t big = 0x80000001u;
    double s = 0;
    in_range = 1;
    for (int i = 0; i < 100000; i++) {
        uint32_t x = rng_below(&r, big);
        if (x >= big) in_range = 0;
        s += x;
    }
    CHECK_TRUE(in_range);
    CHECK_NEAR(s / 100000 / big, 0.5, 0.006);  // sd 0.0009
}

static void test_shuffle(void) {
    enum { N = 1000 };
    static int32_t p[N], q[N], other[N];
    for (int i = 0; i < N; i++) p[i] = q[i] = other[i] = i;
    Rng a = rng_stream(8, 2), b = rng_stream(8, 2), c = rng_stream(8, 3);
    rng_shuffle_i32(&a, p, N);
    rng_shuffle_i32(&b, q, N);
    rng_shuffle_i32(&c, other, N);
    static int seen[N];
    int perm = 1, fixed = 0;
    for (int i = 0; i < N; i++) {
        if (p[i] < 0 || p[i] >= N || seen[p[i]]++) perm = 0;
        fixed += p[i] == i;
    }
    CHECK_TRUE(perm);
    CHECK_TRUE(fixed < 10);  // a random permutation has ~1 fixed point
    CHECK_TRUE(memcmp(p, q, sizeof p) == 0);
    CHECK_TRUE(memcmp(p, other, sizeof p) != 0);
    // Degenerate sizes draw nothing.
    int32_t one = 5;
    Rng d = rng_stream(1, 1);
    rng_shuffle_i32(&d, &one, 1);
    rng_shuffle_i32(&d, NULL, 0);
    CHECK_TRUE(one == 5 && d.counter == 0);
    // Each element lands in each position equally often (3 elements, 6 permutations).
    int perms[6] = {0};
    Rng e = rng_stream(1, 2);
    for (int t = 0; t < 60000; t++) {
        int32_t x[3] = {0, 1, 2};
        rng_shuffle_i32(&e, x, 3);
        perms[x[0] * 2 + (x[1] > x[2])]++;
    }
    for (int k = 0; k < 6; k++) CHECK_NEAR(perms[k], 10000, 500);  // sd 91
}

int main(void) {
    test_known_answers();
    test_stream_layout();
    test_save_restore();
    test_normal_words();
    test_uniform_stats();
    test_normal_stats();
    test_independent_streams();
    test_uniform_at();
    test_below();
    test_shuffle();
    return check_report();
}
