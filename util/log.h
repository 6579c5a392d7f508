/* util/log.h — rank- and role-stamped log lines on stderr ("[0003 learner 12.345s] message").
   log_info prints on every process; log_root only where log_set_root(1) was called (rank 0 of a
   role), so a 64-rank job prints one line per event, not 64. */
#ifndef CONCORD_UTIL_LOG_H
#define CONCORD_UTIL_LOG_H

/* Marks this process as the one that prints log_root lines (default: yes). */
void log_set_root(int is_root);
/* 1 when this process prints log_root lines and progress (and quiet mode is off). */
int log_is_root_process(void);
/* 1 when quiet mode is on (log_info and log_root print nothing; warnings still print). */
void log_set_quiet(int quiet);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_root(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
