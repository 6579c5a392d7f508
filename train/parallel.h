/* train/parallel.h — data-parallel loops for the kernels that are not sgemm (attention, GELU,
   LayerNorm), on the same number of threads as BLAS (matmul_set_threads), so that the cores BLAS
   uses are not idle between sgemm calls. A persistent pool: the caller runs the first chunk, the
   workers the others; [0, n) is cut into contiguous chunks that depend only on n and the thread
   count, so results are deterministic for a given thread count. With one thread (the default:
   one BLAS thread per MPI rank) fn runs inline. Workers never call BLAS or MPI. */
#ifndef CONCORD_TRAIN_PARALLEL_H
#define CONCORD_TRAIN_PARALLEL_H

#include <stdint.h>

typedef void (*ParallelFn)(void *ctx, int64_t begin, int64_t end, int chunk);

/* Runs fn(ctx, begin, end, chunk) over [0, n) in parallel_threads() contiguous chunks (fewer when
   n is small); returns when every chunk is done. Not reentrant. */
void parallel_for(int64_t n, ParallelFn fn, void *ctx);

/* Number of chunks parallel_for uses (the BLAS thread count, at most PARALLEL_MAX_THREADS). */
int parallel_threads(void);

#define PARALLEL_MAX_THREADS 64

#endif
