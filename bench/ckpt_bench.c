/* bench/ckpt_bench.c — concord-ckpt-bench: checkpoint write and read speed for a GPT-2 124M-sized
   checkpoint (weights + AdamW m + v, about 1.5 GB) through io/ckpt, against dd in the same run.
   Prints one JSON line per measurement with the keys
     what, ranks, params, bytes, seconds, MBps, verified (and ratio_to_dd for ckpt_write)
   what is one of:
     dd              `dd if=/dev/zero of=DIR/dd.tmp bs=1M count=N conv=fsync` for as many MiB as
                     the checkpoint has, run first by rank 0 (then removed); seconds and MBps as
                     dd reports them. Note: a buffered write that runs right after dd reuses the
                     page-cache pages dd freed, which favours it; the one-rank ckpt_write uses
                     O_DIRECT and does not go through the page cache
     ckpt_write      ckpt_write as a run calls it: create, write, fsync, rename, LATEST;
                     ratio_to_dd = its MBps / dd's MBps
     ckpt_read       ckpt_read into the same (zeroed) slabs right after the write: with several
                     ranks the file is usually still in the page cache (cached read speed); a
                     one-rank write bypassed the cache, so this read comes from the disk
     ckpt_read_cold  (with --cold) the same after `sync` and dropping the page cache
                     (echo 3 > /proc/sys/vm/drop_caches, needs root)
   verified: the read-back slabs hash equal to what was written.
   Usage: concord-ckpt-bench [--layers L] [--cold] [DIR]   (default L 12, DIR /tmp; works under
   mpiexec, all ranks write). --layers scales the model (L=1 is about 560 MB) for quick profiling.
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

static double print_line(const char *what, int ranks, size_t params, long long bytes, double sec,
                         int verified, double dd_mbps) {
    double mbps = (double)bytes / 1e6 / sec;
    printf(
        "{\"what\": \"%s\", \"ranks\": %d, \"params\": %zu, \"bytes\": %lld, \"seconds\": %.3f, "
        "\"MBps\": %.1f, \"verified\": %s",
        what, ranks, params, bytes, sec, mbps, verified ? "true" : "false");
    if (dd_mbps > 0) printf(", \"ratio_to_dd\": %.3f", mbps / dd_mbps);
    printf("}\n");
    fflush(stdout);
    return mbps;
}

// Runs dd writing mib MiB of zeros with conv=fsync into dir; returns its MBps (its own timing),
// or -1 when dd could not be run or its report not parsed.
static double run_dd(const char *dir, long mib, size_t params, int ranks) {
    char cmd[CKPT_PATH_MAX + 128], line[512], path[CKPT_PATH_MAX];
    snprintf(path, sizeof path, "%s/dd.tmp", dir);
    snprintf(cmd, sizeof cmd, "dd if=/dev/zero of='%s' bs=1M count=%ld conv=fsync 2>&1", path, mib);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    long long bytes = -1;
    double sec = -1;
    while (fgets(line, sizeof line, p)) {  // "N bytes (...) copied, S s, R MB/s"
        const char *c = strstr(line, "copied, ");
        if (c && sscanf(line, "%lld", &bytes) == 1) sec = strtod(c + 8, NULL);
    }
    int rc = pclose(p);
    unlink(path);
    if (rc != 0 || bytes <= 0 || sec <= 0) {
        fprintf(stderr, "concord-ckpt-bench: dd failed or its report was not understood\n");
        return -1;
    }
    return print_line("dd", ranks, params, bytes, sec, 1, 0);
}

static void usage_exit(int rank) {
    if (rank == 0) fprintf(stderr, "usage: concord-ckpt-bench [--layers L] [--cold] [DIR]\n");
    MPI_Finalize();
    exit(2);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, nranks, cold = 0, layers = 12;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cold") == 0)
            cold = 1;
        else if (strcmp(argv[i], "--layers") == 0 && i + 1 < argc)
            layers = atoi(argv[++i]);
        else if (argv[i][0] != '-')
            dir = argv[i];
        else
            usage_exit(rank);
    }
    if (layers < 1 || layers > 96) usage_exit(rank);
    char run_dir[CKPT_PATH_MAX - 128];
    int pid = (int)getpid();
    MPI_Bcast(&pid, 1, MPI_INT, 0, MPI_COMM_WORLD);
    snprintf(run_dir, sizeof run_dir, "%s/concord-ckpt-bench.%d", dir, pid);

    GPTConfig cfg = {.V = 50257, .Vp = 50304, .T = 1024, .C = 768, .L = layers, .NH = 12};
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

    double dd_mbps = 0;
    if (rank == 0) {
        long mib = (long)((3 * model.n * sizeof(float) + (1 << 20) - 1) >> 20);
        dd_mbps = run_dd(dir, mib, model.n, nranks);
    }
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
    if (rank == 0) print_line("ckpt_write", nranks, model.n, bytes, t_write, 1, dd_mbps);

    int ok = 1;
    for (int pass = 0; pass < 1 + cold; pass++) {
        if (pass == 1 && rank == 0 &&
            system("sync && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null") != 0)
            fprintf(stderr, "concord-ckpt-bench: cannot drop the page cache (root needed)\n");
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
        int same =
            slab_hash(&model) == h[0] && slab_hash(&opt.m) == h[1] && slab_hash(&opt.v) == h[2];
        ok = ok && same;
        if (rank == 0)
            print_line(pass ? "ckpt_read_cold" : "ckpt_read", nranks, model.n, bytes, t_read, same,
                       0);
    }

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
