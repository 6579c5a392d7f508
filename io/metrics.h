/* io/metrics.h — run_dir/metrics.jsonl: one JSON object per line (one per round; round 0 is the
   SFT warm-up), appended and flushed line by line so a crash loses nothing. Records are built
   with typed setters (NaN and Inf become null); readers get the summary table and, on resume, the
   file is cut back to the rounds that the checkpoint being resumed has completed. */
#ifndef CONCORD_IO_METRICS_H
#define CONCORD_IO_METRICS_H

#include <stdio.h>

#include "util/err.h"

typedef struct MetricsRecord MetricsRecord;  // one line under construction (opaque)

MetricsRecord *metrics_record_new(void);
void metrics_record_free(MetricsRecord *r);
/* Sets key (in the nested object `group` when group is not NULL) to a number, integer or text. */
void metrics_set_num(MetricsRecord *r, const char *group, const char *key, double v);
void metrics_set_int(MetricsRecord *r, const char *group, const char *key, long long v);
void metrics_set_str(MetricsRecord *r, const char *group, const char *key, const char *v);
/* Sets key to a list of n numbers (NaN and Inf as null). */
void metrics_set_list(MetricsRecord *r, const char *group, const char *key, const double *v, int n);
/* Appends the record as one line to path, flushed and fsynced. */
int metrics_append(const char *path, const MetricsRecord *r, ErrMsg *e) WARN_UNUSED_RESULT;

/* Rewrites path keeping only lines whose "round" is <= max_round (atomic: tmp + rename). A
   missing file is fine. */
int metrics_truncate(const char *path, int max_round, ErrMsg *e) WARN_UNUSED_RESULT;

/* Prints the per-round table (round, greedy and maj@K accuracy, judge accuracy, kept fraction,
   label accuracy of kept pairs, judge agreement, loss, seconds) from path. */
int metrics_print_summary(const char *path, FILE *out, ErrMsg *e) WARN_UNUSED_RESULT;

/* Prints the ensemble's per-round table (round, mean greedy accuracy of the models, their vote's
   accuracy, kept fraction, kept labels' accuracy, seconds, each model's greedy accuracy, and the
   accuracy per level when present) from an ensemble metrics file. */
int metrics_print_ensemble_summary(const char *path, FILE *out, ErrMsg *e) WARN_UNUSED_RESULT;

/* Reads every line's value of key (top level) into values (max n); returns the count read, with
   rounds[i] the line's "round" (-1 when absent, not a number or beyond int's range). NaN for
   null, absent, not a number, or a number beyond double's range (the readers below alike). -1
   with e on a malformed file. */
int metrics_read_column(const char *path, const char *key, int *rounds, double *values, int n,
                        ErrMsg *e);

/* Reads every line's list value of key (top level): line i's j-th entry goes to
   values[i * max_len + j] (NaN for null, absent or past the line's list); *len is the longest
   list seen (at most max_len). Returns the count of lines read (max n_rounds), rounds[i] the
   line's "round"; -1 with e on a malformed file. */
int metrics_read_list(const char *path, const char *key, int *rounds, double *values, int n_rounds,
                      int max_len, int *len, ErrMsg *e);

/* Reads every line's object value of key whose member names are integers (level -> value):
   levels[0..*n_levels) is the sorted union of the names over all lines (at most max_levels),
   values[i * max_levels + j] line i's value for levels[j] (NaN where null or absent). Returns the
   count of lines read (max n_rounds), rounds[i] the line's "round"; -1 with e on a malformed
   file. */
int metrics_read_levels(const char *path, const char *key, int *rounds, int *levels, double *values,
                        int n_rounds, int max_levels, int *n_levels, ErrMsg *e);

#endif
