/* io/prefbuf.h — the per-round preference file prefs/round_NNNN.h5, one file per round.
   A round's pairs are stored as columns /pairs/<name>, every one with N rows (N may be 0), chunked
   along rows and optionally shuffle+deflate compressed; round metadata and the file identity are
   root attributes, per-round statistics are attributes of /stats plus the (J, J) dataset
   /stats/agreement. The label column uses the committed enum /types/pref_label; files written
   before CHOSEN_ONLY existed (a three-member enum) are still read. A row without a rejected
   response (CHOSEN_ONLY, or DROPPED without one) has rejected_idx -1 and rejected_len 0; a DROPPED
   row without a chosen response has chosen_idx -1 and chosen_len 0.
   Invariants: the file is written under round_NNNN.h5.tmp and renamed only after the root attribute
   complete=1 was written, the file closed and fsynced, so a file with the final name is always
   complete and a crash never touches an earlier round. pair_id = round<<32 | global row index.
   Every dataset carries crc32 (io/h5util.h); prefbuf_open checks every column (each rank a share
   of the rows) and refuses a mismatch naming the dataset. A failed write (a full disk) removes
   the .tmp file and returns an error naming it.
   Writing is collective over a communicator of aggregator ranks; reading is collective over the
   communicator passed to prefbuf_open (MPI_COMM_SELF for tools). */
#ifndef CONCORD_IO_PREFBUF_H
#define CONCORD_IO_PREFBUF_H

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#include "train/tokenizer.h"
#include "util/err.h"

#define PREFBUF_FORMAT         "concord.prefs"
#define PREFBUF_FORMAT_VERSION 1
#define PREFBUF_MAX_JUDGES     16   // most judges one round can record
#define PREFBUF_NAME_LEN       32   // bytes of a judge name, NUL included
#define PREFBUF_MAX_STATS      32   // most named statistics per round
#define PREFBUF_STAT_NAME_LEN  48   // bytes of a statistic name, NUL included
#define PREFBUF_AGG_LEN        32   // bytes of the aggregation mode string, NUL included
#define PREFBUF_CREATED_BY_LEN 128  // bytes of the created_by string, NUL included

/* Aggregated decision of a pair; stored as the committed enum pref_label (int8). CHOSEN_ONLY:
   a consensus answer without dissent, no rejected response; trained on by likelihood only. */
typedef enum {
    PREF_DROPPED = -1,
    PREF_TIE = 0,
    PREF_PREFERRED = 1,
    PREF_CHOSEN_ONLY = 2
} PrefLabel;

/* One round's pairs as columns. Token arrays are right-padded with TOK_PAD. */
typedef struct {
    int64_t n;              // rows held
    int32_t P, R, J;        // max prompt length, max response length, judges
    int64_t *prompt_id;     // (N) index of the prompt in the round's prompt set
    int64_t *pair_id;       // (N) round<<32 | global row index within the round
    int32_t *chosen_idx;    // (N) which of the K samples is the chosen response; -1 = none
    int32_t *rejected_idx;  // (N) which of the K samples is the rejected response; -1 = none
    int32_t *prompt;        // (N, P) prompt tokens
    int32_t *prompt_len;    // (N) tokens used in prompt, in [0, P]
    int32_t *chosen;        // (N, R) chosen response tokens
    int32_t *chosen_len;    // (N) in [0, R]
    int32_t *rejected;      // (N, R) rejected response tokens
    int32_t *rejected_len;  // (N) in [0, R]
    float *
        judge_scores;  // (N, J, 2) [i,j,0] judge j's score of chosen, [i,j,1] of rejected; NaN = abstained
    int8_t *label;          // (N) PrefLabel
    float *prob;            // (N) aggregated P(chosen > rejected)
    float *weight;          // (N) loss weight / soft label (e.g. CREAM's consistency C)
    float *confidence;      // (N) judge agreement in [0, 1]
    int8_t *label_correct;  // (N) 1 correct, 0 wrong, -1 when the task has no ground truth
} PrefRows;

/* One named per-round statistic (an attribute of /stats). */
typedef struct {
    char name[PREFBUF_STAT_NAME_LEN];  // snake_case, NUL-terminated
    double value;                      // NaN when undefined this round
} PrefStat;

/* Round metadata and statistics. Plain data, no heap: copy freely. */
typedef struct {
    int32_t round;    // round number r >= 0
    int32_t P, R, J;  // as in PrefRows; 1 <= J <= PREFBUF_MAX_JUDGES
    char judge_names[PREFBUF_MAX_JUDGES][PREFBUF_NAME_LEN];  // (J) judge j's name
    char charset[TOKENIZER_MAX_CHARS + 1];  // tokenizer charset (decodes the tokens)
    char aggregation[PREFBUF_AGG_LEN];      // consistency rule, e.g. "unanimous"
    int32_t n_stats;                        // entries used in stats
    PrefStat stats[PREFBUF_MAX_STATS];      // (n_stats) in writing order
    float agreement[PREFBUF_MAX_JUDGES * PREFBUF_MAX_JUDGES];  // (J, J) row-major judge agreement
    int64_t n_rows;                           // rows in the file (filled by the reader)
    char created_by[PREFBUF_CREATED_BY_LEN];  // writer's build (filled by the reader)
} PrefMeta;

/* An open, verified round file. */
typedef struct {
    hid_t file;       // H5I_INVALID_HID when closed
    MPI_Comm comm;    // communicator it was opened on (not owned)
    char path[1024];  // file name, for messages
    PrefMeta meta;    // metadata and statistics read at open
} PrefFile;

/* Allocates every column of rows for n rows (n may be 0: the pointers are then valid and empty);
   token arrays are zero (TOK_PAD). Caller frees with prefbuf_rows_free. Dies on out of memory. */
void prefbuf_rows_alloc(PrefRows *rows, int64_t n, int32_t P, int32_t R, int32_t J);
/* Frees the columns and zeroes the struct; safe to call twice. */
void prefbuf_rows_free(PrefRows *rows);

/* Sets meta to an empty round (no judges, no stats, default charset) with the given shape. */
void prefbuf_meta_init(PrefMeta *meta, int32_t round, int32_t P, int32_t R, int32_t J);
/* Appends a named statistic; dies if the table is full or the name is invalid or repeated. */
void prefbuf_meta_add_stat(PrefMeta *meta, const char *name, double value);
/* Looks up a statistic by name; returns 0 and sets *value, or -1 if absent. */
int prefbuf_meta_get_stat(const PrefMeta *meta, const char *name, double *value);

/* Writes "<run_dir>/prefs/round_NNNN.h5" (suffix ".tmp" when tmp != 0) into out; dies if too long. */
void prefbuf_path(char *out, size_t size, const char *run_dir, int32_t round, int tmp);

/* Collective(comm). Fills mine->pair_id with round<<32 | global row index, the global order being
   rank order. Returns this rank's first global row; *total (may be NULL) gets the round's N. */
int64_t prefbuf_assign_pair_ids(PrefRows *mine, int32_t round, MPI_Comm comm, int64_t *total);

/* Collective(comm). Writes the round file of meta->round under run_dir/prefs (created if absent):
   each rank passes its rows (n may be 0; pair_id must come from prefbuf_assign_pair_ids); meta is
   taken from rank 0. compress_level 0 = no filters, 1..9 = shuffle+deflate. Returns 0, or -1 with e
   filled on every rank (directory or file not creatable, rename failed). Dies on an HDF5 error
   after the file exists (a *.tmp file stays behind; readers reject it, the next write replaces it). */
int prefbuf_write_round(const char *run_dir, const PrefMeta *meta, const PrefRows *mine,
                        int compress_level, MPI_Comm comm, ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective(comm). Opens a complete round file read-only and reads its metadata and statistics.
   Errors (same on every rank): missing, not HDF5, truncated/damaged, other format, wrong version
   (with a HINT line), incomplete, inconsistent layout, a label value outside pref_label. Close
   with prefbuf_close. */
int prefbuf_open(PrefFile *f, const char *path, MPI_Comm comm, ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective(f->comm). Reads rows [first, first+count) into rows (allocated here; caller frees with
   prefbuf_rows_free); ranks may pass different ranges, count may be 0. Error if out of range. */
int prefbuf_read_rows(PrefFile *f, int64_t first, int64_t count, PrefRows *rows,
                      ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective(f->comm) when open. Closes the file; safe to call twice. */
void prefbuf_close(PrefFile *f);

/* Collective(comm). Opens path, reads its metadata and all rows, closes it. Caller frees rows. */
int prefbuf_load(const char *path, MPI_Comm comm, PrefMeta *meta, PrefRows *rows,
                 ErrMsg *e) WARN_UNUSED_RESULT;

/* Local. Lists the rounds with a final file round_NNNN.h5 in run_dir/prefs, ascending (temporary
   and foreign files are ignored; no prefs/ folder means none). *rounds is xmalloc'ed (caller
   xfrees; NULL when *n == 0). Error if run_dir cannot be read. */
int prefbuf_list_rounds(const char *run_dir, int32_t **rounds, int *n,
                        ErrMsg *e) WARN_UNUSED_RESULT;

#endif
