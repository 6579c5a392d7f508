/* train/rng.c — Philox4x32-10 counter-based random numbers; see rng.h.
   Philox4x32-10 is Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC'11), with the
   Random123 constants; tests/test_rng.c checks the Random123 known-answer vectors.
   Stream layout: word number `counter` of a stream is lane counter % 4 of the Philox block whose
   128-bit counter is {lo32(counter / 4), hi32(counter / 4), 0, 0}, under the 64-bit key split as
   {lo32(key), hi32(key)}. A stream is therefore a pure function of (key, counter).
   Keys: rng_derive_key(seed, stream) = splitmix64(seed ^ splitmix64(stream)); for a fixed seed this
   is a bijection of the stream id, so distinct stream ids never share a key. Stream id UINT64_MAX
   is reserved: its key is the one rng_uniform_at uses. */
#include "train/rng.h"

#include <math.h>

#include "util/err.h"

#define PHILOX_M0     0xD2511F53u
#define PHILOX_M1     0xCD9E8D57u
#define PHILOX_W0     0x9E3779B9u
#define PHILOX_W1     0xBB67AE85u
#define PHILOX_ROUNDS 10

// Key of the stateless draws (rng_uniform_at): the derived key of this reserved stream id.
#define RNG_STATELESS_STREAM UINT64_MAX

#define RNG_TWO_PI 6.28318530717958647692

void philox4x32(uint32_t out[4], const uint32_t counter[4], const uint32_t key[2]) {
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < PHILOX_ROUNDS; r++) {
        if (r > 0) {  // key schedule: bump between rounds
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

// splitmix64 (Steele, Lea, Flood 2014): one step of the generator from state x, i.e. the
// finaliser applied to x + golden gamma. A bijection of 64-bit integers.
static uint64_t splitmix64(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t rng_derive_key(uint64_t seed, uint64_t stream) {
    return splitmix64(seed ^ splitmix64(stream));
}

static void split_key(uint32_t k[2], uint64_t key) {
    k[0] = (uint32_t)key;
    k[1] = (uint32_t)(key >> 32);
}

// 24-bit uniform in [0, 1) from one word: exact in float, never 1.
static float u32_to_uniform(uint32_t x) { return (float)(x >> 8) * 0x1.0p-24f; }

float rng_uniform_at(uint64_t seed, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    uint32_t k[2], ctr[4] = {a, b, c, d}, out[4];
    split_key(k, rng_derive_key(seed, RNG_STATELESS_STREAM));
    philox4x32(out, ctr, k);
    return u32_to_uniform(out[0]);
}

Rng rng_stream(uint64_t seed, uint64_t stream) {
    Rng r = {rng_derive_key(seed, stream), 0};
    return r;
}

// The Philox block holding word `counter` of the stream with this key.
static void stream_block(uint32_t out[4], uint64_t key, uint64_t counter) {
    uint64_t block = counter / 4;
    uint32_t k[2], ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0, 0};
    split_key(k, key);
    philox4x32(out, ctr, k);
}

uint32_t rng_u32(Rng *r) {
    uint32_t out[4];
    stream_block(out, r->key, r->counter);
    uint32_t x = out[r->counter % 4];
    r->counter++;
    return x;
}

float rng_uniform(Rng *r) { return u32_to_uniform(rng_u32(r)); }

float rng_normal(Rng *r) {
    // Words counter and counter+1; when both lie in one block (lanes 0-2) compute it once.
    uint32_t w0, w1;
    if (r->counter % 4 != 3) {
        uint32_t out[4];
        stream_block(out, r->key, r->counter);
        w0 = out[r->counter % 4];
        w1 = out[r->counter % 4 + 1];
        r->counter += 2;
    } else {
        w0 = rng_u32(r);
        w1 = rng_u32(r);
    }
    // Box-Muller: 1 - u1 lies in [2^-24, 1], so the log is finite.
    double u1 = 1.0 - (double)u32_to_uniform(w0);
    double u2 = (double)u32_to_uniform(w1);
    double radius = sqrt(-2.0 * log(u1));
    return (float)(radius * cos(RNG_TWO_PI * u2));
}

uint32_t rng_below(Rng *r, uint32_t n) {
    CHECKF(n > 0, "rng_below: n must be > 0");
    // Reject the lowest 2^32 mod n values so that the remaining range is a multiple of n.
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

void rng_shuffle_i32(Rng *r, int32_t *perm, int n) {
    for (int i = n - 1; i > 0; i--) {
        uint32_t j = rng_below(r, (uint32_t)i + 1);
        int32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}
