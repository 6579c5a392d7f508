/* tests/comm_check.h — shared pieces of the comm/ tests: a hash for rank-dependent test data, and
   the common ending (everything the comm layer allocated has been given back, every rank agrees
   on failure, MPI is finalized, and the "N passed, N failed" line is printed). Include after
   check.h. */
#ifndef CONCORD_TESTS_COMM_CHECK_H
#define CONCORD_TESTS_COMM_CHECK_H

#include <stdint.h>

#include "comm/comms.h"
#include "util/alloc.h"

// splitmix64 finaliser: well-mixed test values from small integers, the same on every rank.
static inline uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static int comm_test_finish(void) {
    const char *labels[] = {"comms.roles",         "exchange.counts",  "exchange.headers",
                            "exchange.int_counts", "exchange.tokens",  "exchange.data",
                            "exchange.scatter",    "exchange.text",    "allreduce.slots",
                            "allreduce.units",     "allreduce.order",  "allreduce.plan",
                            "allreduce.stage",     "allreduce.buckets"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        CHECK_MSG(alloc_live_bytes(labels[i]) == 0, "%s: %zu bytes still allocated", labels[i],
                  alloc_live_bytes(labels[i]));
    int failed = check_failed, any = 0;
    MPI_CHECK(MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    comms_finalize();
    if (any && !check_failed) check_failed = 1;
    return check_report();
}

#endif
