/* bench/ckpt_bench.c — concord-ckpt-bench: checkpoint write and read speed for a GPT-2 124M-sized
   checkpoint (weights + AdamW m + v, about 1.5 GB) through io/ckpt.
   Prints one JSON line per measurement with the keys
     what (ckpt_write | ckpt_read), ranks, params, bytes, seconds, MBps, verified
   ckpt_write times ckpt_write as a run calls it: create, collective write, fsync, rename, LATEST.
   ckpt_read times ckpt_read into the same (zeroed) slabs; a file just written is usually still in
   the page cache, so this is the cached read speed. verified: the read-back slabs hash equal.
   Usage: concord-ckpt-bench [DIR]   (default /tmp; works under mpiexec, all ranks write)
   The run directory DIR/concord-ckpt-bench.<pid> is removed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/ckpt.h"
#include "util/alloc.h"

// FNV-1a over the slab's bytes: a cheap equality check for 500 MB buffers.
static uint64_t slab_hash(const ParamSlab *s) {
    const unsigned char *p = (const unsigned char *)s->data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s->n * sizeof(float); i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void fill(ParamSlab *s, float scale) {
    for (size_t i = 0; i < s->n; i++) s->data[i] = scale * (float)((i * 2654435761u) % 1000003u);
}

static void print_line(const char *what, int ranks, size_t params, long long bytes, double sec,
                       int verified) {
    printf(
        "{\"what\": \"%s\", \"ranks\": %d, \"params\": %zu, \"bytes\": %lld, \"seconds\": %.3f, "
        "\"MBps\": %.1f, \"verified\": %s}\n",
        what, ranks, params, bytes, sec, (double)bytes / 1e6 / sec, verified ? "true" : "false");
    fflush(stdout);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char run_dir[CKPT_PATH_MAX - 128];
    int pid = (int)getpid();
    MPI_Bcast(&pid, 1, MPI_INT, 0, MPI_COMM_WORLD);
    snprintf(run_dir, sizeof run_dir, "%s/concord-ckpt-bench.%d", dir, pid);

    GPTConfig cfg = {.V = 50257, .Vp = 50304, .T = 1024, .C = 768, .L = 12, .NH = 12};
    ParamSlab model;
    AdamW opt = {.cfg = {.lr = 6e-4f,
                         .beta1 = 0.9f,
                         .beta2 = 0.95f,
                         .eps = 1e-8f,
                         .weight_decay = 0.1f,
                         .grad_clip = 1.0f,
                         .total_steps = 1000},
                 .step = 10};
    param_slab_init(&model, &cfg, "bench.model");
    param_slab_init(&opt.m, &cfg, "bench.m");
    param_slab_init(&opt.v, &cfg, "bench.v");
    fill(&model, 1e-6f);
    fill(&opt.m, 1e-7f);
    fill(&opt.v, 1e-9f);
    uint64_t h[3] = {slab_hash(&model), slab_hash(&opt.m), slab_hash(&opt.v)};
    CkptState st;
    ckpt_state_init(&st, nranks);
    CkptContents c = {.model = &model,
                      .optim = &opt,
                      .state = &st,
                      .config_json = "{\"bench\": true}",
                      .charset = TOKENIZER_DEFAULT_CHARSET};

    ErrMsg e = {{0}};
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    int rc = ckpt_write(run_dir, "round_0001", &c, 0, MPI_COMM_WORLD, &e);
    double t_write = MPI_Wtime() - t0;
    if (rc < 0) {
        if (rank == 0) fprintf(stderr, "ckpt_write failed: %s\n", e.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    char path[CKPT_PATH_MAX];
    snprintf(path, sizeof path, "%s/ckpt/round_0001.h5", run_dir);
    struct stat sb;
    long long bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
    if (rank == 0) print_line("ckpt_write", nranks, model.n, bytes, t_write, 1);

    memset(model.data, 0, model.n * sizeof(float));
    memset(opt.m.data, 0, opt.m.n * sizeof(float));
    memset(opt.v.data, 0, opt.v.n * sizeof(float));
    MPI_Barrier(MPI_COMM_WORLD);
    t0 = MPI_Wtime();
    rc = ckpt_read(path, &cfg, &c, MPI_COMM_WORLD, &e);
    double t_read = MPI_Wtime() - t0;
    if (rc < 0) {
        if (rank == 0) fprintf(stderr, "ckpt_read failed: %s\n", e.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int ok = slab_hash(&model) == h[0] && slab_hash(&opt.m) == h[1] && slab_hash(&opt.v) == h[2];
    if (rank == 0) print_line("ckpt_read", nranks, model.n, bytes, t_read, ok);

    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        char p2[CKPT_PATH_MAX];
        unlink(path);
        snprintf(p2, sizeof p2, "%s/ckpt/LATEST", run_dir);
        unlink(p2);
        snprintf(p2, sizeof p2, "%s/ckpt", run_dir);
        rmdir(p2);
        rmdir(run_dir);
    }
    ckpt_state_free(&st);
    param_slab_free(&model);
    param_slab_free(&opt.m);
    param_slab_free(&opt.v);
    MPI_Finalize();
    return ok ? 0 : 1;
}
