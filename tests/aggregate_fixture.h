/* tests/aggregate_fixture.h — small helpers shared by the aggregation tests (test_aggregate,
   test_consensus): default params, a run that reports unexpected errors, a statistic lookup, an expected refusal. */
#ifndef CONCORD_TESTS_AGGREGATE_FIXTURE_H
#define CONCORD_TESTS_AGGREGATE_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "train/aggregate.h"

static AggParams params(AggMode mode, int judge, AggPairsRule pairs) {
    AggParams par = {mode, judge, -1, pairs, AGG_TIES_DROP, AGG_CREAM_PER_PAIR, 0.0, 0.0};
    return par;
}

static int run(const AggInput *in, const AggParams *par, AggPairs *out, AggStats *st) {
    ErrMsg e = {{0}};
    int rc = aggregate_round(in, par, out, st, &e);
    if (rc) fprintf(stderr, "unexpected error: %s\n", e.msg);
    return rc;
}

static double stat(const AggStats *st, const char *name) {
    double v = -999.0;
    CHECK_MSG(aggregate_stats_get(st, name, &v) == 0, "statistic %s missing", name);
    return v;
}

// Expects aggregate_round to refuse the input with a message containing want.
static void expect_error(const AggInput *in, const AggParams *par, const char *want, int line) {
    ErrMsg e = {{0}};
    AggPairs o;
    AggStats st;
    int rc = aggregate_round(in, par, &o, &st, &e);
    CHECK_MSG(rc == -1 && strstr(e.msg, want) && o.n == 0 && o.prompt == NULL,
              "line %d: rc %d, message \"%s\", wanted \"%s\"", line, rc, e.msg, want);
    if (rc == 0) aggregate_pairs_free(&o);
}

#endif
