/* train/parallel.c — a small persistent thread pool; see parallel.h. */
#include "train/parallel.h"

#include <pthread.h>

#include "train/matmul.h"
#include "util/err.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t go, done;
    int n_workers;        // threads started (excluding the caller)
    uint64_t generation;  // bumped for every parallel_for
    int pending;          // chunks not finished in this generation
    ParallelFn fn;        // the job
    void *ctx;
    int64_t n;
    int chunks;  // chunks of the job
} Pool;

static Pool pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
                    .go = PTHREAD_COND_INITIALIZER,
                    .done = PTHREAD_COND_INITIALIZER};

static void chunk_range(int64_t n, int chunks, int c, int64_t *b, int64_t *e) {
    *b = n * c / chunks;
    *e = n * (c + 1) / chunks;
}

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;  // chunk index served by this worker (1..)
    uint64_t seen = 0;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.go, &pool.lock);
        seen = pool.generation;
        if (id >= pool.chunks) continue;
        ParallelFn fn = pool.fn;
        void *ctx = pool.ctx;
        int64_t b, e;
        chunk_range(pool.n, pool.chunks, id, &b, &e);
        pthread_mutex_unlock(&pool.lock);
        fn(ctx, b, e, id);
        pthread_mutex_lock(&pool.lock);
        if (--pool.pending == 0) pthread_cond_signal(&pool.done);
    }
    return NULL;
}

int parallel_threads(void) {
    int t = matmul_get_threads();
    return t < 1 ? 1 : t > PARALLEL_MAX_THREADS ? PARALLEL_MAX_THREADS : t;
}

void parallel_for(int64_t n, ParallelFn fn, void *ctx) {
    int chunks = parallel_threads();
    if (chunks > n) chunks = (int)(n > 0 ? n : 1);
    if (chunks <= 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    while (pool.n_workers < chunks - 1) {  // start workers lazily, never more than needed
        pthread_t t;
        CHECKF(pthread_create(&t, NULL, worker, (void *)(intptr_t)(pool.n_workers + 1)) == 0,
               "parallel_for: cannot start a worker thread");
        pthread_detach(t);
        pool.n_workers++;
    }
    pool.fn = fn, pool.ctx = ctx, pool.n = n, pool.chunks = chunks;
    pool.pending = chunks - 1;
    pool.generation++;
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.lock);
    int64_t b, e;
    chunk_range(n, chunks, 0, &b, &e);
    fn(ctx, b, e, 0);
    pthread_mutex_lock(&pool.lock);
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
}
