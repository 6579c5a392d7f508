/* ranks/plan.c — batch shares and the ensemble's resume decision; see plan.h. */
#include "ranks/plan.h"

void plan_slice(int64_t total, int L, int li, int64_t *lo, int64_t *n) {
    *lo = (int64_t)li * total / L;
    *n = (int64_t)(li + 1) * total / L - *lo;
}

int plan_completed_round(int round, Phase phase) { return phase == PHASE_DONE ? round : round - 1; }

void plan_align(const PlanPos *pos, int K, PlanAlign *out) {
    int same = 1, lo = 0, hi = 0, common = 0;
    for (int k = 0; k < K; k++) {
        // a fresh start has no round or phase: it matches only another fresh start
        int round = pos[k].resumed ? pos[k].round : -1;
        int done = pos[k].resumed ? plan_completed_round(pos[k].round, pos[k].phase) : -1;
        if (k == 0 || round < lo) lo = round;
        if (k == 0 || round > hi) hi = round;
        if (k == 0 || done < common) common = done;
        if (k > 0 &&
            (pos[k].resumed != pos[0].resumed ||
             (pos[k].resumed && (pos[k].round != pos[0].round || pos[k].phase != pos[0].phase))))
            same = 0;
    }
    out->action = same ? PLAN_GO_ON : common < 0 ? PLAN_FRESH : PLAN_BACK;
    out->common = common;
    out->lo_round = lo;
    out->hi_round = hi;
}
