/* util/err.h — fatal errors for every layer.
   die() prints one message with the process identity ("[rank role time]") and the source location,
   then ends the process through the abort hook: exit(1) by default; comm/ installs MPI_Abort after
   MPI_Init so that one failing rank ends every rank instead of hanging the job.
   user_error() is for bad input (config, JSONL, HDF5, CLI): no source location, just the message the
   user needs (file, field, expected), same exit path. */
#ifndef CONCORD_UTIL_ERR_H
#define CONCORD_UTIL_ERR_H

#include <stdnoreturn.h>

/* Hook that ends the process after a fatal message; code is the exit status wanted. */
typedef void (*AbortHook)(int code);

/* Installs the hook die() calls (NULL restores exit()). Not thread-safe; call at start-up. */
void err_set_abort_hook(AbortHook hook);

/* Sets the identity printed before every message: world rank (-1 = none) and role name. */
void err_set_identity(int rank, const char *role);

/* Prints "[identity] file:line func(): message" to stderr and ends the process. */
noreturn void die_at(const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prints "error: message" (bad user input) to stderr and ends the process with code 2. */
noreturn void user_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes the identity prefix ("[0003 learner 12.345s] ") into buf; returns buf. */
const char *err_identity(char *buf, int size);

#define die(...) die_at(__FILE__, __LINE__, __func__, __VA_ARGS__)

/* Internal invariant: on failure dies naming the expression. */
#define CHECK(expr)                                  \
    do {                                             \
        if (!(expr)) die("check failed: %s", #expr); \
    } while (0)

/* Invariant with an explaining message. */
#define CHECKF(expr, ...)              \
    do {                               \
        if (!(expr)) die(__VA_ARGS__); \
    } while (0)

#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))

/* Recoverable errors (bad input the caller may report or handle): functions return a negative code
   and write one complete, user-facing sentence into an ErrMsg (file, field, expected, actual). */
typedef struct {
    char msg[2048];
} ErrMsg;

/* Formats msg into e (if e is not NULL) and returns -1, so callers can `return err_set(e, ...)`. */
int err_set(ErrMsg *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
