/* comm/exchange.c — typed, self-checking collectives; see exchange.h.
   Each v-collective first exchanges headers (every rank learns every count), then moves the payload
   with one MPI v-collective when the total fits exchange_chunk_limit elements, or else one
   collective per (rank, chunk) in which only that rank's chunk moves: int counts and displacements
   never overflow, and the bytes are the same either way. */
#include "comm/exchange.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "comm/comms.h"
#include "util/alloc.h"
#include "util/err.h"

#define HDR_LEN 5  // magic, version, kind, count, aux

static int64_t chunk_limit = INT_MAX;

void exchange_set_chunk_limit(int64_t n) {
    CHECKF(n >= 0 && n <= INT_MAX, "exchange chunk limit %" PRId64 " outside 0..INT_MAX", n);
    chunk_limit = n ? n : INT_MAX;
}

int64_t exchange_chunk_limit(void) { return chunk_limit; }

size_t exchange_type_size(ExchType t) {
    static const size_t sizes[EXCH_NUM_TYPES] = {1, 4, 8, 4, 8};
    CHECK(t >= 0 && t < EXCH_NUM_TYPES);
    return sizes[t];
}

MPI_Datatype exchange_mpi_type(ExchType t) {
    switch (t) {
        case EXCH_I8: return MPI_INT8_T;
        case EXCH_I32: return MPI_INT32_T;
        case EXCH_I64: return MPI_INT64_T;
        case EXCH_F32: return MPI_FLOAT;
        case EXCH_F64: return MPI_DOUBLE;
        default: die("unknown ExchType %d", (int)t);
    }
}

// ---------------------------------------------------------------------------------------------
// headers

static int64_t make_kind(ExchMsg msg, ExchType t) { return (int64_t)msg * 16 + (int64_t)t; }

static const char *kind_text(int64_t kind, char *buf, size_t size) {
    static const char *msgs[] = {"?",      "column", "prompts", "token lengths",
                                 "tokens", "votes",  "text",    "slab"};
    static const char *types[] = {"int8", "int32", "int64", "float", "double"};
    int64_t m = kind / 16, t = kind % 16;
    if (kind < 0 || m < 1 || m > EXCH_MSG_SLAB || t >= EXCH_NUM_TYPES)
        snprintf(buf, size, "unknown kind %" PRId64, kind);
    else
        snprintf(buf, size, "%s of %s", msgs[m], types[t]);
    return buf;
}

static void hdr_fill(int64_t h[HDR_LEN], int64_t kind, int64_t count, int64_t aux) {
    h[0] = EXCH_MAGIC;
    h[1] = EXCH_VERSION;
    h[2] = kind;
    h[3] = count;
    h[4] = aux;
}

/* Checks a header received from rank `from` against what this rank's call expects. */
static void hdr_check(const int64_t h[HDR_LEN], int from, int64_t kind) {
    char want[64], got[64];
    if (h[0] != EXCH_MAGIC || h[1] != EXCH_VERSION)
        die("message from rank %d has magic %#" PRIx64 " version %" PRId64 ", expected %#" PRIx64
            " version %d: the ranks run different concord builds",
            from, (uint64_t)h[0], h[1], (uint64_t)EXCH_MAGIC, EXCH_VERSION);
    if (h[2] != kind)
        die("rank %d sent %s where this rank expects %s: collective calls out of order", from,
            kind_text(h[2], got, sizeof got), kind_text(kind, want, sizeof want));
    if (h[3] < 0)
        die("rank %d announced %" PRId64 " elements of %s", from, h[3],
            kind_text(kind, want, sizeof want));
}

/* All-gathers the headers {kind, n, root} and fills g's counts/displs/total (data untouched).
   root is the gatherv root, or -1 for an all-gather; every rank must pass the same. */
static void gather_counts(ExchGathered *g, int64_t kind, int64_t n, ExchType t, int root,
                          MPI_Comm comm) {
    CHECKF(n >= 0, "negative element count %" PRId64, n);
    int size = 0;
    MPI_CHECK(MPI_Comm_size(comm, &size));
    int64_t mine[HDR_LEN];
    hdr_fill(mine, kind, n, root);
    int64_t *all = xmalloc("exchange.headers", sizeof(int64_t) * HDR_LEN * (size_t)size);
    MPI_CHECK(MPI_Allgather(mine, HDR_LEN, MPI_INT64_T, all, HDR_LEN, MPI_INT64_T, comm));
    memset(g, 0, sizeof *g);
    g->size = size;
    g->type = t;
    g->counts = xmalloc("exchange.counts", sizeof(int64_t) * (size_t)size);
    g->displs = xmalloc("exchange.counts", sizeof(int64_t) * ((size_t)size + 1));
    g->displs[0] = 0;
    for (int r = 0; r < size; r++) {
        hdr_check(all + HDR_LEN * r, r, kind);
        if (all[HDR_LEN * r + 4] != root)
            die("rank %d gathers to root %" PRId64
                " where this rank gathers to %d (-1: all-gather)",
                r, all[HDR_LEN * r + 4], root);
        g->counts[r] = all[HDR_LEN * r + 3];
        CHECKF(g->counts[r] <= INT64_MAX - g->displs[r], "element total overflows int64");
        g->displs[r + 1] = g->displs[r] + g->counts[r];
    }
    g->total = g->displs[size];
    xfree(all);
}

/* int copies of counts and displs; only valid when the total fits an int. */
static void int_counts(const ExchGathered *g, int **counts, int **displs) {
    *counts = xmalloc("exchange.int_counts", sizeof(int) * (size_t)g->size);
    *displs = xmalloc("exchange.int_counts", sizeof(int) * (size_t)g->size);
    for (int r = 0; r < g->size; r++) {
        (*counts)[r] = (int)g->counts[r];
        (*displs)[r] = (int)g->displs[r];
    }
}

static void *alloc_elems(const char *label, int64_t n, size_t esz) {
    CHECKF((uint64_t)n <= SIZE_MAX / esz, "%" PRId64 " elements overflow size_t", n);
    return xmalloc(label, (size_t)(n > 0 ? n : 1) * esz);
}

// ---------------------------------------------------------------------------------------------
// gather, all-gather, scatter

static void allgatherv_kind(ExchGathered *out, const void *mine, int64_t n, ExchType t,
                            int64_t kind, MPI_Comm comm) {
    gather_counts(out, kind, n, t, -1, comm);
    size_t esz = exchange_type_size(t);
    MPI_Datatype dt = exchange_mpi_type(t);
    char *data = alloc_elems("exchange.data", out->total, esz);
    out->data = data;
    static const char dummy[8];
    if (out->total <= chunk_limit) {
        int *ic, *id;
        int_counts(out, &ic, &id);
        MPI_CHECK(MPI_Allgatherv(n ? mine : dummy, (int)n, dt, data, ic, id, dt, comm));
        xfree(ic);
        xfree(id);
        return;
    }
    int me = 0;
    MPI_CHECK(MPI_Comm_rank(comm, &me));
    if (n) memcpy(data + (size_t)out->displs[me] * esz, mine, (size_t)n * esz);
    for (int r = 0; r < out->size; r++)
        for (int64_t off = 0; off < out->counts[r]; off += chunk_limit) {
            int64_t c = out->counts[r] - off < chunk_limit ? out->counts[r] - off : chunk_limit;
            MPI_CHECK(MPI_Bcast(data + (size_t)(out->displs[r] + off) * esz, (int)c, dt, r, comm));
        }
}

void exchange_allgatherv(ExchGathered *out, const void *mine, int64_t n, ExchType t,
                         MPI_Comm comm) {
    allgatherv_kind(out, mine, n, t, make_kind(EXCH_MSG_COLUMN, t), comm);
}

static void gatherv_kind(ExchGathered *out, const void *mine, int64_t n, ExchType t, int64_t kind,
                         int root, MPI_Comm comm) {
    int me = 0, size = 0;
    MPI_CHECK(MPI_Comm_rank(comm, &me));
    MPI_CHECK(MPI_Comm_size(comm, &size));
    CHECKF(root >= 0 && root < size, "gather root %d outside 0..%d", root, size - 1);
    gather_counts(out, kind, n, t, root, comm);
    size_t esz = exchange_type_size(t);
    MPI_Datatype dt = exchange_mpi_type(t);
    char *data = me == root ? alloc_elems("exchange.data", out->total, esz) : NULL;
    out->data = data;
    static const char dummy[8];
    if (out->total <= chunk_limit) {
        int *ic, *id;
        int_counts(out, &ic, &id);
        MPI_CHECK(MPI_Gatherv(n ? mine : dummy, (int)n, dt, data, ic, id, dt, root, comm));
        xfree(ic);
        xfree(id);
        return;
    }
    // One MPI_Gatherv per (rank, chunk) in which only that rank sends.
    int *ic = xcalloc("exchange.int_counts", (size_t)out->size, sizeof(int));
    int *id = xcalloc("exchange.int_counts", (size_t)out->size, sizeof(int));
    for (int r = 0; r < out->size; r++)
        for (int64_t off = 0; off < out->counts[r]; off += chunk_limit) {
            int64_t c = out->counts[r] - off < chunk_limit ? out->counts[r] - off : chunk_limit;
            ic[r] = (int)c;
            const char *send = r == me ? (const char *)mine + (size_t)off * esz : dummy;
            char *recv = data ? data + (size_t)(out->displs[r] + off) * esz : NULL;
            MPI_CHECK(MPI_Gatherv(send, r == me ? (int)c : 0, dt, recv, ic, id, dt, root, comm));
            ic[r] = 0;
        }
    xfree(ic);
    xfree(id);
}

void exchange_gatherv(ExchGathered *out, const void *mine, int64_t n, ExchType t, int root,
                      MPI_Comm comm) {
    gatherv_kind(out, mine, n, t, make_kind(EXCH_MSG_COLUMN, t), root, comm);
}

void exchange_gathered_free(ExchGathered *g) {
    xfree(g->data);
    xfree(g->counts);
    xfree(g->displs);
    memset(g, 0, sizeof *g);
}

static int64_t scatterv_kind(void **mine, const void *all, const int64_t *counts, ExchType t,
                             int64_t kind, int root, MPI_Comm comm) {
    int size = 0, me = 0;
    MPI_CHECK(MPI_Comm_size(comm, &size));
    MPI_CHECK(MPI_Comm_rank(comm, &me));
    CHECKF(root >= 0 && root < size, "scatter root %d outside 0..%d", root, size - 1);
    // Root's header carries the total; the per-rank counts follow it in the same broadcast.
    int64_t *msg = xmalloc("exchange.headers", sizeof(int64_t) * (HDR_LEN + (size_t)size));
    if (me == root) {
        int64_t total = 0;
        for (int r = 0; r < size; r++) {
            CHECKF(counts[r] >= 0, "scatter count for rank %d is %" PRId64, r, counts[r]);
            total += counts[r];
            msg[HDR_LEN + r] = counts[r];
        }
        hdr_fill(msg, kind, total, 0);
    }
    MPI_CHECK(MPI_Bcast(msg, HDR_LEN + size, MPI_INT64_T, root, comm));
    hdr_check(msg, root, kind);
    ExchGathered g = {.size = size, .type = t};
    g.counts = msg + HDR_LEN;
    g.displs = xmalloc("exchange.counts", sizeof(int64_t) * ((size_t)size + 1));
    g.displs[0] = 0;
    for (int r = 0; r < size; r++) {
        if (g.counts[r] < 0)
            die("root %d announced %" PRId64 " elements for rank %d", root, g.counts[r], r);
        g.displs[r + 1] = g.displs[r] + g.counts[r];
    }
    if (g.displs[size] != msg[3])
        die("root %d announced %" PRId64 " elements but its counts sum to %" PRId64, root, msg[3],
            g.displs[size]);
    size_t esz = exchange_type_size(t);
    MPI_Datatype dt = exchange_mpi_type(t);
    int64_t n = g.counts[me];
    char *recv = n ? alloc_elems("exchange.scatter", n, esz) : NULL;
    static char dummy[8];
    if (msg[3] <= chunk_limit) {
        int *ic, *id;
        int_counts(&g, &ic, &id);
        MPI_CHECK(MPI_Scatterv(all, ic, id, dt, n ? recv : dummy, (int)n, dt, root, comm));
        xfree(ic);
        xfree(id);
    } else {
        int *ic = xcalloc("exchange.int_counts", (size_t)size, sizeof(int));
        int *id = xcalloc("exchange.int_counts", (size_t)size, sizeof(int));
        for (int r = 0; r < size; r++)
            for (int64_t off = 0; off < g.counts[r]; off += chunk_limit) {
                int64_t c = g.counts[r] - off < chunk_limit ? g.counts[r] - off : chunk_limit;
                ic[r] = (int)c;
                const char *send =
                    me == root ? (const char *)all + (size_t)(g.displs[r] + off) * esz : NULL;
                char *dst = r == me ? recv + (size_t)off * esz : dummy;
                MPI_CHECK(
                    MPI_Scatterv(send, ic, id, dt, dst, r == me ? (int)c : 0, dt, root, comm));
                ic[r] = 0;
            }
        xfree(ic);
        xfree(id);
    }
    xfree(g.displs);
    xfree(msg);
    *mine = recv;
    return n;
}

int64_t exchange_scatterv(void **mine, const void *all, const int64_t *counts, ExchType t, int root,
                          MPI_Comm comm) {
    return scatterv_kind(mine, all, counts, t, make_kind(EXCH_MSG_COLUMN, t), root, comm);
}

int64_t exchange_scatter_prompts(int64_t **mine, const int64_t *all, const int64_t *counts,
                                 int root, MPI_Comm comm) {
    void *p = NULL;
    int64_t n =
        scatterv_kind(&p, all, counts, EXCH_I64, make_kind(EXCH_MSG_PROMPTS, EXCH_I64), root, comm);
    *mine = p;
    return n;
}

// ---------------------------------------------------------------------------------------------
// token batches and votes

void exchange_allgather_tokens(TokenBatch *out, const int32_t *tokens, const int32_t *lens,
                               int64_t n_local, MPI_Comm comm) {
    int64_t n_tok = 0;
    for (int64_t i = 0; i < n_local; i++) {
        CHECKF(lens[i] >= 0, "sequence %" PRId64 " has length %d", i, (int)lens[i]);
        n_tok += lens[i];
    }
    ExchGathered gl, gt;
    allgatherv_kind(&gl, lens, n_local, EXCH_I32, make_kind(EXCH_MSG_TOKEN_LENS, EXCH_I32), comm);
    allgatherv_kind(&gt, tokens, n_tok, EXCH_I32, make_kind(EXCH_MSG_TOKENS, EXCH_I32), comm);
    memset(out, 0, sizeof *out);
    out->size = gl.size;
    out->n_seqs = gl.total;
    out->n_tokens = gt.total;
    out->lens = gl.data;
    out->tokens = gt.data;
    out->offsets = xmalloc("exchange.tokens", sizeof(int64_t) * ((size_t)gl.total + 1));
    out->rank_first = xmalloc("exchange.tokens", sizeof(int64_t) * ((size_t)gl.size + 1));
    out->offsets[0] = 0;
    for (int64_t i = 0; i < gl.total; i++) {
        if (out->lens[i] < 0)
            die("token batch: sequence %" PRId64 " arrived with length %d", i, (int)out->lens[i]);
        out->offsets[i + 1] = out->offsets[i] + out->lens[i];
    }
    // Each rank's lengths must add up to the tokens that rank sent.
    for (int r = 0; r <= gl.size; r++) out->rank_first[r] = gl.displs[r];
    for (int r = 0; r < gl.size; r++) {
        int64_t sum = out->offsets[gl.displs[r + 1]] - out->offsets[gl.displs[r]];
        if (sum != gt.counts[r])
            die("token batch: rank %d sent %" PRId64 " tokens but its lengths add up to %" PRId64,
                r, gt.counts[r], sum);
    }
    gl.data = gt.data = NULL;
    exchange_gathered_free(&gl);
    exchange_gathered_free(&gt);
}

void exchange_tokens_free(TokenBatch *b) {
    xfree(b->lens);
    xfree(b->offsets);
    xfree(b->tokens);
    xfree(b->rank_first);
    memset(b, 0, sizeof *b);
}

void exchange_gather_votes(ExchGathered *out, const float *votes, int64_t n, int root,
                           MPI_Comm comm) {
    gatherv_kind(out, votes, n, EXCH_F32, make_kind(EXCH_MSG_VOTES, EXCH_F32), root, comm);
}

// ---------------------------------------------------------------------------------------------
// broadcasts

/* Broadcasts n elements of dt in chunks of at most chunk_limit. */
static void bcast_chunked(void *buf, int64_t n, size_t esz, MPI_Datatype dt, int root,
                          MPI_Comm comm) {
    for (int64_t off = 0; off < n; off += chunk_limit) {
        int64_t c = n - off < chunk_limit ? n - off : chunk_limit;
        MPI_CHECK(MPI_Bcast((char *)buf + (size_t)off * esz, (int)c, dt, root, comm));
    }
}

/* FNV-1a over the slab's table: names, shapes and offsets. */
static uint64_t slab_layout_hash(const ParamSlab *s) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < s->ntensors; i++) {
        const TensorSpec *t = &s->table[i];
        int64_t v[5] = {t->ndim, t->dims[0], t->dims[1], t->dims[2], (int64_t)t->offset};
        const unsigned char *bytes[2] = {(const unsigned char *)t->name, (const unsigned char *)v};
        size_t lens[2] = {strnlen(t->name, TENSOR_NAME_MAX), sizeof v};
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; j < lens[k]; j++) h = (h ^ bytes[k][j]) * 1099511628211ull;
    }
    return h;
}

void exchange_bcast_slab(ParamSlab *s, int root, MPI_Comm comm) {
    int me = 0;
    MPI_CHECK(MPI_Comm_rank(comm, &me));
    int64_t kind = make_kind(EXCH_MSG_SLAB, EXCH_F32);
    int64_t h[HDR_LEN];
    uint64_t layout = slab_layout_hash(s);
    hdr_fill(h, kind, (int64_t)s->n, (int64_t)layout);
    MPI_CHECK(MPI_Bcast(h, HDR_LEN, MPI_INT64_T, root, comm));
    hdr_check(h, root, kind);
    if (h[3] != (int64_t)s->n || (uint64_t)h[4] != layout)
        die("parameter broadcast: root %d has %" PRId64 " floats (layout hash %016" PRIx64
            "), this rank has %zu (layout hash %016" PRIx64 "): the model configs differ",
            root, h[3], (uint64_t)h[4], s->n, layout);
    bcast_chunked(s->data, (int64_t)s->n, sizeof(float), MPI_FLOAT, root, comm);
}

char *exchange_bcast_text(const char *text, int root, MPI_Comm comm) {
    int me = 0;
    MPI_CHECK(MPI_Comm_rank(comm, &me));
    int64_t kind = make_kind(EXCH_MSG_TEXT, EXCH_I8);
    int64_t h[HDR_LEN];
    hdr_fill(h, kind, me == root ? (int64_t)strlen(text) : 0, 0);
    MPI_CHECK(MPI_Bcast(h, HDR_LEN, MPI_INT64_T, root, comm));
    hdr_check(h, root, kind);
    char *out = alloc_elems("exchange.text", h[3] + 1, 1);
    if (me == root) memcpy(out, text, (size_t)h[3]);
    bcast_chunked(out, h[3], 1, MPI_CHAR, root, comm);
    out[h[3]] = '\0';
    return out;
}
