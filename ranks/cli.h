/* ranks/cli.h — small command-line helpers shared by the subcommands: --set collection and number
   parsing that reports the option, the expected form and what was given. Errors are printed
   ("error: ...") and reported as -1; the caller returns exit status 2. */
#ifndef CONCORD_RANKS_CLI_H
#define CONCORD_RANKS_CLI_H

#include <stdint.h>

#define CLI_MAX_SETS 64

typedef struct {
    int n;                            // overrides collected
    const char *items[CLI_MAX_SETS];  // "key.path=value", borrowed from argv
} CliSets;

/* Collects "--set k=v" pairs from argv; anything else is an error naming cmd. */
int cli_collect_sets(CliSets *sets, int argc, char **argv, const char *cmd);

/* Parses text as an integer in [lo, hi] for option opt. */
int cli_parse_int(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out);
/* Parses text as a finite number in [lo, hi] for option opt. */
int cli_parse_double(const char *opt, const char *text, double lo, double hi, double *out);
/* Takes the value following option argv[*i] (advancing *i); error when it is missing. */
int cli_value(int argc, char **argv, int *i, const char **out);

#endif
