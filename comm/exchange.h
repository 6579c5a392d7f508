/* comm/exchange.h — collective data exchange between roles: parameter-slab and text broadcasts,
   scatter of prompt indices, all-gather of variable-length token batches, gather of judge votes,
   and typed gatherv/allgatherv/scatterv of int8/int32/int64/float/double columns.
   Every function is collective over the communicator it is given and must be called by all of its
   ranks in the same order. Messages are self-checking (docs/design.md): before any payload moves,
   each rank's header {magic, version, kind, count, aux} is exchanged as explicit int64 fields and
   checked (same build, same kind of call, non-negative counts, matching slab layout); a mismatch is
   a program error and dies on the rank that sees it (which, through MPI_Abort, ends the job).
   Results are always in rank order. Payloads of more than INT_MAX elements (exchange_chunk_limit)
   are split into several collectives; counts are int64 everywhere in this API. */
#ifndef CONCORD_COMM_EXCHANGE_H
#define CONCORD_COMM_EXCHANGE_H

#include <mpi.h>
#include <stdint.h>

#include "train/params.h"

#define EXCH_MAGIC   0x434F4E43524Dll  // "CONCRM": concord message
#define EXCH_VERSION 1                 // bumped when a header or payload layout changes

/* Element type of a column. */
typedef enum { EXCH_I8, EXCH_I32, EXCH_I64, EXCH_F32, EXCH_F64, EXCH_NUM_TYPES } ExchType;

/* What a message carries; part of the header kind, so out-of-order collectives are caught. */
typedef enum {
    EXCH_MSG_COLUMN = 1,  // generic typed column (exchange_gatherv/allgatherv/scatterv)
    EXCH_MSG_PROMPTS,     // prompt indices (exchange_scatter_prompts)
    EXCH_MSG_TOKEN_LENS,  // sequence lengths of a token batch
    EXCH_MSG_TOKENS,      // tokens of a token batch
    EXCH_MSG_VOTES,       // judge scores (exchange_gather_votes)
    EXCH_MSG_TEXT,        // text (exchange_bcast_text)
    EXCH_MSG_SLAB,        // parameter slab (exchange_bcast_slab)
} ExchMsg;

/* Elements gathered from every rank of a communicator, in rank order. */
typedef struct {
    void *data;       // (total) elements; owned; NULL on the non-root ranks of a gatherv
    int64_t total;    // elements from all ranks
    int64_t *counts;  // (size) elements from each rank (known on every rank)
    int64_t *displs;  // (size + 1) first element of each rank's part; displs[size] = total
    int size;         // ranks of the communicator
    ExchType type;    // element type of data
} ExchGathered;

/* Sequences from every rank of a communicator, in rank order. */
typedef struct {
    int64_t n_seqs;    // sequences from all ranks
    int64_t n_tokens;  // tokens from all ranks
    int32_t *lens;     // (n_seqs) tokens per sequence (owned)
    int64_t
        *offsets;  // (n_seqs + 1) first token of each sequence; offsets[n_seqs] = n_tokens (owned)
    int32_t *tokens;  // (n_tokens) the sequences, concatenated (owned)
    int64_t
        *rank_first;  // (size + 1) first sequence from each rank; rank_first[size] = n_seqs (owned)
    int size;         // ranks of the communicator
} TokenBatch;

/* Bytes of one element of type t. */
size_t exchange_type_size(ExchType t);
/* The MPI datatype of t (MPI_INT8_T, MPI_INT32_T, MPI_INT64_T, MPI_FLOAT, MPI_DOUBLE). */
MPI_Datatype exchange_mpi_type(ExchType t);

/* Largest element count moved by one MPI call (default INT_MAX). Tests lower it to exercise the
   split path; n = 0 restores INT_MAX. Must be the same on every rank. Not thread-safe. */
void exchange_set_chunk_limit(int64_t n);
int64_t exchange_chunk_limit(void);

/* Collective(comm). Gathers n elements of type t from every rank into out on every rank
   (MPI_Allgather of headers, then MPI_Allgatherv). mine may be NULL when n is 0. Free out with
   exchange_gathered_free. */
void exchange_allgatherv(ExchGathered *out, const void *mine, int64_t n, ExchType t, MPI_Comm comm);

/* Collective(comm). Like exchange_allgatherv, but only root receives data (MPI_Gatherv); counts
   and displs are filled on every rank. */
void exchange_gatherv(ExchGathered *out, const void *mine, int64_t n, ExchType t, int root,
                      MPI_Comm comm);

/* Frees what out owns; safe to call twice. */
void exchange_gathered_free(ExchGathered *g);

/* Collective(comm). root sends counts[r] elements to rank r from all (rank r's part starts after
   the parts of ranks 0..r-1); all and counts (size) are read on root only. Returns this rank's
   count and sets *mine to an owned copy (xfree; NULL when the count is 0). */
int64_t exchange_scatterv(void **mine, const void *all, const int64_t *counts, ExchType t, int root,
                          MPI_Comm comm);

/* Collective(comm). exchange_scatterv of int64 prompt indices (kind EXCH_MSG_PROMPTS). */
int64_t exchange_scatter_prompts(int64_t **mine, const int64_t *all, const int64_t *counts,
                                 int root, MPI_Comm comm);

/* Collective(comm). Each rank gives n_local sequences (lens (n_local), tokens (sum of lens),
   flattened); every rank gets all sequences in rank order. Lengths may be 0; n_local may be 0.
   Free out with exchange_tokens_free. */
void exchange_allgather_tokens(TokenBatch *out, const int32_t *tokens, const int32_t *lens,
                               int64_t n_local, MPI_Comm comm);
void exchange_tokens_free(TokenBatch *b);

/* Collective(comm). Gathers each rank's n float votes (NaN = abstain) on root, in rank order. */
void exchange_gather_votes(ExchGathered *out, const float *votes, int64_t n, int root,
                           MPI_Comm comm);

/* Collective(comm). Copies root's slab values into every rank's slab (chunked MPI_Bcast). Every
   rank's slab must have the same table (sizes and shapes); a mismatch dies naming both layouts. */
void exchange_bcast_slab(ParamSlab *s, int root, MPI_Comm comm);

/* Collective(comm). Broadcasts root's NUL-terminated text (length, then bytes); text is read on
   root only. Returns an owned copy on every rank, root included (xfree). */
char *exchange_bcast_text(const char *text, int root, MPI_Comm comm);

#endif
