/* tests/comm_check.h — the common ending of the comm/ tests: everything the comm layer
   allocated has been given back, every rank agrees on failure, MPI is finalized, and the
   "N passed, N failed" line is printed. Include after check.h. */
#ifndef CONCORD_TESTS_COMM_CHECK_H
#define CONCORD_TESTS_COMM_CHECK_H

#include "comm/comms.h"
#include "util/alloc.h"

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
