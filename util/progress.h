/* util/progress.h — progress of a long phase (SFT steps, generation, judging, training).
   On a terminal: one line rewritten in place with count, rate and ETA. Otherwise (logs, Slurm
   output files): a plain line at most every `interval` seconds and at the end. Only processes that
   called log_set_root(1) print (see util/log.h). */
#ifndef CONCORD_UTIL_PROGRESS_H
#define CONCORD_UTIL_PROGRESS_H

#include <stdint.h>

typedef struct {
    char what[48];      // phase name, e.g. "sft step"
    int64_t total;      // units expected (<= 0: unknown)
    int64_t done;       // units done
    double start;       // timer_now() at start
    double last_print;  // timer_now() of the last line
    double interval;    // seconds between plain lines
    int tty;            // 1: stderr is a terminal
    int enabled;        // 0: prints nothing
    char extra[96];     // caller's detail appended to the line (e.g. "loss 1.234")
} Progress;

void progress_start(Progress *p, const char *what, int64_t total);
/* Sets the units done and an optional detail (printf format; NULL for none); prints if due. */
void progress_update(Progress *p, int64_t done, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints the final line (rate and elapsed time). */
void progress_end(Progress *p);

#endif
