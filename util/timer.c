/* util/timer.c — monotonic timers; see timer.h. */
#include "util/timer.h"

#include <time.h>

double timer_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double timer_since_start(void) {
    static double start = -1.0;
    double now = timer_now();
    if (start < 0.0) start = now;
    return now - start;
}
