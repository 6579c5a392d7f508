/* tests/test_ckpt_mpi.c — checkpoints over 2 ranks (run with NP 2): a 2-rank write reads back
   bit-identically on 2 ranks and on 1, equals a 1-rank write of the same contents (read back,
   and h5diff of every group; the root differs only in wall_time), and bad files give the same
   clean error on every rank without hanging. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/h5util.h"
#include "test_ckpt_fixture.h"

#define DIR "test_ckpt_np2.d"

static int rank;

static void read_and_compare(const char *path, const Fixture *want, MPI_Comm comm) {
    GPTConfig cfg = fx_config();
    Fixture got;
    fx_alloc(&got, &cfg);
    ErrMsg e = {{0}};
    int rc = ckpt_read(path, &cfg, &got.c, comm, &e);
    CHECK_MSG(rc == 0, "reading %s: %s", path, e.msg);
    if (rc == 0) CHECK_EQ_I64(fx_compare(want, &got), 0);
    fx_free(&got);
}

// Same attribute value (as a string or i32) on the roots of both files.
static void root_attrs_equal(const char *a, const char *b) {
    hid_t fapl = h5_fapl_serial();
    ErrMsg e;
    hid_t fa = h5_file_open(a, fapl, &e), fb = h5_file_open(b, fapl, &e);
    h5_close(&fapl);
    CHECK_TRUE(fa >= 0 && fb >= 0);
    const char *strs[] = {"format", "created_by"};
    for (int i = 0; i < 2; i++) {
        char x[256] = "x", y[256] = "y";
        CHECK_TRUE(h5_attr_read_str(fa, strs[i], x, sizeof x, &e) == 0 &&
                   h5_attr_read_str(fb, strs[i], y, sizeof y, &e) == 0 && strcmp(x, y) == 0);
    }
    int32_t va = -1, vb = -2;
    uint8_t ca = 0, cb = 0;
    CHECK_TRUE(h5_attr_read_i32(fa, "format_version", &va, &e) == 0 &&
               h5_attr_read_i32(fb, "format_version", &vb, &e) == 0 && va == vb);
    CHECK_TRUE(h5_attr_read_u8(fa, "complete", &ca, &e) == 0 &&
               h5_attr_read_u8(fb, "complete", &cb, &e) == 0 && ca == 1 && cb == 1);
    h5_close(&fa);
    h5_close(&fb);
}

static void test_np2_equals_np1(void) {
    Fixture fx;
    fx_make(&fx, 11);
    ErrMsg e = {{0}};
    int rc = ckpt_write(DIR "/np2", "round_0002", &fx.c, 0, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc == 0, "np2 write: %s", e.msg);
    if (rank == 0) {
        rc = ckpt_write(DIR "/np1", "round_0002", &fx.c, 0, MPI_COMM_SELF, &e);
        CHECK_MSG(rc == 0, "np1 write: %s", e.msg);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    read_and_compare(DIR "/np2/ckpt/round_0002.h5", &fx, MPI_COMM_WORLD);
    read_and_compare(DIR "/np1/ckpt/round_0002.h5", &fx, MPI_COMM_WORLD);
    if (rank == 1) read_and_compare(DIR "/np2/ckpt/round_0002.h5", &fx, MPI_COMM_SELF);
    if (rank == 0) {
        const char *groups[] = {"/model",  "/optim",     "/ref",  "/prev",
                                "/config", "/tokenizer", "/state"};
        for (int i = 0; i < 7; i++) {
            char cmd[512];
            snprintf(cmd, sizeof cmd,
                     "h5diff -q %s/np2/ckpt/round_0002.h5 %s/np1/ckpt/round_0002.h5 %s %s", DIR,
                     DIR, groups[i], groups[i]);
            CHECK_MSG(system(cmd) == 0, "h5diff found differences: %s", cmd);
        }
        root_attrs_equal(DIR "/np2/ckpt/round_0002.h5", DIR "/np1/ckpt/round_0002.h5");
    }
    fx_free(&fx);
}

static void expect_bad(const char *path, const char *want) {
    GPTConfig cfg = fx_config();
    Fixture got;
    fx_alloc(&got, &cfg);
    ErrMsg e = {{0}};
    int rc = ckpt_read(path, &cfg, &got.c, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, want), "rank %d reading %s: rc %d, '%s'", rank, path, rc,
              e.msg);
    fx_free(&got);
}

static void test_bad_files(void) {
    if (rank == 0) {
        CHECK_TRUE(system("printf 'not hdf5' > " DIR "/text.h5 && cp " DIR
                          "/np2/ckpt/round_0002.h5 " DIR "/trunc.h5 && truncate -s 3000 " DIR
                          "/trunc.h5") == 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    expect_bad(DIR "/missing.h5", "No such file");
    expect_bad(DIR "/text.h5", "not an HDF5 file");
    expect_bad(DIR "/trunc.h5", "truncated");
    // A file that only some ranks can see (a node-local path): an error everywhere, no hang.
    expect_bad(rank == 0 ? DIR "/np2/ckpt/round_0002.h5" : DIR "/elsewhere.h5", "cannot open");
    GPTConfig wide = fx_config();
    wide.C = 16;
    Fixture got;
    fx_alloc(&got, &wide);
    ErrMsg e = {{0}};
    int rc = ckpt_read(DIR "/np2/ckpt/round_0002.h5", &wide, &got.c, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, "/model/wte has shape (24, 8)"), "rank %d: '%s'", rank,
              e.msg);
    fx_free(&got);
    // A write whose directory cannot be created fails on every rank with rank 0's message.
    Fixture fx;
    fx_make(&fx, 1);
    rc = ckpt_write(DIR "/no/such", "round_0001", &fx.c, 0, MPI_COMM_WORLD, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, "cannot create checkpoint directory"), "rank %d: '%s'", rank,
              e.msg);
    fx_free(&fx);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) CHECK_TRUE(system("rm -rf " DIR " && mkdir -p " DIR) == 0);
    MPI_Barrier(MPI_COMM_WORLD);
    test_np2_equals_np1();
    test_bad_files();
    // Every rank's checks count: the test fails if any rank failed.
    int failed = check_failed, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    if (any && !check_failed) check_failed = 1;
    return check_report();
}
