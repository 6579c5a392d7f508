/* comm/allreduce.h — deterministic sum of gradient slabs across learners, bucketed and overlapped
   with the backward pass.
   Arithmetic: every element's result is the sum over ranks in rank order, ((g0 + g1) + g2) + ...,
   in float, computed once by the rank that owns that element's chunk and then copied to all ranks
   (a reduce-scatter as MPI_Ialltoallv + local sum, then MPI_Iallgatherv). So results are
   - the same bits on every learner (AdamW then keeps the weights identical),
   - the same bits run to run, whatever the bucket size, readiness order, chunking or Open MPI's
     collective algorithm choice (native MPI_Allreduce picks algorithms by size and may associate
     differently, so it is not bitwise stable across sizes at 3+ ranks),
   - the same bits for GradReducer and grad_allreduce_blocking.
   Buckets: fixed ranges of the slab, in memory order, never crossing a tensor; per-layer slices of
   stacked (L, ...) tensors are the readiness units ("units": unstacked tensors such as wte, wpe,
   lnf_w, lnf_b whole, and (tensor, layer) slices of the stacked tensors). Consecutive units of one tensor share a
   bucket up to bucket_bytes; a larger unit is split into several buckets. A bucket is final when
   all its units were reported ready. Buckets start in a fixed order (by the backward position of
   their last unit: lnf_b, lnf_w, layer L-1 fc_proj_b .. ln1_w, ..., layer 0, wpe, wte; then by
   offset), identical on every rank, as MPI requires for collectives; a bucket that becomes final
   early waits for its predecessors in that order.
   Progress: Open MPI advances non-blocking collectives mostly inside MPI calls; the learner should
   call grad_reducer_poll between layers (grad_reducer_ready polls too). */
#ifndef CONCORD_COMM_ALLREDUCE_H
#define CONCORD_COMM_ALLREDUCE_H

#include <mpi.h>
#include <stddef.h>

#include "train/params.h"

#define GRAD_BUCKET_BYTES_DEFAULT ((size_t)2 << 20)  // 2 MiB per bucket
#define GRAD_BUCKET_BYTES_MAX     ((size_t)1 << 30)  // 1 GiB: every bucket stays under INT_MAX floats
#define GRAD_MAX_INFLIGHT         8  // buckets communicating at once (staging memory)

/* One bucket: a contiguous range of the slab reduced by one collective pair. */
typedef struct {
    size_t offset;    // first float of the bucket in the slab
    size_t count;     // floats in the bucket, 1..INT_MAX
    int tensor;       // table index of the tensor holding it
    int ready_pos;    // backward position of its last unit (start-order key)
    int pending;      // units of this bucket not yet reported in the current step
    int state;        // internal state (waiting, reduce-scatter, all-gather, done)
    int slot;         // in-flight slot, -1 when none
    MPI_Request req;  // collective in flight, MPI_REQUEST_NULL when none
} GradBucket;

struct GradUnit;  // readiness unit (comm/allreduce.c)
struct GradSlot;  // staging and count arrays of one in-flight bucket (comm/allreduce.c)

typedef struct {
    float *data;             // (n) the gradient slab being reduced (borrowed)
    size_t n;                // floats in the slab
    MPI_Comm rs_comm;        // dup of the learner communicator for the reduce-scatters (owned)
    MPI_Comm ag_comm;        // dup of the learner communicator for the all-gathers (owned)
    int rank, size;          // this learner's rank and the number of learners
    int average;             // 1: results are divided by size; 0: plain sums
    size_t bucket_bytes;     // bucket size limit used to build the buckets
    int n_units;             // readiness units
    struct GradUnit *units;  // (n_units) in memory order (owned)
    int n_buckets;           // buckets
    GradBucket *buckets;     // (n_buckets) in memory order (owned)
    int *order;              // (n_buckets) bucket indices in start order (owned)
    int ntensors;            // entries of table
    TensorSpec table[MAX_TENSORS];  // the gradient slab's tensor table (copy)
    int next_start;                 // buckets order[0 .. next_start) have started
    int next_gather;         // buckets order[0 .. next_gather) have finished their reduce-scatter
    int next_done;           // buckets order[0 .. next_done) are complete
    struct GradSlot *slots;  // (GRAD_MAX_INFLIGHT) (owned)
    double wait_seconds;     // time blocked in grad_reducer_finish, summed over steps
} GradReducer;

/* Collective(learn). Builds the buckets for grads' table (bucket_bytes 0 = default) and duplicates
   the learner communicator. grads must stay allocated while r is used. average: divide the sums by
   the number of learners. Dies when ranks disagree on the slab size, bucket size or average. */
void grad_reducer_init(GradReducer *r, ParamSlab *grads, size_t bucket_bytes, int average,
                       MPI_Comm learn);

/* Collective(learn). Frees communicators and tables; no step may be in flight. Safe twice. */
void grad_reducer_free(GradReducer *r);

/* Reports [ptr, ptr + count) of the slab as final for this step; it must consist of whole units
   (a whole unstacked tensor, whole layer slices). Starts every bucket that is now startable. The
   region must not be written again until grad_reducer_finish returns. Dies on a unit reported
   twice in one step or a region that does not match unit boundaries. */
void grad_reducer_ready(GradReducer *r, const float *ptr, size_t count);

/* Reports one tensor's gradient final: layer -1 = the whole tensor, else that layer's slice of a
   stacked (L, ...) tensor. */
void grad_reducer_ready_tensor(GradReducer *r, int tensor, int layer);

/* Reports the slices of layer `layer` of all stacked tensors final (after its backward). */
void grad_reducer_ready_layer(GradReducer *r, int layer);
/* Reports the head tensors (TensorSpec.head: final norm, untied LM head) final: the backward's
   layer -1. */
void grad_reducer_ready_head(GradReducer *r);

/* Lets MPI progress: tests requests, moves finished reduce-scatters on to their all-gathers and
   starts waiting buckets. Never blocks. Returns the number of buckets complete in this step. */
int grad_reducer_poll(GradReducer *r);

/* Collective(learn). Treats units not yet reported as final, completes every bucket and resets
   for the next step. On return the slab holds the sums (or means) on every learner. */
void grad_reducer_finish(GradReducer *r);

/* Collective(comm). Sums (average: means) n floats across comm in place with the same arithmetic
   as GradReducer, blocking; pieces stay far below INT_MAX elements. */
void grad_allreduce_floats(float *x, size_t n, int average, MPI_Comm comm);

/* Collective(comm). grad_allreduce_floats over a whole slab. */
void grad_allreduce_blocking(ParamSlab *g, int average, MPI_Comm comm);

#endif
