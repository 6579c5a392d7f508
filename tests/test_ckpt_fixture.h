/* tests/test_ckpt_fixture.h — deterministic checkpoint contents for the ckpt tests.
   Every float of every slab is a pseudo-random 32-bit pattern (NaNs with payloads, infinities,
   denormals and -0 included), so only a bit-exact round trip passes. Element k of slab `which`
   (0 model, 1 m, 2 v, 3 ref, 4 prev) for seed s has the bits
     hi32(mix((s*16 + which) * 0x9E3779B97F4A7C15 + k))   (mix = splitmix64's finaliser, mod 2^64)
   which test_ckpt_h5py.sh recomputes in numpy. */
#ifndef CONCORD_TESTS_CKPT_FIXTURE_H
#define CONCORD_TESTS_CKPT_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "io/ckpt.h"

#define FX_WORLD 3  // world size recorded in /state (independent of the ranks that write)

static inline uint64_t fx_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline GPTConfig fx_config(void) {
    GPTConfig c = {.V = 22, .Vp = 24, .T = 8, .C = 8, .L = 2, .NH = 2};
    return c;
}

typedef struct {
    ParamSlab model, ref, prev;
    AdamW optim;
    CkptState state;
    char json[256];
    CkptContents c;  // points at the fields above
} Fixture;

static inline void fx_fill(ParamSlab *s, uint64_t seed, int which) {
    uint64_t base = (seed * 16 + (uint64_t)which) * 0x9E3779B97F4A7C15ull;
    for (size_t k = 0; k < s->n; k++) {
        uint32_t bits = (uint32_t)(fx_mix(base + k) >> 32);
        memcpy(&s->data[k], &bits, sizeof bits);
    }
}

/* Allocates zeroed slabs for cfg (what ckpt_read needs), all groups requested. */
static inline void fx_alloc(Fixture *fx, const GPTConfig *cfg) {
    memset(fx, 0, sizeof *fx);
    param_slab_init(&fx->model, cfg, "test.model");
    param_slab_init(&fx->ref, cfg, "test.ref");
    param_slab_init(&fx->prev, cfg, "test.prev");
    param_slab_init(&fx->optim.m, cfg, "test.m");
    param_slab_init(&fx->optim.v, cfg, "test.v");
    fx->c = (CkptContents){.model = &fx->model,
                           .optim = &fx->optim,
                           .ref = &fx->ref,
                           .prev = &fx->prev,
                           .state = &fx->state};
}

/* Full contents for seed. */
static inline void fx_make(Fixture *fx, uint64_t seed) {
    GPTConfig cfg = fx_config();
    fx_alloc(fx, &cfg);
    fx_fill(&fx->model, seed, 0);
    fx_fill(&fx->optim.m, seed, 1);
    fx_fill(&fx->optim.v, seed, 2);
    fx_fill(&fx->ref, seed, 3);
    fx_fill(&fx->prev, seed, 4);
    fx->optim.cfg = (AdamWConfig){.lr = 3e-4f,
                                  .lr_min_ratio = 0.1f,
                                  .warmup_steps = 10,
                                  .total_steps = 1000,
                                  .beta1 = 0.9f,
                                  .beta2 = 0.95f,
                                  .eps = 1e-8f,
                                  .weight_decay = 0.1f,
                                  .grad_clip = 1.0f};
    fx->optim.step = 100 + (int64_t)seed;
    ckpt_state_init(&fx->state, FX_WORLD);
    CkptState *s = &fx->state;
    s->round = 1 + (int32_t)seed;
    snprintf(s->phase, sizeof s->phase, "train");
    s->step = 42 + (int64_t)seed;
    s->round_step = 7;
    s->seed = 0xF000000000000000ull + seed;
    for (int r = 0; r < FX_WORLD; r++) {
        s->rng[r].key = fx_mix(seed + (uint64_t)r + 1);
        s->rng[r].counter = (uint64_t)r * 1000 + seed;
        s->role[r] = (uint8_t)(1u << (r % 4));
    }
    ckpt_state_set_cursor(s, "prompt", 12345 + (int64_t)seed);
    ckpt_state_set_cursor(s, "sft_example", 777);
    snprintf(fx->json, sizeof fx->json,
             "{\"model\": {\"n_layer\": 2, \"n_embd\": 8}, \"seed\": %llu}",
             (unsigned long long)seed);
    fx->c.config_json = fx->json;
    fx->c.charset = TOKENIZER_DEFAULT_CHARSET;
}

/* fx_make's contents with the slabs of another model config (same fill rule). */
static inline void fx_make_with(Fixture *fx, uint64_t seed, const GPTConfig *cfg) {
    fx_make(fx, seed);
    ParamSlab *s[5] = {&fx->model, &fx->optim.m, &fx->optim.v, &fx->ref, &fx->prev};
    for (int i = 0; i < 5; i++) {
        param_slab_free(s[i]);
        param_slab_init(s[i], cfg, "test.slab");
        fx_fill(s[i], seed, i);
    }
}

/* A small LLaMA: grouped-query attention (NH 4, KV 2), F not a multiple of C, untied head. */
static inline GPTConfig fx_config_llama(void) {
    GPTConfig c = {.arch = GPT_ARCH_LLAMA,
                   .V = 22,
                   .Vp = 24,
                   .T = 8,
                   .C = 8,
                   .L = 2,
                   .NH = 4,
                   .KV = 2,
                   .F = 12,
                   .rope_theta = 10000.0f,
                   .norm_eps = 1e-5f,
                   .untied = 1};
    return c;
}

static inline void fx_free(Fixture *fx) {
    param_slab_free(&fx->model);
    param_slab_free(&fx->ref);
    param_slab_free(&fx->prev);
    param_slab_free(&fx->optim.m);
    param_slab_free(&fx->optim.v);
    ckpt_state_free(&fx->state);
}

static inline int fx_slab_same(const ParamSlab *a, const ParamSlab *b) {
    return a->n == b->n && memcmp(a->data, b->data, a->n * sizeof(float)) == 0;
}

static inline int fx_state_same(const CkptState *a, const CkptState *b) {
    if (a->round != b->round || strcmp(a->phase, b->phase) != 0 || a->step != b->step ||
        a->round_step != b->round_step || a->seed != b->seed || a->world_size != b->world_size ||
        a->n_cursors != b->n_cursors)
        return 0;
    if (memcmp(a->rng, b->rng, (size_t)a->world_size * sizeof(Rng)) != 0) return 0;
    if (memcmp(a->role, b->role, (size_t)a->world_size) != 0) return 0;
    for (int i = 0; i < a->n_cursors; i++)
        if (strcmp(a->cursor_name[i], b->cursor_name[i]) != 0 || a->cursor[i] != b->cursor[i])
            return 0;
    return 1;
}

/* Number of parts of a that differ from b (0 = bit-identical), printing each difference. */
static inline int fx_compare(const Fixture *a, const Fixture *b) {
    int bad = 0;
    const ParamSlab *pa[5] = {&a->model, &a->optim.m, &a->optim.v, &a->ref, &a->prev};
    const ParamSlab *pb[5] = {&b->model, &b->optim.m, &b->optim.v, &b->ref, &b->prev};
    const char *names[5] = {"model", "m", "v", "ref", "prev"};
    for (int i = 0; i < 5; i++) {
        if (fx_slab_same(pa[i], pb[i])) continue;
        fprintf(stderr, "slab %s differs\n", names[i]);
        bad++;
    }
    const AdamWConfig *x = &a->optim.cfg, *y = &b->optim.cfg;
    if (x->lr != y->lr || x->lr_min_ratio != y->lr_min_ratio ||
        x->warmup_steps != y->warmup_steps || x->total_steps != y->total_steps ||
        x->beta1 != y->beta1 || x->beta2 != y->beta2 || x->eps != y->eps ||
        x->weight_decay != y->weight_decay || x->grad_clip != y->grad_clip ||
        a->optim.step != b->optim.step) {
        fprintf(stderr, "optimizer settings or step differ\n");
        bad++;
    }
    if (!fx_state_same(&a->state, &b->state)) {
        fprintf(stderr, "state differs\n");
        bad++;
    }
    return bad;
}

#endif
