/* tests/test_exchange.c — comm/exchange round trips under mpiexec (1..4 ranks): typed
   gatherv/allgatherv/scatterv of every column type with uneven counts (rank 1 sends nothing),
   token batches with empty and long sequences, votes with NaN, bit-identical slab broadcast, text
   broadcast; each once with one MPI call per payload and once split into tiny chunks. */
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "comm_check.h"
#include "comm/comms.h"
#include "comm/exchange.h"
#include "util/alloc.h"

static int rank = 0, size = 1;

/* Elements rank r contributes: rank 1 none, the others a few, uneven. */
static int64_t count_of(int r) { return r % 3 == 1 ? 0 : 3 + 2 * r + (r == 0 ? 9 : 0); }

/* Element i of rank r written as type t into dst. */
static void put(void *dst, ExchType t, int r, int64_t i) {
    uint64_t h = mix((uint64_t)r << 32 | (uint64_t)i);
    switch (t) {
        case EXCH_I8: *(int8_t *)dst = (int8_t)h; break;
        case EXCH_I32: *(int32_t *)dst = (int32_t)h; break;
        case EXCH_I64: *(int64_t *)dst = (int64_t)h; break;
        case EXCH_F32: *(float *)dst = (float)(int32_t)h / 3.0f; break;
        case EXCH_F64: *(double *)dst = (double)(int64_t)h / 7.0; break;
        default: break;
    }
}

static void *make_column(ExchType t, int r, int64_t n) {
    size_t esz = exchange_type_size(t);
    char *p = xmalloc("test.column", (size_t)(n ? n : 1) * esz);
    for (int64_t i = 0; i < n; i++) put(p + (size_t)i * esz, t, r, i);
    return p;
}

/* data holds every rank's column in rank order. */
static int column_ok(const ExchGathered *g, ExchType t) {
    size_t esz = exchange_type_size(t);
    char want[8];
    if (g->size != size || g->type != t) return 0;
    for (int r = 0; r < size; r++) {
        if (g->counts[r] != count_of(r) || g->displs[r + 1] - g->displs[r] != count_of(r)) return 0;
        for (int64_t i = 0; i < g->counts[r]; i++) {
            put(want, t, r, i);
            if (memcmp((const char *)g->data + (size_t)(g->displs[r] + i) * esz, want, esz) != 0)
                return 0;
        }
    }
    return g->total == g->displs[size];
}

static void test_columns(void) {
    for (int t = 0; t < EXCH_NUM_TYPES; t++) {
        int64_t n = count_of(rank);
        void *mine = make_column((ExchType)t, rank, n);
        ExchGathered g;
        exchange_allgatherv(&g, n ? mine : NULL, n, (ExchType)t, MPI_COMM_WORLD);
        CHECK_MSG(column_ok(&g, (ExchType)t), "allgatherv type %d, chunk %lld", t,
                  (long long)exchange_chunk_limit());
        exchange_gathered_free(&g);
        exchange_gathered_free(&g);
        for (int root = 0; root<size; root += size> 1 ? size - 1 : 1) {
            exchange_gatherv(&g, mine, n, (ExchType)t, root, MPI_COMM_WORLD);
            if (rank == root)
                CHECK_MSG(column_ok(&g, (ExchType)t), "gatherv type %d root %d", t, root);
            else
                CHECK_TRUE(g.data == NULL && g.counts[size - 1] == count_of(size - 1));
            exchange_gathered_free(&g);
        }
        // Scatter from the last rank: each rank gets back exactly its own column.
        int root = size - 1;
        void *all = NULL;
        int64_t *counts = NULL;
        if (rank == root) {
            counts = xmalloc("test.counts", sizeof(int64_t) * (size_t)size);
            size_t esz = exchange_type_size((ExchType)t), at = 0, total = 0;
            for (int r = 0; r < size; r++) total += (size_t)(counts[r] = count_of(r));
            all = xmalloc("test.column", (total + 1) * esz);
            for (int r = 0; r < size; r++)
                for (int64_t i = 0; i < counts[r]; i++, at++)
                    put((char *)all + at * esz, (ExchType)t, r, i);
        }
        void *got = NULL;
        int64_t m = exchange_scatterv(&got, all, counts, (ExchType)t, root, MPI_COMM_WORLD);
        CHECK_MSG(m == n && (n == 0 ? got == NULL
                                    : memcmp(got, mine,
                                             (size_t)n * exchange_type_size((ExchType)t)) == 0),
                  "scatterv type %d rank %d: %lld elements", t, rank, (long long)m);
        xfree(got);
        xfree(all);
        xfree(counts);
        xfree(mine);
    }
    // Prompt indices: a distinct range per rank, from root 0.
    int64_t *all = NULL, *counts = NULL, *mine = NULL;
    if (rank == 0) {
        counts = xmalloc("test.counts", sizeof(int64_t) * (size_t)size);
        int64_t total = 0;
        for (int r = 0; r < size; r++) total += counts[r] = count_of(r);
        all = xmalloc("test.prompts", sizeof(int64_t) * (size_t)(total + 1));
        for (int64_t i = 0; i < total; i++) all[i] = 1000 + i;
    }
    int64_t n = exchange_scatter_prompts(&mine, all, counts, 0, MPI_COMM_WORLD);
    int64_t first = 0;
    for (int r = 0; r < rank; r++) first += count_of(r);
    int ok = n == count_of(rank);
    for (int64_t i = 0; ok && i < n; i++) ok = mine[i] == 1000 + first + i;
    CHECK_MSG(ok, "scatter_prompts rank %d", rank);
    xfree(mine);
    xfree(all);
    xfree(counts);
}

/* Sequences of rank r: rank 0 has a long one, rank 1 none, rank 2 an empty one among others. */
static int64_t seqs_of(int r) { return r == 1 ? 0 : 2 + r; }
static int32_t len_of(int r, int64_t s) {
    if (r == 0 && s == 1) return 100000;
    if (r == 2 && s == 0) return 0;
    return (int32_t)(1 + (r * 7 + s * 3) % 11);
}
static int32_t token_of(int r, int64_t s, int64_t p) {
    return (int32_t)(mix((uint64_t)(r * 1000 + s) << 24 | (uint64_t)p) % 50257);
}

static void test_tokens(void) {
    int64_t n = seqs_of(rank), n_tok = 0;
    int32_t *lens = xmalloc("test.lens", sizeof(int32_t) * (size_t)(n + 1));
    for (int64_t s = 0; s < n; s++) n_tok += lens[s] = len_of(rank, s);
    int32_t *tokens = xmalloc("test.tokens", sizeof(int32_t) * (size_t)(n_tok + 1));
    for (int64_t s = 0, at = 0; s < n; s++)
        for (int64_t p = 0; p < lens[s]; p++) tokens[at++] = token_of(rank, s, p);
    TokenBatch b;
    exchange_allgather_tokens(&b, tokens, lens, n, MPI_COMM_WORLD);
    int ok = b.size == size && b.rank_first[0] == 0;
    int64_t seq = 0;
    for (int r = 0; ok && r < size; r++) {
        ok = b.rank_first[r] == seq;
        for (int64_t s = 0; ok && s < seqs_of(r); s++, seq++) {
            ok = b.lens[seq] == len_of(r, s) && b.offsets[seq + 1] - b.offsets[seq] == b.lens[seq];
            for (int64_t p = 0; ok && p < b.lens[seq]; p++)
                ok = b.tokens[b.offsets[seq] + p] == token_of(r, s, p);
        }
    }
    ok = ok && b.n_seqs == seq && b.rank_first[size] == seq && b.offsets[seq] == b.n_tokens;
    CHECK_MSG(ok, "token batch on rank %d (chunk %lld)", rank, (long long)exchange_chunk_limit());
    exchange_tokens_free(&b);
    exchange_tokens_free(&b);
    xfree(lens);
    xfree(tokens);
}

static void test_votes(void) {
    int64_t n = count_of(rank);
    float *votes = xmalloc("test.votes", sizeof(float) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) votes[i] = i % 3 == 2 ? NAN : (float)rank + (float)i / 8.0f;
    ExchGathered g;
    exchange_gather_votes(&g, votes, n, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        int ok = g.type == EXCH_F32;
        const float *v = g.data;
        for (int r = 0; ok && r < size; r++)
            for (int64_t i = 0; ok && i < count_of(r); i++) {
                float x = v[g.displs[r] + i];
                ok = i % 3 == 2 ? isnan(x) : x == (float)r + (float)i / 8.0f;
            }
        CHECK_MSG(ok, "votes gathered on root");
    }
    exchange_gathered_free(&g);
    xfree(votes);
}

static void test_slab(void) {
    GPTConfig cfg = {.V = 37, .Vp = 40, .T = 12, .C = 16, .L = 3, .NH = 4};
    ParamSlab s, want;
    param_slab_init(&s, &cfg, "test.slab");
    param_slab_init(&want, &cfg, "test.slab");
    for (int root = 0; root<size; root += size> 1 ? size - 1 : 1) {
        // Random bit patterns: NaN payloads, -0, denormals and infinities must survive unchanged.
        for (size_t i = 0; i < want.n; i++) {
            uint32_t bits = (uint32_t)mix(i * 31 + (uint64_t)root);
            memcpy(&want.data[i], &bits, 4);
        }
        if (rank == root)
            param_slab_copy(&s, &want);
        else
            memset(s.data, 0, s.n * sizeof(float));
        exchange_bcast_slab(&s, root, MPI_COMM_WORLD);
        CHECK_MSG(memcmp(s.data, want.data, s.n * sizeof(float)) == 0,
                  "slab from root %d on rank %d", root, rank);
    }
    param_slab_free(&s);
    param_slab_free(&want);
}

static void test_text(void) {
    size_t n = 300000;
    char *big = xmalloc("test.text", n + 1);
    for (size_t i = 0; i < n; i++) big[i] = (char)(1 + mix(i) % 255);
    big[n] = '\0';
    const char *texts[] = {"", "{\"run\": {\"seed\": 7}, \"note\": \"gr\xc3\xbc\xc3\x9f\"}", big};
    for (int k = 0; k < 3; k++) {
        int root = k % size;
        char *got = exchange_bcast_text(rank == root ? texts[k] : NULL, root, MPI_COMM_WORLD);
        CHECK_MSG(strcmp(got, texts[k]) == 0, "text %d from root %d", k, root);
        xfree(got);
    }
    xfree(big);
}

int main(int argc, char **argv) {
    comms_init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK_TRUE(exchange_type_size(EXCH_I8) == 1 && exchange_type_size(EXCH_F64) == 8);
    int64_t limits[] = {0, 5, 1};  // one call per payload, then split into chunks of 5 and of 1
    for (int k = 0; k < 3; k++) {
        exchange_set_chunk_limit(limits[k]);
        test_columns();
        test_votes();
        test_slab();
        if (limits[k] != 1) test_text();  // 300 000 one-byte broadcasts would only cost time
        exchange_set_chunk_limit(limits[k] ? 1000 : 0);
        test_tokens();
    }
    exchange_set_chunk_limit(0);
    return comm_test_finish();  // leak check, agreement on failure, MPI_Finalize
}
