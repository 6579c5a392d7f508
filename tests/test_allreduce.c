/* tests/test_allreduce.c — comm/allreduce under mpiexec (1..4 ranks): the bucketed, overlapped
   GradReducer and grad_allreduce_blocking both equal, bit for bit, the rank-order float sum of all
   ranks' slabs (computed here from an exact all-gather), for random slabs with widely spread
   magnitudes, several bucket sizes, readiness in backward order, per layer, in a different random
   order on every rank, or not at all; the bucket table covers the slab in fixed ranges; results are
   the same bits on every rank. With 1 or 2 ranks they also equal MPI_Allreduce. */
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "comm_check.h"
#include "comm/allreduce.h"
#include "comm/comms.h"
#include "comm/exchange.h"
#include "util/alloc.h"
#include "util/timer.h"

static int rank = 0, size = 1;

/* Gradients of rank r for step `step`: signs and magnitudes from 2^-12 to 2^12, so the order of
   the additions shows in the low bits. */
static void fill(ParamSlab *g, int r, int step) {
    for (size_t i = 0; i < g->n; i++) {
        uint64_t h = mix(i * 1315423911u + (uint64_t)r * 7919 + (uint64_t)step * 104729);
        float unit = (float)(h >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
        g->data[i] = ldexpf(unit, (int)(h % 25) - 12);
    }
}

/* The expected result: every rank's slab gathered exactly, summed in rank order in float. */
static void reference(float *out, const ParamSlab *g, int average) {
    ExchGathered all;
    exchange_allgatherv(&all, g->data, (int64_t)g->n, EXCH_F32, MPI_COMM_WORLD);
    const float *v = all.data;
    for (size_t i = 0; i < g->n; i++) out[i] = v[i];
    for (int r = 1; r < size; r++)
        for (size_t i = 0; i < g->n; i++) out[i] += v[(size_t)all.displs[r] + i];
    if (average)
        for (size_t i = 0; i < g->n; i++) out[i] /= (float)size;
    exchange_gathered_free(&all);
}

/* 1 when every rank holds the same bits. */
static int same_on_all_ranks(const float *x, size_t n) {
    uint64_t h = 1469598103934665603ull;
    const unsigned char *b = (const unsigned char *)x;
    for (size_t i = 0; i < n * sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ull;
    uint64_t v[2] = {h, ~h}, m[2];
    MPI_CHECK(MPI_Allreduce(v, m, 2, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD));
    return m[0] == ~m[1];
}

/* Readiness units in memory order: whole wte, wpe, lnf_w, lnf_b; (tensor, layer) slices else. */
typedef struct {
    int tensor, layer;
} Unit;

static int units_of(const ParamSlab *g, Unit *u) {
    int n = 0;
    for (int t = 0; t < GPT_NUM_TENSORS; t++) {
        int stacked = t >= 2 && t <= 13;
        for (int l = 0; l < (stacked ? g->cfg.L : 1); l++) u[n++] = (Unit){t, stacked ? l : -1};
    }
    return n;
}

enum { MODE_BACKWARD, MODE_LAYERS, MODE_SHUFFLED, MODE_NONE, MODE_RAW, NUM_MODES };
static const char *mode_names[] = {"backward", "layers", "shuffled", "none", "raw"};

/* One training step's reduction with readiness reported as mode says. */
static void reduce_step(GradReducer *r, ParamSlab *g, int mode, int step) {
    Unit u[4 + 12 * 16];
    int n = units_of(g, u), L = g->cfg.L;
    if (mode == MODE_BACKWARD) {  // lnf, then each layer's tensors from last to first, wpe, wte
        grad_reducer_ready_tensor(r, 15, -1);
        grad_reducer_ready_tensor(r, 14, -1);
        // Overlap: the lnf buckets start at once and complete through polling alone.
        CHECK_TRUE(r->next_start >= 1);
        double t0 = timer_now();
        while (grad_reducer_poll(r) < 1 && timer_now() - t0 < 20.0) continue;
        CHECK_MSG(grad_reducer_poll(r) >= 1, "no bucket completed by polling on rank %d", rank);
        for (int l = L - 1; l >= 0; l--) {
            for (int t = 13; t >= 2; t--) grad_reducer_ready_tensor(r, t, l);
            grad_reducer_poll(r);
        }
        grad_reducer_ready_tensor(r, 1, -1);
        grad_reducer_ready_tensor(r, 0, -1);
    } else if (mode == MODE_LAYERS) {  // whole layers, and stacked small tensors as a whole
        grad_reducer_ready(r, g->t.lnf_w, 2 * (size_t)g->cfg.C);
        for (int l = L - 1; l >= 0; l--) grad_reducer_ready_layer(r, l);
        grad_reducer_ready(r, g->data, g->table[0].count + g->table[1].count);
    } else if (mode == MODE_SHUFFLED) {  // a different order on every rank and every step
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(mix((uint64_t)rank * 1000003 + (uint64_t)step * 31 + (uint64_t)i) %
                          (uint64_t)(i + 1));
            Unit t = u[i];
            u[i] = u[j];
            u[j] = t;
        }
        for (int i = 0; i < n; i++) grad_reducer_ready_tensor(r, u[i].tensor, u[i].layer);
    } else if (mode == MODE_RAW) {  // pointer ranges: whole stacked tensors, half the units
        for (int t = 0; t < GPT_NUM_TENSORS; t += 2)
            grad_reducer_ready(r, g->data + g->table[t].offset, g->table[t].count);
    }
    grad_reducer_finish(r);
}

static void check_buckets(const GradReducer *r, const ParamSlab *g) {
    size_t at = 0, maxc = r->bucket_bytes / sizeof(float);
    int ok = r->n_buckets > 0;
    char *seen = xcalloc("test.seen", (size_t)r->n_buckets, 1);
    for (int b = 0; ok && b < r->n_buckets; b++) {
        const GradBucket *x = &r->buckets[b];
        const TensorSpec *t = &g->table[x->tensor];
        ok = x->offset == at && x->count >= 1 && x->count <= maxc && x->offset >= t->offset &&
             x->offset + x->count <= t->offset + t->count;
        at += x->count;
        int o = r->order[b];
        ok = ok && o >= 0 && o < r->n_buckets && !seen[o];
        if (ok) seen[o] = 1;
        if (b)
            ok = ok && r->buckets[r->order[b - 1]].ready_pos <= r->buckets[r->order[b]].ready_pos;
    }
    CHECK_MSG(ok && at == g->n, "bucket table for %zu bytes", r->bucket_bytes);
    // The last buckets to start hold wte (the tied LM head is final only after the encoder).
    CHECK_TRUE(r->buckets[r->order[r->n_buckets - 1]].tensor == 0);
    CHECK_TRUE(r->buckets[r->order[0]].tensor == GPT_NUM_TENSORS - 1);
    xfree(seen);
}

static void test_reducer(const GPTConfig *cfg) {
    ParamSlab g;
    param_slab_init(&g, cfg, "test.grads");
    float *want = xmalloc("test.want", sizeof(float) * g.n);
    float *got = xmalloc("test.want", sizeof(float) * g.n);
    // Buckets of one float (small slab only: thousands of collectives) or three (fewer floats than
    // ranks, so some chunks are empty), of a few units, of whole tensors, and the default.
    size_t buckets[] = {g.n < 2000 ? 4 : 12, 64, 1000, 4096, 0};
    for (int average = 0; average <= 1; average++) {
        // The blocking call.
        fill(&g, rank, 0);
        reference(want, &g, average);
        grad_allreduce_blocking(&g, average, MPI_COMM_WORLD);
        CHECK_MSG(memcmp(g.data, want, g.n * sizeof(float)) == 0, "blocking, average %d", average);
        CHECK_TRUE(same_on_all_ranks(g.data, g.n));
        for (int k = 0; k < 5; k++) {
            GradReducer r;
            grad_reducer_init(&r, &g, buckets[k], average, MPI_COMM_WORLD);
            if (!average) check_buckets(&r, &g);
            for (int mode = 0; mode < NUM_MODES; mode++)
                for (int step = 1; step <= 2; step++) {  // two steps: the reducer resets itself
                    fill(&g, rank, step * 10 + mode);
                    reference(want, &g, average);
                    reduce_step(&r, &g, mode, step);
                    CHECK_MSG(memcmp(g.data, want, g.n * sizeof(float)) == 0,
                              "reducer: bucket %zu bytes, mode %s, step %d, average %d, L %d",
                              r.bucket_bytes, mode_names[mode], step, average, cfg->L);
                    CHECK_TRUE(same_on_all_ranks(g.data, g.n));
                }
            CHECK_TRUE(r.wait_seconds >= 0.0 && r.next_start == 0);
            grad_reducer_free(&r);
            grad_reducer_free(&r);
        }
    }
    // MPI_Allreduce may associate differently at 3+ ranks; with 1 or 2 ranks any order agrees.
    fill(&g, rank, 99);
    memcpy(got, g.data, g.n * sizeof(float));
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, got, (int)g.n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
    grad_allreduce_blocking(&g, 0, MPI_COMM_WORLD);
    size_t differ = 0;
    for (size_t i = 0; i < g.n; i++) differ += memcmp(&got[i], &g.data[i], sizeof(float)) != 0;
    if (size <= 2)
        CHECK_MSG(differ == 0, "%zu elements differ from MPI_Allreduce", differ);
    else if (rank == 0)
        printf(
            "info: %zu of %zu elements differ in the last bit(s) from MPI_Allreduce at %d ranks\n",
            differ, g.n, size);
    xfree(want);
    xfree(got);
    param_slab_free(&g);
}

/* A slab large enough for pieces and the default bucket size, with a non-multiple of every size. */
static void test_large_blocking(void) {
    size_t n = ((size_t)1 << 22) + 12345;  // more than one 16 MiB piece
    float *x = xmalloc("test.large", n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((mix(i + (uint64_t)rank * n) >> 40) % 1000) / 7.0f;
    grad_allreduce_floats(x, n, 0, MPI_COMM_WORLD);
    // Integers/7 summed in rank order: compare with the exact rank-order sum of the same values.
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) {
        float s = 0.0f;
        for (int r = 0; r < size; r++) {
            float v = (float)((mix(i + (uint64_t)r * n) >> 40) % 1000) / 7.0f;
            s = r ? s + v : v;
        }
        ok = memcmp(&s, &x[i], sizeof s) == 0;
    }
    CHECK_MSG(ok, "large blocking all-reduce on rank %d", rank);
    xfree(x);
}

int main(int argc, char **argv) {
    comms_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    GPTConfig small = {.V = 50, .Vp = 64, .T = 16, .C = 24, .L = 3, .NH = 4};
    GPTConfig one_layer = {.V = 11, .Vp = 12, .T = 5, .C = 8, .L = 1, .NH = 2};
    test_reducer(&small);
    test_reducer(&one_layer);
    test_large_blocking();
    return comm_test_finish();  // leak check, agreement on failure, MPI_Finalize
}
