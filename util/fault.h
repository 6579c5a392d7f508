/* util/fault.h — named fault-injection points for crash tests.
   fault_point("ckpt.before_rename") does nothing unless the environment variable CONCORD_FAULT names
   that point (comma-separated list; "name@N" fires on the N-th time the point is reached, counting
   from 1), in which case the process kills itself with SIGKILL: exactly what a node failure or
   `kill -9` does at that moment. Tests use it to prove that no crash point loses or corrupts work.
   CONCORD_FAULT_RANK=R restricts the injection to the process whose rank (fault_set_rank) is R.
   CONCORD_FAULT_ACTION selects what happens instead of SIGKILL: "die" (a fatal error through
   die(), as a bug or I/O failure would do), "sigterm" (raise SIGTERM, as a preemption does),
   "stop" (raise SIGSTOP: every thread freezes, the process stays, as on a hung node) or "sleep"
   (the calling thread sleeps CONCORD_FAULT_SLEEP seconds, default 10: a long but live phase).
   Cost when unused: one getenv on the first call, then a pointer test. */
#ifndef CONCORD_UTIL_FAULT_H
#define CONCORD_UTIL_FAULT_H

/* Kills the process with SIGKILL if CONCORD_FAULT selects this point (see above). */
void fault_point(const char *name);

/* For faults that are not crashes: returns 1 (instead of killing) when CONCORD_FAULT selects this
   point and CONCORD_FAULT_ACTION is "flag"; the caller then corrupts its own data (e.g. a NaN
   gradient). */
int fault_flag(const char *name);

/* Tells the fault module this process's rank (for CONCORD_FAULT_RANK); default 0. */
void fault_set_rank(int rank);

#endif
