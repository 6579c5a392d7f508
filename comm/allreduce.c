/* comm/allreduce.c — deterministic bucketed gradient all-reduce; see allreduce.h.
   One bucket (or one piece of the blocking path) of m floats is split into `size` chunks,
   chunk c = [c*m/size, (c+1)*m/size) owned by rank c. Reduce-scatter: MPI_Ialltoallv sends chunk c
   of every rank to rank c, which sums the `size` copies in rank order. All-gather: MPI_Iallgatherv
   (in place) copies each owner's result to everyone. Both steps only move bytes, so the arithmetic
   is exactly the rank-order loop in sum_chunk, whatever algorithm MPI picks.
   Collectives on one communicator must start in the same order on every rank: reduce-scatters run
   on rs_comm in start order, all-gathers on ag_comm in the same order (a reduce-scatter only moves
   on to its all-gather after every earlier bucket did), so no rank-local test result can reorder
   them. Blocking waits always target the oldest incomplete bucket, which every rank has started. */
#include "comm/allreduce.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comms.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/timer.h"

#define PIECE_FLOATS ((size_t)1 << 22)  // blocking path: 16 MiB pieces (staging memory)

enum { GB_WAIT, GB_REDUCE_SCATTER, GB_ALL_GATHER, GB_DONE };

struct GradUnit {
    size_t offset, count;           // floats of the slab
    int tensor, layer;              // table index; layer -1 for unstacked tensors
    int bwd_pos;                    // position in backward order (0 = final first)
    int first_bucket, last_bucket;  // buckets overlapping the unit (memory order)
    int ready;                      // reported in the current step
};

struct GradSlot {
    int *counts, *displs;    // (size) chunk sizes and starts within the bucket
    int *rcounts, *rdispls;  // (size) this rank's chunk from each rank, within stage
    float *stage;            // (size * max chunk) received copies of this rank's chunks
    int busy;                // held by a bucket in flight
};

// ---------------------------------------------------------------------------------------------
// shared arithmetic

static void plan_chunks(size_t m, int size, int rank, int *counts, int *displs, int *rcounts,
                        int *rdispls) {
    for (int c = 0; c < size; c++) {
        size_t lo = m * (size_t)c / (size_t)size, hi = m * (size_t)(c + 1) / (size_t)size;
        displs[c] = (int)lo;
        counts[c] = (int)(hi - lo);
    }
    for (int s = 0; s < size; s++) {
        rcounts[s] = counts[rank];
        rdispls[s] = s * counts[rank];
    }
}

/* dst[i] = ((stage_0[i] + stage_1[i]) + ...) [/ size]: rank order, float arithmetic. */
static void sum_chunk(float *dst, const float *stage, int my, int size, int average) {
    for (int i = 0; i < my; i++) dst[i] = stage[i];
    for (int s = 1; s < size; s++) {
        const float *src = stage + (size_t)s * (size_t)my;
        for (int i = 0; i < my; i++) dst[i] += src[i];
    }
    if (average) {
        float w = (float)size;
        for (int i = 0; i < my; i++) dst[i] /= w;
    }
}

/* Dies unless every rank of comm passed the same values. */
static void check_same(const uint64_t *v, int n, const char *what, MPI_Comm comm) {
    uint64_t buf[8], out[8];
    CHECK(n <= 4);
    for (int i = 0; i < n; i++) {
        buf[i] = v[i];
        buf[n + i] = ~v[i];
    }
    MPI_CHECK(MPI_Allreduce(buf, out, 2 * n, MPI_UINT64_T, MPI_MAX, comm));
    for (int i = 0; i < n; i++)
        if (out[i] != ~out[n + i]) die("gradient all-reduce: ranks disagree on %s", what);
}

void grad_allreduce_floats(float *x, size_t n, int average, MPI_Comm comm) {
    int size = 0, rank = 0;
    MPI_CHECK(MPI_Comm_size(comm, &size));
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    uint64_t v[2] = {n, (uint64_t)average};
    check_same(v, 2, "the element count or averaging", comm);
    int *arrays = xmalloc("allreduce.plan", sizeof(int) * 4 * (size_t)size);
    int *counts = arrays, *displs = arrays + size, *rcounts = arrays + 2 * size,
        *rdispls = arrays + 3 * size;
    size_t piece = n < PIECE_FLOATS ? n : PIECE_FLOATS;
    float *stage = xmalloc("allreduce.stage", sizeof(float) * (piece + (size_t)size));
    for (size_t off = 0; off < n; off += piece) {
        size_t m = n - off < piece ? n - off : piece;
        plan_chunks(m, size, rank, counts, displs, rcounts, rdispls);
        MPI_CHECK(MPI_Alltoallv(x + off, counts, displs, MPI_FLOAT, stage, rcounts, rdispls,
                                MPI_FLOAT, comm));
        sum_chunk(x + off + displs[rank], stage, counts[rank], size, average);
        MPI_CHECK(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x + off, counts, displs,
                                 MPI_FLOAT, comm));
    }
    xfree(stage);
    xfree(arrays);
}

void grad_allreduce_blocking(ParamSlab *g, int average, MPI_Comm comm) {
    grad_allreduce_floats(g->data, g->n, average, comm);
}

// ---------------------------------------------------------------------------------------------
// bucket table

static int stacked(const GradReducer *r, int t) { return r->table[t].stacked; }

/* Units in memory order, with their backward positions: the head tensors (final norm, untied LM
   head) first, in reverse table order; then layer L-1's stacked tensors in reverse table order,
   ..., layer 0's; then the embeddings in reverse table order (GPT-2: lnf_b, lnf_w, layer L-1
   fc_proj_b .. ln1_w, ..., wpe, wte). Within a layer the stacked tensors sit in the table in
   forward order, so the backward finishes them in reverse. */
static void build_units(GradReducer *r, const ParamSlab *g) {
    int L = g->cfg.L, nt = g->ntensors, n_head = 0, n_stacked = 0, n_embed = 0;
    int rank_in_kind[MAX_TENSORS];  // position among its kind, counted from the table's end
    for (int t = nt - 1; t >= 0; t--) {
        const TensorSpec *ts = &g->table[t];
        CHECKF(!(ts->stacked && ts->head), "tensor %s is both stacked and head", ts->name);
        if (ts->stacked) CHECKF(ts->dims[0] == L, "tensor %s is not stacked on L", ts->name);
        rank_in_kind[t] = ts->head ? n_head++ : ts->stacked ? n_stacked++ : n_embed++;
    }
    r->n_units = n_head + n_embed + n_stacked * L;
    r->units = xcalloc("allreduce.units", (size_t)r->n_units, sizeof(struct GradUnit));
    int u = 0;
    for (int t = 0; t < nt; t++) {
        const TensorSpec *ts = &g->table[t];
        int parts = ts->stacked ? L : 1;
        size_t per = ts->count / (size_t)parts;
        for (int l = 0; l < parts; l++, u++) {
            struct GradUnit *x = &r->units[u];
            x->offset = ts->offset + per * (size_t)l;
            x->count = per;
            x->tensor = t;
            x->layer = ts->stacked ? l : -1;
            if (ts->head)
                x->bwd_pos = rank_in_kind[t];
            else if (ts->stacked)
                x->bwd_pos = n_head + (L - 1 - l) * n_stacked + rank_in_kind[t];
            else
                x->bwd_pos = n_head + n_stacked * L + rank_in_kind[t];
        }
    }
    CHECK(u == r->n_units);
}

static void add_bucket(GradReducer *r, int *cap, size_t offset, size_t count, int tensor) {
    if (r->n_buckets == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        r->buckets = xrealloc("allreduce.buckets", r->buckets, sizeof(GradBucket) * (size_t)*cap);
    }
    GradBucket *b = &r->buckets[r->n_buckets++];
    memset(b, 0, sizeof *b);
    b->offset = offset;
    b->count = count;
    b->tensor = tensor;
    b->slot = -1;
    b->req = MPI_REQUEST_NULL;
}

static void build_buckets(GradReducer *r) {
    size_t maxc = r->bucket_bytes / sizeof(float);
    int cap = 0;
    size_t cur_off = 0, cur_count = 0;
    int cur_tensor = -1;
    for (int u = 0; u < r->n_units; u++) {
        const struct GradUnit *x = &r->units[u];
        int fits = cur_tensor == x->tensor && cur_count + x->count <= maxc;
        if (cur_count && (!fits || x->count > maxc)) {
            add_bucket(r, &cap, cur_off, cur_count, cur_tensor);
            cur_count = 0;
        }
        if (x->count > maxc) {
            for (size_t off = 0; off < x->count; off += maxc)
                add_bucket(r, &cap, x->offset + off, x->count - off < maxc ? x->count - off : maxc,
                           x->tensor);
            continue;
        }
        if (!cur_count) {
            cur_off = x->offset;
            cur_tensor = x->tensor;
        }
        cur_count += x->count;
    }
    if (cur_count) add_bucket(r, &cap, cur_off, cur_count, cur_tensor);
}

/* Index of the bucket holding slab element off (buckets are sorted by offset). */
static int bucket_of(const GradReducer *r, size_t off) {
    int lo = 0, hi = r->n_buckets - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (r->buckets[mid].offset <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static const GradReducer *sort_ctx;
static int cmp_order(const void *a, const void *b) {
    const GradBucket *x = &sort_ctx->buckets[*(const int *)a],
                     *y = &sort_ctx->buckets[*(const int *)b];
    if (x->ready_pos != y->ready_pos) return x->ready_pos < y->ready_pos ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Readiness state at the start of a step. */
static void reset_step(GradReducer *r) {
    for (int b = 0; b < r->n_buckets; b++) {
        r->buckets[b].pending = 0;
        r->buckets[b].state = GB_WAIT;
        r->buckets[b].slot = -1;
        r->buckets[b].req = MPI_REQUEST_NULL;
    }
    for (int u = 0; u < r->n_units; u++) {
        r->units[u].ready = 0;
        for (int b = r->units[u].first_bucket; b <= r->units[u].last_bucket; b++)
            r->buckets[b].pending++;
    }
    r->next_start = r->next_gather = r->next_done = 0;
}

void grad_reducer_init(GradReducer *r, ParamSlab *grads, size_t bucket_bytes, int average,
                       MPI_Comm learn) {
    memset(r, 0, sizeof *r);
    if (!bucket_bytes) bucket_bytes = GRAD_BUCKET_BYTES_DEFAULT;
    CHECKF(bucket_bytes >= sizeof(float) && bucket_bytes <= GRAD_BUCKET_BYTES_MAX,
           "gradient bucket size %zu bytes outside %zu..%zu", bucket_bytes, sizeof(float),
           GRAD_BUCKET_BYTES_MAX);
    r->data = grads->data;
    r->n = grads->n;
    r->average = average ? 1 : 0;
    r->bucket_bytes = bucket_bytes;
    r->ntensors = grads->ntensors;
    memcpy(r->table, grads->table, sizeof r->table);
    MPI_CHECK(MPI_Comm_size(learn, &r->size));
    MPI_CHECK(MPI_Comm_rank(learn, &r->rank));
    build_units(r, grads);
    build_buckets(r);
    size_t max_count = 0;
    for (int b = 0; b < r->n_buckets; b++) {
        if (r->buckets[b].count > max_count) max_count = r->buckets[b].count;
        r->buckets[b].ready_pos = -1;
    }
    for (int u = 0; u < r->n_units; u++) {
        struct GradUnit *x = &r->units[u];
        x->first_bucket = bucket_of(r, x->offset);
        x->last_bucket = bucket_of(r, x->offset + x->count - 1);
        for (int b = x->first_bucket; b <= x->last_bucket; b++)
            if (x->bwd_pos > r->buckets[b].ready_pos) r->buckets[b].ready_pos = x->bwd_pos;
    }
    r->order = xmalloc("allreduce.order", sizeof(int) * (size_t)r->n_buckets);
    for (int b = 0; b < r->n_buckets; b++) r->order[b] = b;
    sort_ctx = r;
    qsort(r->order, (size_t)r->n_buckets, sizeof(int), cmp_order);
    sort_ctx = NULL;
    uint64_t v[4] = {r->n, r->bucket_bytes, (uint64_t)r->n_buckets, (uint64_t)r->average};
    check_same(v, 4, "the slab size, bucket size or averaging", learn);
    MPI_CHECK(MPI_Comm_dup(learn, &r->rs_comm));
    MPI_CHECK(MPI_Comm_dup(learn, &r->ag_comm));
    size_t chunk_max = (max_count + (size_t)r->size - 1) / (size_t)r->size;
    r->slots = xcalloc("allreduce.slots", GRAD_MAX_INFLIGHT, sizeof(struct GradSlot));
    for (int s = 0; s < GRAD_MAX_INFLIGHT; s++) {
        struct GradSlot *sl = &r->slots[s];
        sl->counts = xmalloc("allreduce.plan", sizeof(int) * 4 * (size_t)r->size);
        sl->displs = sl->counts + r->size;
        sl->rcounts = sl->counts + 2 * r->size;
        sl->rdispls = sl->counts + 3 * r->size;
        sl->stage = xmalloc("allreduce.stage", sizeof(float) * (chunk_max * (size_t)r->size + 1));
    }
    reset_step(r);
}

void grad_reducer_free(GradReducer *r) {
    if (!r->units) return;
    CHECKF(r->next_start == 0, "grad_reducer_free with a step in flight");
    MPI_CHECK(MPI_Comm_free(&r->rs_comm));
    MPI_CHECK(MPI_Comm_free(&r->ag_comm));
    for (int s = 0; s < GRAD_MAX_INFLIGHT; s++) {
        xfree(r->slots[s].counts);
        xfree(r->slots[s].stage);
    }
    xfree(r->slots);
    xfree(r->units);
    xfree(r->buckets);
    xfree(r->order);
    memset(r, 0, sizeof *r);
}

// ---------------------------------------------------------------------------------------------
// the step

static void start_reduce_scatter(GradReducer *r, GradBucket *b, int slot) {
    struct GradSlot *sl = &r->slots[slot];
    sl->busy = 1;
    b->slot = slot;
    plan_chunks(b->count, r->size, r->rank, sl->counts, sl->displs, sl->rcounts, sl->rdispls);
    MPI_CHECK(MPI_Ialltoallv(r->data + b->offset, sl->counts, sl->displs, MPI_FLOAT, sl->stage,
                             sl->rcounts, sl->rdispls, MPI_FLOAT, r->rs_comm, &b->req));
    b->state = GB_REDUCE_SCATTER;
}

/* The reduce-scatter of b is complete: sum this rank's chunk and start the all-gather. */
static void start_all_gather(GradReducer *r, GradBucket *b) {
    struct GradSlot *sl = &r->slots[b->slot];
    sum_chunk(r->data + b->offset + sl->displs[r->rank], sl->stage, sl->counts[r->rank], r->size,
              r->average);
    MPI_CHECK(MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, r->data + b->offset, sl->counts,
                              sl->displs, MPI_FLOAT, r->ag_comm, &b->req));
    b->state = GB_ALL_GATHER;
}

static void complete(GradReducer *r, GradBucket *b) {
    r->slots[b->slot].busy = 0;
    b->slot = -1;
    b->state = GB_DONE;
}

static int free_slot(const GradReducer *r) {
    for (int s = 0; s < GRAD_MAX_INFLIGHT; s++)
        if (!r->slots[s].busy) return s;
    return -1;
}

/* Starts buckets in start order while the next one is final and a slot is free. */
static void start_ready(GradReducer *r) {
    while (r->next_start < r->n_buckets) {
        GradBucket *b = &r->buckets[r->order[r->next_start]];
        int slot = free_slot(r);
        if (b->pending || slot < 0) return;
        start_reduce_scatter(r, b, slot);
        r->next_start++;
    }
}

static void advance_done(GradReducer *r) {
    while (r->next_done < r->next_gather && r->buckets[r->order[r->next_done]].state == GB_DONE)
        r->next_done++;
}

int grad_reducer_poll(GradReducer *r) {
    while (r->next_gather < r->next_start) {
        GradBucket *b = &r->buckets[r->order[r->next_gather]];
        int flag = 0;
        MPI_CHECK(MPI_Test(&b->req, &flag, MPI_STATUS_IGNORE));
        if (!flag) break;
        start_all_gather(r, b);
        r->next_gather++;
    }
    for (int p = r->next_done; p < r->next_gather; p++) {
        GradBucket *b = &r->buckets[r->order[p]];
        if (b->state != GB_ALL_GATHER) continue;
        int flag = 0;
        MPI_CHECK(MPI_Test(&b->req, &flag, MPI_STATUS_IGNORE));
        if (flag) complete(r, b);
    }
    advance_done(r);
    start_ready(r);
    int done = 0;
    for (int b = 0; b < r->n_buckets; b++) done += r->buckets[b].state == GB_DONE;
    return done;
}

/* Blocks until the oldest incomplete bucket is complete (every rank has started it). */
static void drain_oldest(GradReducer *r) {
    CHECK(r->next_done < r->next_start);
    GradBucket *oldest = &r->buckets[r->order[r->next_done]];
    while (oldest->state == GB_REDUCE_SCATTER) {
        GradBucket *b = &r->buckets[r->order[r->next_gather]];
        MPI_CHECK(MPI_Wait(&b->req, MPI_STATUS_IGNORE));
        start_all_gather(r, b);
        r->next_gather++;
    }
    if (oldest->state == GB_ALL_GATHER) {
        MPI_CHECK(MPI_Wait(&oldest->req, MPI_STATUS_IGNORE));
        complete(r, oldest);
    }
    advance_done(r);
}

static void mark_unit(GradReducer *r, int u) {
    struct GradUnit *x = &r->units[u];
    if (x->ready) {
        const char *what = x->layer >= 0 ? "layer slice" : "tensor";
        die("gradient of table tensor %d (%s %d) reported ready twice in one step", x->tensor, what,
            x->layer);
    }
    x->ready = 1;
    for (int b = x->first_bucket; b <= x->last_bucket; b++) r->buckets[b].pending--;
}

void grad_reducer_ready(GradReducer *r, const float *ptr, size_t count) {
    CHECKF(ptr >= r->data && count <= r->n && (size_t)(ptr - r->data) <= r->n - count,
           "grad_reducer_ready: region outside the gradient slab");
    size_t off = (size_t)(ptr - r->data), end = off + count;
    int lo = 0, hi = r->n_units - 1;  // unit starting at off
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (r->units[mid].offset <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    CHECKF(r->units[lo].offset == off, "grad_reducer_ready: offset %zu is not a unit boundary",
           off);
    size_t at = off;
    for (int u = lo; at < end; u++) {
        CHECKF(u < r->n_units && at + r->units[u].count <= end,
               "grad_reducer_ready: region [%zu, %zu) does not end on a unit boundary", off, end);
        mark_unit(r, u);
        at += r->units[u].count;
    }
    grad_reducer_poll(r);
}

void grad_reducer_ready_tensor(GradReducer *r, int tensor, int layer) {
    CHECKF(tensor >= 0 && tensor < r->ntensors, "tensor index %d", tensor);
    int u = 0;
    while (r->units[u].tensor != tensor) u++;
    if (layer < 0) {
        size_t count = 0;
        for (int v = u; v < r->n_units && r->units[v].tensor == tensor; v++)
            count += r->units[v].count;
        grad_reducer_ready(r, r->data + r->units[u].offset, count);
        return;
    }
    CHECKF(stacked(r, tensor) && u + layer < r->n_units && r->units[u + layer].tensor == tensor,
           "tensor %d has no layer %d", tensor, layer);
    grad_reducer_ready(r, r->data + r->units[u + layer].offset, r->units[u + layer].count);
}

void grad_reducer_ready_layer(GradReducer *r, int layer) {
    for (int t = r->ntensors - 1; t >= 0; t--)
        if (stacked(r, t)) grad_reducer_ready_tensor(r, t, layer);
}

void grad_reducer_ready_head(GradReducer *r) {
    for (int t = r->ntensors - 1; t >= 0; t--)
        if (r->table[t].head) grad_reducer_ready_tensor(r, t, -1);
}

void grad_reducer_finish(GradReducer *r) {
    double t0 = timer_now();
    for (int u = 0; u < r->n_units; u++)
        if (!r->units[u].ready) mark_unit(r, u);
    grad_reducer_poll(r);
    while (r->next_done < r->n_buckets) {
        drain_oldest(r);
        grad_reducer_poll(r);
    }
    reset_step(r);
    r->wait_seconds += timer_now() - t0;
}
