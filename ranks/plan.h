/* ranks/plan.h — the scheduling decisions of ranks/ that need no MPI, kept here so unit tests
   reach them: how a batch is shared among learners, and where the models of an ensemble go on
   after a resume. The callers gather the inputs with MPI and act on the answers. */
#ifndef CONCORD_RANKS_PLAN_H
#define CONCORD_RANKS_PLAN_H

#include <stdint.h>

#include "ranks/phase.h"

/* Learner li of L takes items [*lo, *lo + *n) of a batch of `total`: contiguous in learner
   order, covering the batch exactly once, shares differing by at most one (some may be empty
   when total < L). */
void plan_slice(int64_t total, int L, int li, int64_t *lo, int64_t *n);

/* The last round a run standing at (round, phase) has completed: round itself when the phase is
   done, else round - 1 (-1: not even the SFT). */
int plan_completed_round(int round, Phase phase);

/* One model's position after reading its LATEST (or finding none). */
typedef struct {
    int resumed;  // 0: a fresh start (round and phase are not looked at)
    int round;
    Phase phase;
} PlanPos;

typedef enum {
    PLAN_GO_ON,  // every model stands at the same (round, phase): go on as they are
    PLAN_BACK,   // they differ: every model resumes from the end of round `common`
    PLAN_FRESH,  // they differ and some model has completed nothing: every model starts afresh
} PlanAction;

typedef struct {
    PlanAction action;
    int common;              // the last round every model completed (-1: none); metrics lines
                             // after it are dropped
    int lo_round, hi_round;  // the models' rounds (a fresh start counts as -1), for messages
} PlanAlign;

/* Where K models go on from: they need not agree on steps inside a phase (the groups meet only at
   its end), but must on (round, phase); otherwise all go back to the last round every one of them
   completed. K >= 1; pos may hold one entry per rank instead of per model (repeats change
   nothing). */
void plan_align(const PlanPos *pos, int K, PlanAlign *out);

#endif
