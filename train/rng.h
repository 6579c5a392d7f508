/* train/rng.h — counter-based random numbers (Philox4x32-10).
   A draw is a pure function of (key, counter), so a sample can be made to depend only on
   (seed, round, prompt id, sample index, token index) and never on batch composition, rank or
   thread count. Rng is a sequential stream over one key: its whole state is (key, counter), which is
   what checkpoints save; restoring those two numbers resumes the stream bit-identically. */
#ifndef CONCORD_TRAIN_RNG_H
#define CONCORD_TRAIN_RNG_H

#include <stdint.h>

/* One Philox4x32-10 block: 4 random words from a 128-bit counter and a 64-bit key. */
void philox4x32(uint32_t out[4], const uint32_t counter[4], const uint32_t key[2]);

/* Stateless draw: uniform in [0, 1) from (seed, a, b, c, d). Distinct tuples give independent
   numbers. 24 bits of mantissa, never exactly 1. */
float rng_uniform_at(uint64_t seed, uint32_t a, uint32_t b, uint32_t c, uint32_t d);

/* Key derivation: mixes a seed with a stream id (splitmix64), for independent streams. */
uint64_t rng_derive_key(uint64_t seed, uint64_t stream);

typedef struct {
    uint64_t key;      // Philox key (seed mixed with the stream id)
    uint64_t counter;  // number of 32-bit words drawn so far
} Rng;

/* A stream for (seed, stream id); counter starts at 0. */
Rng rng_stream(uint64_t seed, uint64_t stream);
uint32_t rng_u32(Rng *r);
/* Uniform in [0, 1), 24-bit resolution. */
float rng_uniform(Rng *r);
/* Standard normal (Box-Muller on two uniforms). */
float rng_normal(Rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t rng_below(Rng *r, uint32_t n);
/* Fisher-Yates shuffle of perm[0..n). */
void rng_shuffle_i32(Rng *r, int32_t *perm, int n);

#endif
