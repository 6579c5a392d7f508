/* tests/test_ensemble.c — the ensemble's pure logic, without MPI_Init: which model each world
   rank serves (comms_model_of_rank), the plurality vote of the models' answers, the models' seeds,
   the voting models of a model, and the models' run directories. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "comm/comms.h"
#include "ranks/ensemble.h"

// Every rank of W = 1..17 maps to a model of K = 1..W; the groups are consecutive blocks that
// cover all ranks, model k starts at rank k*W/K, and their sizes differ by at most one.
static void test_model_of_rank(void) {
    int bad_range = 0, bad_order = 0, bad_start = 0, bad_sizes = 0, bad_cover = 0;
    for (int W = 1; W <= 17; W++)
        for (int K = 1; K <= W; K++) {
            int size[17] = {0}, prev = 0;
            for (int r = 0; r < W; r++) {
                int k = comms_model_of_rank(r, W, K);
                if (k < 0 || k >= K) {
                    bad_range++;
                    continue;
                }
                if (k != prev && k != prev + 1) bad_order++;  // consecutive, no model skipped
                if (r == 0 && k != 0) bad_order++;
                if (k != prev || r == 0) bad_start += r != (int)((int64_t)k * W / K);
                size[k]++;
                prev = k;
            }
            int lo = W, hi = 0, sum = 0;
            for (int k = 0; k < K; k++) {
                lo = size[k] < lo ? size[k] : lo;
                hi = size[k] > hi ? size[k] : hi;
                sum += size[k];
            }
            bad_cover += sum != W || lo < 1 || prev != K - 1;
            bad_sizes += hi - lo > 1;
        }
    CHECK_EQ_I64(bad_range, 0);
    CHECK_EQ_I64(bad_order, 0);
    CHECK_EQ_I64(bad_start, 0);
    CHECK_EQ_I64(bad_sizes, 0);
    CHECK_EQ_I64(bad_cover, 0);
    // a few by hand: W = 5, K = 2 -> 0 0 1 1 1; W = 7, K = 3 -> 0 0 1 1 2 2 2
    const int w5k2[5] = {0, 0, 1, 1, 1}, w7k3[7] = {0, 0, 1, 1, 2, 2, 2};
    for (int r = 0; r < 5; r++) CHECK_EQ_I64(comms_model_of_rank(r, 5, 2), w5k2[r]);
    for (int r = 0; r < 7; r++) CHECK_EQ_I64(comms_model_of_rank(r, 7, 3), w7k3[r]);
    for (int r = 0; r < 17; r++) CHECK_EQ_I64(comms_model_of_rank(r, 17, 1), 0);
    for (int r = 0; r < 17; r++) CHECK_EQ_I64(comms_model_of_rank(r, 17, 17), r);
}

static void test_plurality(void) {
    const char *a1[] = {"12", "13", "13", "12", "13"};
    CHECK_EQ_I64(ensemble_plurality(a1, 5), 1);  // "13" x3, first given by model 1
    const char *a2[] = {"7", "8", "8", "7"};
    CHECK_EQ_I64(ensemble_plurality(a2, 4), 0);  // tie 2-2: the lowest model's answer
    const char *a3[] = {"", "8", "7", "7", "8"};
    CHECK_EQ_I64(ensemble_plurality(a3, 5), 1);  // tie: lowest model among those answering
    const char *a4[] = {"", "", "5", "", ""};
    CHECK_EQ_I64(ensemble_plurality(a4, 5), 2);  // empty answers never win, however many
    const char *a5[] = {"", "", ""};
    CHECK_EQ_I64(ensemble_plurality(a5, 3), -1);  // nobody answered
    const char *a6[] = {"42"};
    CHECK_EQ_I64(ensemble_plurality(a6, 1), 0);  // a single model
    const char *a7[] = {""};
    CHECK_EQ_I64(ensemble_plurality(a7, 1), -1);
    const char *a8[] = {"1", "2", "3"};
    CHECK_EQ_I64(ensemble_plurality(a8, 3), 0);  // all different: the lowest model
    const char *a9[] = {"1", "2", "3", "3"};
    CHECK_EQ_I64(ensemble_plurality(a9, 4), 2);   // a strict majority beats the lower models
    const char *a10[] = {"ab", "a", "abc", "a"};  // prefixes are different answers
    CHECK_EQ_I64(ensemble_plurality(a10, 4), 1);
}

static void test_model_seed(void) {
    const uint64_t seeds[] = {0, 1, 1234, (1ull << 53) - 1, UINT64_MAX};
    int bad_limit = 0, dup = 0, unstable = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
        uint64_t run = seeds[s], v[64];
        CHECK_TRUE(ensemble_model_seed(run, 0) == run);  // model 0 keeps the run seed
        for (int k = 1; k < 64; k++) {
            v[k] = ensemble_model_seed(run, k);
            bad_limit += v[k] >= (1ull << 53);
            unstable += ensemble_model_seed(run, k) != v[k];
        }
        for (int k = 1; k < 64; k++)
            for (int j = 1; j < k; j++) dup += v[j] == v[k];
    }
    CHECK_EQ_I64(bad_limit, 0);
    CHECK_EQ_I64(dup, 0);
    CHECK_EQ_I64(unstable, 0);
    // another run seed gives other model seeds
    CHECK_TRUE(ensemble_model_seed(1, 1) != ensemble_model_seed(2, 1));
    CHECK_TRUE(ensemble_model_seed(1234, 1) != 1234);
}

static void test_voters(void) {
    Ensemble en;
    int models[ENSEMBLE_MAX_MODELS], ok = 1;
    for (int K = 1; K <= ENSEMBLE_MAX_MODELS; K++) {
        memset(&en, 0, sizeof en);
        en.K = K;
        en.others = 0;  // "all"
        for (int k = 0; k < K; k++) {
            int n = ensemble_voters(&en, k, models);
            ok &= n == K;
            for (int m = 0; m < n; m++) ok &= models[m] == m;
        }
        if (K == 1) continue;  // ensemble_init keeps others only with K > 1
        en.others = 1;         // "others"
        for (int k = 0; k < K; k++) {
            int n = ensemble_voters(&en, k, models);
            ok &= n == K - 1;
            for (int m = 0; m < n; m++) ok &= models[m] == (m < k ? m : m + 1);
        }
    }
    CHECK_TRUE(ok);
    en.K = 3, en.others = 1;
    CHECK_EQ_I64(ensemble_voters(&en, 1, models), 2);
    CHECK_TRUE(models[0] == 0 && models[1] == 2);
}

static void test_model_dir(void) {
    char out[CONFIG_PATH_MAX];
    ensemble_model_dir(out, sizeof out, "runs/a", 1, 0);
    CHECK_TRUE(strcmp(out, "runs/a") == 0);
    ensemble_model_dir(out, sizeof out, "runs/a", 2, 0);
    CHECK_TRUE(strcmp(out, "runs/a/model_0") == 0);
    ensemble_model_dir(out, sizeof out, "runs/a", 4, 3);
    CHECK_TRUE(strcmp(out, "runs/a/model_3") == 0);
    ensemble_model_dir(out, sizeof out, "/abs/dir", 64, 63);
    CHECK_TRUE(strcmp(out, "/abs/dir/model_63") == 0);
    char small[8];  // truncated, still terminated
    ensemble_model_dir(small, sizeof small, "runs/a", 2, 1);
    CHECK_TRUE(strlen(small) == sizeof small - 1 && strncmp(small, "runs/a/", 7) == 0);
}

int main(void) {
    test_model_of_rank();
    test_plurality();
    test_model_seed();
    test_voters();
    test_model_dir();
    return check_report();
}
