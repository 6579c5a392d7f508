/* bench/allreduce.c — concord-allreduce: latency and bandwidth of the gradient all-reduce.
   Prints one JSON line per (implementation, size) with the keys
     bench, impl, np, bytes, count, dtype, repeats, seconds, min_seconds, algbw_GBps, busbw_GBps
   impl = mpi_allreduce: MPI_Allreduce(MPI_SUM) in place, as the MPI library chooses to do it.
   impl = concord: grad_allreduce_floats (comm/allreduce), the deterministic rank-order sum the
          learners use (reduce-scatter by MPI_Alltoallv + local sum, then MPI_Allgatherv).
   The first size is the 8-byte latency probe (one double for MPI, two floats for concord), then
   floats from 1 KiB to --max-bytes (default 64 MiB) in steps of 4x. seconds is the median over
   repeats of the slowest rank's time for one call (a barrier before each); algbw = bytes/seconds,
   busbw = 2(np-1)/np * bytes/seconds (the bytes each rank must move in an optimal all-reduce).
   Usage: mpirun -np N concord-allreduce [--max-bytes B] [--repeats K] [--impl mpi|concord|all] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/allreduce.h"
#include "comm/comms.h"
#include "util/alloc.h"

static int rank = 0, size = 1;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One timed call: the slowest rank's seconds. */
static double time_once(int impl, void *buf, size_t count, int is_double) {
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    double t0 = MPI_Wtime();
    if (impl == 0)
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, (int)count, is_double ? MPI_DOUBLE : MPI_FLOAT,
                                MPI_SUM, MPI_COMM_WORLD));
    else
        grad_allreduce_floats(buf, count, 0, MPI_COMM_WORLD);
    double t = MPI_Wtime() - t0, slowest = 0.0;
    MPI_CHECK(MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
    return slowest;
}

static void measure(int impl, size_t bytes, int repeats_arg, void *buf) {
    int is_double = impl == 0 && bytes == 8;
    size_t count = bytes / (is_double ? sizeof(double) : sizeof(float));
    // Zeros: repeated in-place sums never overflow or turn denormal, which would skew the timing.
    float *f = buf;
    for (size_t i = 0; i < bytes / sizeof(float); i++) f[i] = 0.0f;
    int repeats = repeats_arg;
    if (repeats <= 0) {
        size_t r = ((size_t)256 << 20) / bytes;  // about 256 MiB moved per size
        repeats = r < 5 ? 5 : r > 100 ? 100 : (int)r;
    }
    for (int w = 0; w < 2; w++) time_once(impl, buf, count, is_double);
    double *t = xmalloc("bench.times", sizeof(double) * (size_t)repeats);
    for (int k = 0; k < repeats; k++) t[k] = time_once(impl, buf, count, is_double);
    qsort(t, (size_t)repeats, sizeof(double), cmp_double);
    double med = repeats % 2 ? t[repeats / 2] : 0.5 * (t[repeats / 2 - 1] + t[repeats / 2]);
    double alg = (double)bytes / med / 1e9;
    double bus = size > 1 ? alg * 2.0 * (size - 1) / size : 0.0;
    if (rank == 0)
        printf(
            "{\"bench\": \"allreduce\", \"impl\": \"%s\", \"np\": %d, \"bytes\": %zu, \"count\": "
            "%zu, "
            "\"dtype\": \"%s\", \"repeats\": %d, \"seconds\": %.9f, \"min_seconds\": %.9f, "
            "\"algbw_GBps\": %.4f, \"busbw_GBps\": %.4f}\n",
            impl == 0 ? "mpi_allreduce" : "concord", size, bytes, count,
            is_double ? "double" : "float", repeats, med, t[0], alg, bus);
    fflush(stdout);
    xfree(t);
}

static void usage(void) {
    if (rank == 0)
        fprintf(
            stderr,
            "usage: concord-allreduce [--max-bytes B] [--repeats K] [--impl mpi|concord|all]\n");
}

int main(int argc, char **argv) {
    comms_init(&argc, &argv);
    MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
    size_t max_bytes = (size_t)64 << 20;
    int repeats = 0, impl_lo = 0, impl_hi = 1;
    for (int i = 1; i < argc; i++) {
        int has = i + 1 < argc;
        if (strcmp(argv[i], "--max-bytes") == 0 && has) {
            max_bytes = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--repeats") == 0 && has) {
            repeats = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--impl") == 0 && has) {
            const char *v = argv[++i];
            impl_lo = strcmp(v, "concord") == 0;
            impl_hi = strcmp(v, "mpi") == 0 ? 0 : 1;
            if (strcmp(v, "mpi") && strcmp(v, "concord") && strcmp(v, "all")) {
                usage();
                user_error("--impl must be mpi, concord or all, found '%s'", v);
            }
        } else {
            usage();
            user_error("unknown or incomplete argument '%s'", argv[i]);
        }
    }
    if (max_bytes < 1024 || max_bytes > ((size_t)1 << 32))
        user_error("--max-bytes must be between 1024 and 4294967296, found %zu", max_bytes);
    void *buf = xmalloc("bench.buffer", max_bytes);
    for (int impl = impl_lo; impl <= impl_hi; impl++) {
        measure(impl, 8, repeats, buf);
        for (size_t bytes = 1024; bytes <= max_bytes; bytes *= 4)
            measure(impl, bytes, repeats, buf);
    }
    xfree(buf);
    comms_finalize();
    return 0;
}
