/* util/timer.h — monotonic wall-clock timers (CLOCK_MONOTONIC), in seconds as double. */
#ifndef CONCORD_UTIL_TIMER_H
#define CONCORD_UTIL_TIMER_H

/* Seconds on the monotonic clock (arbitrary origin). */
double timer_now(void);

/* Seconds since the first call of any timer function in this process. */
double timer_since_start(void);

#endif
