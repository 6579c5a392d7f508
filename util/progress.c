/* util/progress.c — progress lines; see progress.h. */
#include "util/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/timer.h"

void progress_start(Progress *p, const char *what, int64_t total) {
    memset(p, 0, sizeof *p);
    snprintf(p->what, sizeof p->what, "%s", what);
    p->total = total;
    p->start = p->last_print = timer_now();
    p->interval = 10.0;
    p->tty = isatty(STDERR_FILENO);
    p->enabled = log_is_root_process();
}

static void print_line(Progress *p, int final) {
    double el = timer_now() - p->start;
    double rate = el > 0 ? (double)p->done / el : 0.0;
    char id[64], eta[32] = "";
    if (!final && p->total > 0 && rate > 0)
        snprintf(eta, sizeof eta, " ETA %.0fs", (double)(p->total - p->done) / rate);
    char count[48];
    if (p->total > 0)
        snprintf(count, sizeof count, "%lld/%lld", (long long)p->done, (long long)p->total);
    else
        snprintf(count, sizeof count, "%lld", (long long)p->done);
    fprintf(stderr, "%s%s%s %s  %.1f/s  %.1fs%s%s%s%s", p->tty ? "\r" : "",
            err_identity(id, sizeof id), p->what, count, rate, el, eta, p->extra[0] ? "  " : "",
            p->extra, p->tty ? "\033[K" : "");
    if (!p->tty || final) fputc('\n', stderr);
    fflush(stderr);
    p->last_print = timer_now();
}

void progress_update(Progress *p, int64_t done, const char *fmt, ...) {
    p->done = done;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->extra, sizeof p->extra, fmt, ap);
        va_end(ap);
    }
    if (!p->enabled) return;
    double due = p->tty ? 0.2 : p->interval;
    if (timer_now() - p->last_print >= due) print_line(p, 0);
}

void progress_end(Progress *p) {
    if (p->enabled) print_line(p, 1);
}
