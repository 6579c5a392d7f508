/* util/log.c — stamped log lines; see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

static int log_is_root = 1;
static int log_quiet = 0;

void log_set_root(int is_root) { log_is_root = is_root; }
void log_set_quiet(int quiet) { log_quiet = quiet; }
int log_is_root_process(void) { return log_is_root && !log_quiet; }

static void vlog(const char *tag, const char *fmt, va_list ap) {
    char id[64];
    fprintf(stderr, "%s%s", err_identity(id, sizeof id), tag);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
}

void log_info(const char *fmt, ...) {
    if (log_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void log_root(const char *fmt, ...) {
    if (log_quiet || !log_is_root) return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog("WARNING: ", fmt, ap);
    va_end(ap);
}
