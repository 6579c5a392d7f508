/* tests/test_plan.c — ranks/plan: batch shares among learners, the completed-round rule and the
   ensemble's resume decision (otherwise reached only by the end-to-end tests). */
#include <stdint.h>

#include "check.h"
#include "ranks/plan.h"

// Every B = 0..40 over L = 1..9: contiguous shares in learner order, each item once, sizes
// differing by at most one.
static void test_slice(void) {
    for (int64_t B = 0; B <= 40; B++)
        for (int L = 1; L <= 9; L++) {
            int64_t next = 0, min_n = INT64_MAX, max_n = -1;
            int contiguous = 1;
            for (int li = 0; li < L; li++) {
                int64_t lo = -1, n = -1;
                plan_slice(B, L, li, &lo, &n);
                if (lo != next || n < 0) contiguous = 0;
                next = lo + n;
                if (n < min_n) min_n = n;
                if (n > max_n) max_n = n;
            }
            CHECK_MSG(contiguous && next == B, "B=%lld L=%d: shares not contiguous or end at %lld",
                      (long long)B, L, (long long)next);
            CHECK_MSG(max_n - min_n <= 1, "B=%lld L=%d: share sizes %lld..%lld", (long long)B, L,
                      (long long)min_n, (long long)max_n);
        }
    // an epoch's last, short step shares what is left
    int64_t lo, n;
    plan_slice(3, 2, 0, &lo, &n);
    CHECK_EQ_I64(lo, 0);
    CHECK_EQ_I64(n, 1);
    plan_slice(3, 2, 1, &lo, &n);
    CHECK_EQ_I64(lo, 1);
    CHECK_EQ_I64(n, 2);
    // more learners than items: some take nothing
    plan_slice(1, 4, 0, &lo, &n);
    CHECK_EQ_I64(n, 0);
    plan_slice(1, 4, 3, &lo, &n);
    CHECK_EQ_I64(lo, 0);
    CHECK_EQ_I64(n, 1);
}

static void test_completed_round(void) {
    CHECK_EQ_I64(plan_completed_round(0, PHASE_SFT), -1);
    CHECK_EQ_I64(plan_completed_round(0, PHASE_DONE), 0);
    CHECK_EQ_I64(plan_completed_round(3, PHASE_TRAIN), 2);
    CHECK_EQ_I64(plan_completed_round(3, PHASE_DONE), 3);
}

static PlanAlign align(const PlanPos *pos, int K) {
    PlanAlign a = {.action = -1, .common = -99, .lo_round = -99, .hi_round = -99};
    plan_align(pos, K, &a);
    return a;
}

static void test_align(void) {
    const PlanPos fresh = {.resumed = 0, .round = 0, .phase = PHASE_SFT};
    PlanAlign a;

    PlanPos all_fresh[3] = {fresh, fresh, fresh};
    a = align(all_fresh, 3);
    CHECK_TRUE(a.action == PLAN_GO_ON);
    CHECK_EQ_I64(a.common, -1);
    CHECK_EQ_I64(a.lo_round, -1);
    CHECK_EQ_I64(a.hi_round, -1);

    // steps inside a phase are not part of a position: the same (round, phase) goes on
    PlanPos training[2] = {{1, 2, PHASE_TRAIN}, {1, 2, PHASE_TRAIN}};
    a = align(training, 2);
    CHECK_TRUE(a.action == PLAN_GO_ON);
    CHECK_EQ_I64(a.common, 1);
    PlanPos in_sft[2] = {{1, 0, PHASE_SFT}, {1, 0, PHASE_SFT}};
    a = align(in_sft, 2);
    CHECK_TRUE(a.action == PLAN_GO_ON);
    CHECK_EQ_I64(a.common, -1);

    // one model finished round 3, the other is still training it: both back to round 2
    PlanPos split[2] = {{1, 3, PHASE_DONE}, {1, 3, PHASE_TRAIN}};
    a = align(split, 2);
    CHECK_TRUE(a.action == PLAN_BACK);
    CHECK_EQ_I64(a.common, 2);
    CHECK_EQ_I64(a.lo_round, 3);
    CHECK_EQ_I64(a.hi_round, 3);
    PlanPos split_rev[2] = {{1, 3, PHASE_TRAIN}, {1, 3, PHASE_DONE}};
    a = align(split_rev, 2);
    CHECK_TRUE(a.action == PLAN_BACK);
    CHECK_EQ_I64(a.common, 2);

    // models rounds apart go back to the earliest one's last completed round
    PlanPos apart[3] = {{1, 4, PHASE_DONE}, {1, 2, PHASE_DONE}, {1, 3, PHASE_TRAIN}};
    a = align(apart, 3);
    CHECK_TRUE(a.action == PLAN_BACK);
    CHECK_EQ_I64(a.common, 2);
    CHECK_EQ_I64(a.lo_round, 2);
    CHECK_EQ_I64(a.hi_round, 4);

    // one model found no LATEST, the other has its SFT model: nothing is common, all start afresh
    PlanPos fresh_done[2] = {fresh, {1, 0, PHASE_DONE}};
    a = align(fresh_done, 2);
    CHECK_TRUE(a.action == PLAN_FRESH);
    CHECK_EQ_I64(a.common, -1);
    CHECK_EQ_I64(a.lo_round, -1);
    CHECK_EQ_I64(a.hi_round, 0);
    // a resumed SFT (round 0) is not the same as a fresh start, and completed nothing either
    PlanPos fresh_sft[2] = {{1, 0, PHASE_SFT}, fresh};
    a = align(fresh_sft, 2);
    CHECK_TRUE(a.action == PLAN_FRESH);

    // all done at the same round: go on
    PlanPos done[4] = {
        {1, 5, PHASE_DONE}, {1, 5, PHASE_DONE}, {1, 5, PHASE_DONE}, {1, 5, PHASE_DONE}};
    a = align(done, 4);
    CHECK_TRUE(a.action == PLAN_GO_ON);
    CHECK_EQ_I64(a.common, 5);

    // positions per rank (a group's ranks repeat it) decide as per model
    PlanPos per_rank[4] = {
        {1, 3, PHASE_DONE}, {1, 3, PHASE_DONE}, {1, 3, PHASE_TRAIN}, {1, 3, PHASE_TRAIN}};
    a = align(per_rank, 4);
    CHECK_TRUE(a.action == PLAN_BACK);
    CHECK_EQ_I64(a.common, 2);

    // one model: whatever it resumed is where it goes on
    a = align(&split[1], 1);
    CHECK_TRUE(a.action == PLAN_GO_ON);
    CHECK_EQ_I64(a.common, 2);
}

int main(void) {
    test_slice();
    test_completed_round();
    test_align();
    return check_report();
}
