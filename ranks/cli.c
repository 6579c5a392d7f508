/* ranks/cli.c — command-line helpers; see cli.h. */
#include "ranks/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_collect_sets(CliSets *sets, int argc, char **argv, const char *cmd) {
    sets->n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--set") != 0 || i + 1 >= argc) {
            fprintf(stderr,
                    "error: %s: unexpected argument \"%s\" (expected --set key.path=value)\n", cmd,
                    argv[i]);
            return -1;
        }
        if (sets->n == CLI_MAX_SETS) {
            fprintf(stderr, "error: %s: more than %d --set options\n", cmd, CLI_MAX_SETS);
            return -1;
        }
        sets->items[sets->n++] = argv[++i];
    }
    return 0;
}

int cli_parse_int(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "error: %s: expected an integer in [%lld, %lld], got \"%s\"\n", opt,
                (long long)lo, (long long)hi, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *text, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "error: %s: expected a number in [%g, %g], got \"%s\"\n", opt, lo, hi,
                text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_value(int argc, char **argv, int *i, const char **out) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "error: option %s needs a value\n", argv[*i]);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}
