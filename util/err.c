/* util/err.c — fatal errors; see err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timer.h"

static AbortHook abort_hook = NULL;
static int identity_rank = -1;
static char identity_role[16] = "";

void err_set_abort_hook(AbortHook hook) { abort_hook = hook; }

void err_set_identity(int rank, const char *role) {
    identity_rank = rank;
    snprintf(identity_role, sizeof identity_role, "%s", role ? role : "");
}

const char *err_identity(char *buf, int size) {
    double t = timer_since_start();
    if (identity_rank >= 0 && identity_role[0])
        snprintf(buf, (size_t)size, "[%04d %s %.3fs] ", identity_rank, identity_role, t);
    else if (identity_rank >= 0)
        snprintf(buf, (size_t)size, "[%04d %.3fs] ", identity_rank, t);
    else
        snprintf(buf, (size_t)size, "[%.3fs] ", t);
    return buf;
}

static noreturn void end_process(int code) {
    fflush(stdout);
    fflush(stderr);
    if (abort_hook) abort_hook(code);
    exit(code);
}

void die_at(const char *file, int line, const char *func, const char *fmt, ...) {
    char id[64];
    fflush(stdout);
    fprintf(stderr, "%sFATAL %s:%d %s(): ", err_identity(id, sizeof id), file, line, func);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    end_process(1);
}

void user_error(const char *fmt, ...) {
    fflush(stdout);
    if (identity_rank > 0) end_process(2);  // rank 0 speaks for everyone; the others stay quiet
    fputs("error: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    end_process(2);
}

int err_set(ErrMsg *e, const char *fmt, ...) {
    if (!e) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}
