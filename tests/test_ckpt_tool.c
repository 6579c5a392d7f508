/* tests/test_ckpt_tool.c — driver for the checkpoint script tests (crash, golden, h5py), run
   with or without mpiexec (all commands are collective over MPI_COMM_WORLD):
     write RUN_DIR NAME SEED [KEEP]   write the fixture for SEED as RUN_DIR/ckpt/NAME.h5
     write-llama RUN_DIR NAME SEED    the same with the small LLaMA model (fx_config_llama)
     verify PATH SEED                 read PATH; exit 0 if it equals the fixture for SEED bit for
   bit check PATH                       exit 0 if ckpt_read accepts PATH, 3 (message on stderr) if
   not latest RUN_DIR                   print the path LATEST names (exit 3 if none) Exit status 2
   means bad usage. */
#include <stdlib.h>
#include <string.h>

#include "test_ckpt_fixture.h"

static int usage(void) {
    fprintf(stderr,
            "usage: test_ckpt_tool write RUN_DIR NAME SEED [KEEP] | write-llama RUN_DIR NAME SEED "
            "| verify PATH SEED | "
            "check PATH | latest RUN_DIR\n");
    return 2;
}

static int run(int argc, char **argv, int rank) {
    ErrMsg e = {{0}};
    GPTConfig cfg = fx_config();
    int llama = argc >= 5 && strcmp(argv[1], "write-llama") == 0;
    if (argc >= 5 && (strcmp(argv[1], "write") == 0 || llama)) {
        Fixture fx;
        GPTConfig lc = fx_config_llama();
        if (llama)
            fx_make_with(&fx, strtoull(argv[4], NULL, 10), &lc);
        else
            fx_make(&fx, strtoull(argv[4], NULL, 10));
        int keep = argc >= 6 ? atoi(argv[5]) : 0;
        int rc = ckpt_write(argv[2], argv[3], &fx.c, keep, MPI_COMM_WORLD, &e);
        fx_free(&fx);
        if (rc < 0 && rank == 0) fprintf(stderr, "write failed: %s\n", e.msg);
        return rc < 0 ? 1 : 0;
    }
    if (argc >= 4 && strcmp(argv[1], "verify") == 0) {
        Fixture want, got;
        fx_make(&want, strtoull(argv[3], NULL, 10));
        fx_alloc(&got, &cfg);
        int rc = ckpt_read(argv[2], &cfg, &got.c, MPI_COMM_WORLD, &e);
        if (rc < 0 && rank == 0) fprintf(stderr, "verify: %s\n", e.msg);
        if (rc == 0 && fx_compare(&want, &got) != 0) rc = -1;
        fx_free(&want);
        fx_free(&got);
        return rc < 0 ? 1 : 0;
    }
    if (argc >= 3 && strcmp(argv[1], "check") == 0) {
        Fixture got;
        fx_alloc(&got, &cfg);
        int rc = ckpt_read(argv[2], &cfg, &got.c, MPI_COMM_WORLD, &e);
        fx_free(&got);
        if (rc < 0 && rank == 0) fprintf(stderr, "%s\n", e.msg);
        return rc < 0 ? 3 : 0;
    }
    return usage();
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "latest") == 0) {  // no MPI needed (and none started: fast)
        char path[CKPT_PATH_MAX];
        ErrMsg e = {{0}};
        if (ckpt_latest(argv[2], path, sizeof path, &e) < 0) {
            fprintf(stderr, "%s\n", e.msg);
            return 3;
        }
        printf("%s\n", path);
        return 0;
    }
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int rc = run(argc, argv, rank);
    MPI_Finalize();
    return rc;
}
