/* tests/check.h — assertion macros for the CTest executables.
   Each test counts passed and failed checks and ends with check_report(), which prints exactly one
   line "N passed, N failed" and returns the exit status (0 when nothing failed). */
#ifndef CONCORD_TESTS_CHECK_H
#define CONCORD_TESTS_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

static int check_passed = 0;
static int check_failed = 0;

#define CHECK_TRUE(cond)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            check_passed++;                                                 \
        } else {                                                            \
            check_failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                   \
    } while (0)

#define CHECK_MSG(cond, ...)                                     \
    do {                                                         \
        if (cond) {                                              \
            check_passed++;                                      \
        } else {                                                 \
            check_failed++;                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fputc('\n', stderr);                                 \
        }                                                        \
    } while (0)

/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                                    \
    do {                                                                                         \
        double check_a_ = (double)(a), check_b_ = (double)(b);                                   \
        if (fabs(check_a_ - check_b_) <= (tol)) {                                                \
            check_passed++;                                                                      \
        } else {                                                                                 \
            check_failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d: %s = %.9g vs %s = %.9g (tol %g)\n", __FILE__, __LINE__, \
                    #a, check_a_, #b, check_b_, (double)(tol));                                  \
        }                                                                                        \
    } while (0)

#define CHECK_EQ_I64(a, b)                                                                  \
    do {                                                                                    \
        int64_t check_a_ = (int64_t)(a), check_b_ = (int64_t)(b);                           \
        if (check_a_ == check_b_) {                                                         \
            check_passed++;                                                                 \
        } else {                                                                            \
            check_failed++;                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s = %lld vs %s = %lld\n", __FILE__, __LINE__, #a, \
                    (long long)check_a_, #b, (long long)check_b_);                          \
        }                                                                                   \
    } while (0)

/* Relative error of a against reference b, with a floor on the denominator. */
static inline double check_rel_err(double a, double b, double floor_) {
    double d = fabs(b) > floor_ ? fabs(b) : floor_;
    return fabs(a - b) / d;
}

static inline int check_report(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
