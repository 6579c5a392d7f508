/* io/prefbuf.c — per-round preference files; see prefbuf.h.
   Layout (names fixed; every dataset has description and dims attributes):
     /                 attrs format, format_version, created_by, round, n_rows, max_prompt_len,
                             max_resp_len, n_judges, judge_names (J), charset, pad_id, aggregation,
                             complete (u8, written last)
     /types/pref_label committed enum int8 {DROPPED=-1, TIE=0, PREFERRED=1, CHOSEN_ONLY=2}
                       (older files: the first three only; read the same way)
     /pairs/<column>   one dataset per column of PrefRows (table COLS below), N rows, chunked
     /stats            one f64 attribute per statistic (creation order kept); dataset agreement (J, J)
   Write order (docs/design.md): every object is created first by all ranks, then rows are written
   collectively, then rank 0 writes /stats/agreement, then complete=1, close, fsync, rename. */
#include "io/prefbuf.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/collective.h"
#include "io/h5util.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/fs.h"
#include "version.h"

#define PREFBUF_CHUNK_ROWS 1024                // most rows per chunk
#define PREFBUF_CHUNK_BYTES ((size_t)4 << 20)  // a chunk of the widest column stays under this
#define PREFBUF_PATH_MAX 4096
#define PREFBUF_MAX_WIDTH (1 << 20)            // largest P or R accepted

/* ---- the column table: one entry per /pairs dataset, in file order ---- */

typedef enum { COL_I64, COL_I32, COL_F32, COL_I8, COL_LABEL } ColType;
typedef enum { W_1, W_P, W_R, W_J2 } ColWidth;  // row shape: (), (P), (R), (J, 2)

typedef struct {
    const char *name;         // dataset name under /pairs
    size_t offset;            // offsetof of the column pointer in PrefRows
    ColType type;             // element type
    ColWidth width;           // row shape
    const char *description;  // description attribute
} PrefColumn;

static const PrefColumn COLS[] = {
    {"prompt_id", offsetof(PrefRows, prompt_id), COL_I64, W_1,
     "index of the prompt in the round's prompt set"},
    {"pair_id", offsetof(PrefRows, pair_id), COL_I64, W_1,
     "round<<32 | row index within the round (unique across rounds)"},
    {"chosen_idx", offsetof(PrefRows, chosen_idx), COL_I32, W_1,
     "which of the K samples of the prompt is the chosen response; -1 = none (DROPPED)"},
    {"rejected_idx", offsetof(PrefRows, rejected_idx), COL_I32, W_1,
     "which of the K samples of the prompt is the rejected response; -1 = none (CHOSEN_ONLY)"},
    {"prompt_len", offsetof(PrefRows, prompt_len), COL_I32, W_1, "prompt tokens used, <= P"},
    {"prompt", offsetof(PrefRows, prompt), COL_I32, W_P,
     "prompt token ids, right-padded with pad_id (decode with the root attribute charset)"},
    {"chosen_len", offsetof(PrefRows, chosen_len), COL_I32, W_1, "chosen tokens used, <= R"},
    {"chosen", offsetof(PrefRows, chosen), COL_I32, W_R,
     "token ids of the response judged better, right-padded with pad_id"},
    {"rejected_len", offsetof(PrefRows, rejected_len), COL_I32, W_1, "rejected tokens used, <= R"},
    {"rejected", offsetof(PrefRows, rejected), COL_I32, W_R,
     "token ids of the response judged worse, right-padded with pad_id; empty (rejected_len 0) "
     "when rejected_idx = -1"},
    {"judge_scores", offsetof(PrefRows, judge_scores), COL_F32, W_J2,
     "[n, j, 0] judge j's score of chosen, [n, j, 1] of rejected (judges: root attribute "
     "judge_names); NaN = the judge abstained"},
    {"label", offsetof(PrefRows, label), COL_LABEL, W_1,
     "aggregated decision: PREFERRED = train on the pair, TIE, DROPPED = judges disagree, "
     "CHOSEN_ONLY = no rejected response (likelihood training only)"},
    {"prob", offsetof(PrefRows, prob), COL_F32, W_1, "aggregated P(chosen preferred to rejected)"},
    {"weight", offsetof(PrefRows, weight), COL_F32, W_1,
     "loss weight / soft label of the pair (e.g. CREAM consistency)"},
    {"confidence", offsetof(PrefRows, confidence), COL_F32, W_1,
     "agreement of the judges on the pair, in [0, 1]"},
    {"label_correct", offsetof(PrefRows, label_correct), COL_I8, W_1,
     "1 = the chosen response is correct by ground truth, 0 = wrong, -1 = no ground truth"},
};
#define N_COLS ((int)(sizeof COLS / sizeof COLS[0]))

static const char *const WIDTH_DIMS[] = {"(N)", "(N, P)", "(N, R)", "(N, J, 2)"};

static size_t col_elem_size(ColType t) {
    switch (t) {
        case COL_I64: return 8;
        case COL_I32:
        case COL_F32: return 4;
        default: return 1;
    }
}

// Elements per row of a column.
static size_t col_row_elems(ColWidth w, int32_t P, int32_t R, int32_t J) {
    switch (w) {
        case W_P: return (size_t)P;
        case W_R: return (size_t)R;
        case W_J2: return (size_t)J * 2;
        default: return 1;
    }
}

static void **col_ptr(PrefRows *rows, const PrefColumn *c) {
    return (void **)((char *)rows + c->offset);
}

static const void *col_cptr(const PrefRows *rows, const PrefColumn *c) {
    return *(void *const *)((const char *)rows + c->offset);
}

// The enum type of the label column with its first n_members members: 4 = the current type
// (in memory and committed), 3 = files written before CHOSEN_ONLY. Caller closes.
static hid_t label_type_members(int n_members) {
    static const char *const names[] = {"DROPPED", "TIE", "PREFERRED", "CHOSEN_ONLY"};
    static const int8_t values[] = {PREF_DROPPED, PREF_TIE, PREF_PREFERRED, PREF_CHOSEN_ONLY};
    hid_t t = H5_CHECK(H5Tenum_create(H5T_STD_I8LE), "pref_label enum");
    for (int i = 0; i < n_members; i++)
        H5_CHECK(H5Tenum_insert(t, names[i], &values[i]), "pref_label enum");
    return t;
}

static hid_t label_type_create(void) { return label_type_members(4); }

static int label_ok(int v) { return v >= PREF_DROPPED && v <= PREF_CHOSEN_ONLY; }

// File/memory type of a column (label: the given enum type, not owned).
static hid_t col_h5type(ColType t, hid_t label_type) {
    switch (t) {
        case COL_I64: return H5T_STD_I64LE;
        case COL_I32: return H5T_STD_I32LE;
        case COL_F32: return H5T_IEEE_F32LE;
        case COL_I8: return H5T_STD_I8LE;
        default: return label_type;
    }
}

/* ---- rows and metadata ---- */

void prefbuf_rows_alloc(PrefRows *rows, int64_t n, int32_t P, int32_t R, int32_t J) {
    CHECKF(n >= 0 && P >= 1 && R >= 1 && J >= 1, "prefbuf_rows_alloc: n=%lld P=%d R=%d J=%d",
           (long long)n, P, R, J);
    memset(rows, 0, sizeof *rows);
    rows->n = n;
    rows->P = P;
    rows->R = R;
    rows->J = J;
    for (int c = 0; c < N_COLS; c++) {
        size_t elems = (size_t)n * col_row_elems(COLS[c].width, P, R, J);
        // One spare element so n == 0 still gives valid pointers.
        *col_ptr(rows, &COLS[c]) = xcalloc("prefbuf.rows", elems + 1, col_elem_size(COLS[c].type));
    }
}

void prefbuf_rows_free(PrefRows *rows) {
    for (int c = 0; c < N_COLS; c++) xfree(*col_ptr(rows, &COLS[c]));
    memset(rows, 0, sizeof *rows);
}

void prefbuf_meta_init(PrefMeta *meta, int32_t round, int32_t P, int32_t R, int32_t J) {
    memset(meta, 0, sizeof *meta);
    meta->round = round;
    meta->P = P;
    meta->R = R;
    meta->J = J;
    snprintf(meta->charset, sizeof meta->charset, "%s", TOKENIZER_DEFAULT_CHARSET);
    snprintf(meta->aggregation, sizeof meta->aggregation, "unanimous");
}

static int stat_name_ok(const char *name) {
    size_t len = strnlen(name, PREFBUF_STAT_NAME_LEN);
    if (len == 0 || len >= PREFBUF_STAT_NAME_LEN) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

void prefbuf_meta_add_stat(PrefMeta *meta, const char *name, double value) {
    CHECKF(stat_name_ok(name), "prefbuf: statistic name '%s' is not [A-Za-z0-9_]{1,%d}", name,
           PREFBUF_STAT_NAME_LEN - 1);
    CHECKF(meta->n_stats < PREFBUF_MAX_STATS, "prefbuf: more than %d statistics", PREFBUF_MAX_STATS);
    double old;
    CHECKF(prefbuf_meta_get_stat(meta, name, &old) < 0, "prefbuf: statistic '%s' added twice", name);
    PrefStat *s = &meta->stats[meta->n_stats++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->value = value;
}

int prefbuf_meta_get_stat(const PrefMeta *meta, const char *name, double *value) {
    for (int i = 0; i < meta->n_stats; i++)
        if (strcmp(meta->stats[i].name, name) == 0) {
            *value = meta->stats[i].value;
            return 0;
        }
    return -1;
}

void prefbuf_path(char *out, size_t size, const char *run_dir, int32_t round, int tmp) {
    int len = snprintf(out, size, "%s/prefs/round_%04d.h5%s", run_dir, (int)round, tmp ? ".tmp" : "");
    CHECKF(len > 0 && (size_t)len < size, "prefbuf: path under '%s' is too long", run_dir);
}

/* ---- collective helpers ---- */

// Broadcasts rank 0's metadata field by field (no raw structs on the wire; docs/design.md).
static void bcast_meta(PrefMeta *m, MPI_Comm comm) {
    int32_t ints[5] = {m->round, m->P, m->R, m->J, m->n_stats};
    IO_MPI_CHECK(MPI_Bcast(ints, 5, MPI_INT32_T, 0, comm));
    m->round = ints[0], m->P = ints[1], m->R = ints[2], m->J = ints[3], m->n_stats = ints[4];
    IO_MPI_CHECK(MPI_Bcast(m->judge_names, (int)sizeof m->judge_names, MPI_CHAR, 0, comm));
    IO_MPI_CHECK(MPI_Bcast(m->charset, (int)sizeof m->charset, MPI_CHAR, 0, comm));
    IO_MPI_CHECK(MPI_Bcast(m->aggregation, (int)sizeof m->aggregation, MPI_CHAR, 0, comm));
    char names[PREFBUF_MAX_STATS][PREFBUF_STAT_NAME_LEN];
    double values[PREFBUF_MAX_STATS];
    for (int i = 0; i < PREFBUF_MAX_STATS; i++) {
        memcpy(names[i], m->stats[i].name, PREFBUF_STAT_NAME_LEN);
        values[i] = m->stats[i].value;
    }
    IO_MPI_CHECK(MPI_Bcast(names, (int)sizeof names, MPI_CHAR, 0, comm));
    IO_MPI_CHECK(MPI_Bcast(values, PREFBUF_MAX_STATS, MPI_DOUBLE, 0, comm));
    for (int i = 0; i < PREFBUF_MAX_STATS; i++) {
        memcpy(m->stats[i].name, names[i], PREFBUF_STAT_NAME_LEN);
        m->stats[i].value = values[i];
    }
    int n_agree = PREFBUF_MAX_JUDGES * PREFBUF_MAX_JUDGES;
    IO_MPI_CHECK(MPI_Bcast(m->agreement, n_agree, MPI_FLOAT, 0, comm));
}

static int terminated(const char *s, size_t size) { return strnlen(s, size) < size; }

// Internal invariants of the metadata a writer passes (program data, not user input).
static void check_meta(const PrefMeta *m) {
    CHECKF(m->round >= 0, "prefbuf: round %d < 0", m->round);
    CHECKF(m->P >= 1 && m->P <= PREFBUF_MAX_WIDTH && m->R >= 1 && m->R <= PREFBUF_MAX_WIDTH,
           "prefbuf: P=%d R=%d out of [1, %d]", m->P, m->R, PREFBUF_MAX_WIDTH);
    CHECKF(m->J >= 1 && m->J <= PREFBUF_MAX_JUDGES, "prefbuf: J=%d out of [1, %d]", m->J,
           PREFBUF_MAX_JUDGES);
    for (int j = 0; j < m->J; j++)
        CHECKF(terminated(m->judge_names[j], PREFBUF_NAME_LEN) && m->judge_names[j][0],
               "prefbuf: judge name %d is empty or not terminated", j);
    CHECKF(terminated(m->charset, sizeof m->charset), "prefbuf: charset not terminated");
    CHECKF(terminated(m->aggregation, sizeof m->aggregation), "prefbuf: aggregation not terminated");
    CHECKF(m->n_stats >= 0 && m->n_stats <= PREFBUF_MAX_STATS, "prefbuf: n_stats=%d", m->n_stats);
    for (int i = 0; i < m->n_stats; i++) {
        CHECKF(stat_name_ok(m->stats[i].name), "prefbuf: bad statistic name at %d", i);
        for (int k = 0; k < i; k++)
            CHECKF(strcmp(m->stats[k].name, m->stats[i].name) != 0,
                   "prefbuf: statistic '%s' appears twice", m->stats[i].name);
    }
}

// Internal invariants of a rank's rows: shape, lengths, enum values, pair ids from first.
static void check_rows(const PrefRows *r, const PrefMeta *m, int64_t first) {
    CHECKF(r->n >= 0, "prefbuf: n=%lld", (long long)r->n);
    if (r->n == 0) return;
    CHECKF(r->P == m->P && r->R == m->R && r->J == m->J,
           "prefbuf: rows have (P, R, J) = (%d, %d, %d), the round (%d, %d, %d)", r->P, r->R, r->J,
           m->P, m->R, m->J);
    for (int64_t i = 0; i < r->n; i++) {
        CHECKF(r->prompt_len[i] >= 0 && r->prompt_len[i] <= m->P && r->chosen_len[i] >= 0 &&
                   r->chosen_len[i] <= m->R && r->rejected_len[i] >= 0 && r->rejected_len[i] <= m->R,
               "prefbuf: row %lld has a length out of range", (long long)i);
        CHECKF(label_ok(r->label[i]), "prefbuf: row %lld has label %d", (long long)i, r->label[i]);
        CHECKF(r->label[i] != PREF_CHOSEN_ONLY || r->rejected_idx[i] == -1,
               "prefbuf: row %lld is CHOSEN_ONLY with rejected_idx %d (expected -1)", (long long)i,
               r->rejected_idx[i]);
        CHECKF((r->rejected_idx[i] != -1 || r->rejected_len[i] == 0) &&
                   (r->chosen_idx[i] != -1 || r->chosen_len[i] == 0),
               "prefbuf: row %lld has no chosen or rejected response (index -1) but tokens",
               (long long)i);
        CHECKF(r->label_correct[i] >= -1 && r->label_correct[i] <= 1,
               "prefbuf: row %lld has label_correct %d", (long long)i, r->label_correct[i]);
        int64_t want = ((int64_t)m->round << 32) | (first + i);
        CHECKF(r->pair_id[i] == want,
               "prefbuf: row %lld has pair_id %lld, expected %lld (call prefbuf_assign_pair_ids)",
               (long long)i, (long long)r->pair_id[i], (long long)want);
    }
}

// Global offset of this rank's rows (MPI_Exscan, 0 on rank 0) and the total.
static int64_t row_offset(int64_t n, MPI_Comm comm, int64_t *total) {
    int rank;
    IO_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    int64_t first = 0, all = 0;
    IO_MPI_CHECK(MPI_Exscan(&n, &first, 1, MPI_INT64_T, MPI_SUM, comm));
    if (rank == 0) first = 0;  // Exscan leaves rank 0's result undefined
    IO_MPI_CHECK(MPI_Allreduce(&n, &all, 1, MPI_INT64_T, MPI_SUM, comm));
    if (total) *total = all;
    return first;
}

int64_t prefbuf_assign_pair_ids(PrefRows *mine, int32_t round, MPI_Comm comm, int64_t *total) {
    int64_t first = row_offset(mine->n, comm, total);
    for (int64_t i = 0; i < mine->n; i++) mine->pair_id[i] = ((int64_t)round << 32) | (first + i);
    return first;
}

/* ---- writing ---- */

static void write_root_attrs(hid_t file, const PrefMeta *m, int64_t n_rows) {
    h5_attr_write_str(file, "format", PREFBUF_FORMAT);
    h5_attr_write_i32(file, "format_version", PREFBUF_FORMAT_VERSION);
    h5_attr_write_str(file, "created_by", CONCORD_CREATED_BY);
    h5_attr_write_i32(file, "round", m->round);
    h5_attr_write_i64(file, "n_rows", n_rows);
    h5_attr_write_i32(file, "max_prompt_len", m->P);
    h5_attr_write_i32(file, "max_resp_len", m->R);
    h5_attr_write_i32(file, "n_judges", m->J);
    const char *names[PREFBUF_MAX_JUDGES];
    for (int j = 0; j < m->J; j++) names[j] = m->judge_names[j];
    h5_attr_write_str_array(file, "judge_names", names, m->J);
    h5_attr_write_str(file, "charset", m->charset);
    h5_attr_write_i32(file, "pad_id", TOK_PAD);
    h5_attr_write_str(file, "aggregation", m->aggregation);
    h5_mark_checksummed(file);
}

// Rows per chunk: at most PREFBUF_CHUNK_ROWS and N, and small enough for the widest column.
static hsize_t chunk_rows(int64_t n, const PrefMeta *m) {
    size_t widest = (size_t)m->P;
    if ((size_t)m->R > widest) widest = (size_t)m->R;
    if ((size_t)m->J * 2 > widest) widest = (size_t)m->J * 2;
    size_t rows = PREFBUF_CHUNK_BYTES / (widest * 4);
    if (rows > PREFBUF_CHUNK_ROWS) rows = PREFBUF_CHUNK_ROWS;
    if ((int64_t)rows > n) rows = (size_t)n;
    return rows < 1 ? 1 : (hsize_t)rows;
}

// Bytes of one row of column c.
static size_t col_row_bytes(const PrefColumn *c, const PrefMeta *m) {
    return col_row_elems(c->width, m->P, m->R, m->J) * col_elem_size(c->type);
}

// crc32 of every column over all ranks' rows: each rank checksums its own rows, one all-gather
// joins them in rank (= row) order.
static void column_crcs(const PrefRows *mine, const PrefMeta *m, MPI_Comm comm, uint32_t *crc) {
    uint64_t len[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        len[c] = (uint64_t)mine->n * col_row_bytes(&COLS[c], m);
        crc[c] = mine->n ? h5_crc(0, col_cptr(mine, &COLS[c]), len[c]) : 0;
    }
    h5_crc_combine(crc, len, N_COLS, comm);
}

// Creates /pairs/<column> for every column with its crc32; dsets[c] receives the open datasets.
static void create_pairs(hid_t file, hid_t label_type, const PrefMeta *m, int64_t n,
                         int compress_level, const uint32_t *crc, hid_t *dsets) {
    hid_t pairs = h5_group_create(file, "pairs");
    hsize_t k = chunk_rows(n, m);
    for (int c = 0; c < N_COLS; c++) {
        const PrefColumn *col = &COLS[c];
        hsize_t dims[3] = {(hsize_t)n, 1, 1}, maxdims[3] = {H5S_UNLIMITED, 1, 1}, chunk[3] = {k, 1, 1};
        int ndim = 1;
        if (col->width == W_P || col->width == W_R) {
            ndim = 2;
            dims[1] = maxdims[1] = chunk[1] = (hsize_t)(col->width == W_P ? m->P : m->R);
        } else if (col->width == W_J2) {
            ndim = 3;
            dims[1] = maxdims[1] = chunk[1] = (hsize_t)m->J;
            dims[2] = maxdims[2] = chunk[2] = 2;
        }
        dsets[c] = h5_dataset_create_chunked(pairs, col->name, col_h5type(col->type, label_type), ndim,
                                             dims, maxdims, chunk, compress_level, col->description,
                                             WIDTH_DIMS[col->width]);
        h5_attr_write_crc(dsets[c], crc[c]);
    }
    h5_close(&pairs);
}

// Creates /stats with one attribute per statistic (creation order tracked) and the agreement
// dataset, which is returned open.
static hid_t create_stats(hid_t file, const PrefMeta *m) {
    hid_t gcpl = H5_CHECK(H5Pcreate(H5P_GROUP_CREATE), "/stats");
    H5_CHECK(H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
             "/stats");
    hid_t stats = H5_CHECK(H5Gcreate2(file, "stats", H5P_DEFAULT, gcpl, H5P_DEFAULT), "/stats");
    h5_close(&gcpl);
    for (int i = 0; i < m->n_stats; i++)
        h5_attr_write_f64(stats, m->stats[i].name, m->stats[i].value);
    hsize_t dims[2] = {(hsize_t)m->J, (hsize_t)m->J};
    hid_t agreement = h5_dataset_create(
        stats, "agreement", H5T_IEEE_F32LE, 2, dims,
        "fraction of pairs on which judge i and judge j prefer the same response (order of "
        "judge_names)",
        "(J, J)");
    h5_attr_write_crc(agreement, h5_crc(0, m->agreement, (size_t)m->J * m->J * sizeof(float)));
    h5_close(&stats);
    return agreement;
}

// Rank 0: makes run_dir/prefs if absent. Every rank returns the same status.
static int make_prefs_dir(const char *run_dir, MPI_Comm comm, ErrMsg *e) {
    int rank, rc = 0;
    IO_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    if (rank == 0) {
        char dir[PREFBUF_PATH_MAX];
        int len = snprintf(dir, sizeof dir, "%s/prefs", run_dir);
        CHECKF(len > 0 && (size_t)len < sizeof dir, "prefbuf: run directory name too long");
        struct stat st;
        if (fs_mkdir(dir) != 0)
            rc = err_set(e, "cannot create the preference directory %s: %s", dir, strerror(errno));
        else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = err_set(e, "cannot use %s as the preference directory: it is not a directory", dir);
    }
    return io_agree(rc, e, comm);
}

// Rank 0: fsync the temporary file, rename it into place, fsync the directory.
static int publish(const char *run_dir, int32_t round, MPI_Comm comm, ErrMsg *e) {
    int rc = 0;
    if (io_comm_rank(comm) == 0) {
        char tmp[PREFBUF_PATH_MAX], final[PREFBUF_PATH_MAX];
        prefbuf_path(tmp, sizeof tmp, run_dir, round, 1);
        prefbuf_path(final, sizeof final, run_dir, round, 0);
        rc = fs_publish(tmp, final, NULL, e);
    }
    return io_agree(rc, e, comm);
}

// Writes every column's rows [first, first + mine->n) collectively; every column is written even
// after a failure (collective calls), the first failure's message is kept in e.
static int write_pairs(const hid_t *dsets, hid_t label_type, const PrefRows *mine, int64_t first,
                       hid_t dxpl, ErrMsg *e) {
    int rc = 0;
    for (int c = 0; c < N_COLS; c++)
        if (h5_write_rows(dsets[c], col_h5type(COLS[c].type, label_type), (hsize_t)first,
                          (hsize_t)mine->n, mine->n ? col_cptr(mine, &COLS[c]) : NULL, dxpl,
                          rc < 0 ? NULL : e) < 0)
            rc = -1;
    return rc;
}

// Bytes the round file takes on disk, roughly (rows, agreement, headers), for the space check.
static uint64_t estimate_bytes(const PrefMeta *m, int64_t n) {
    uint64_t bytes = (uint64_t)m->J * m->J * 4 + (64 << 10) + (N_COLS + 4) * (uint64_t)8192;
    for (int c = 0; c < N_COLS; c++) bytes += (uint64_t)n * col_row_bytes(&COLS[c], m);
    return bytes;
}

int prefbuf_write_round(const char *run_dir, const PrefMeta *meta_in, const PrefRows *mine,
                        int compress_level, MPI_Comm comm, ErrMsg *e) {
    ErrMsg local;
    if (!e) e = &local;
    int rank;
    IO_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    CHECKF(compress_level >= 0 && compress_level <= 9, "prefbuf: compress_level %d", compress_level);
    PrefMeta m = *meta_in;
    bcast_meta(&m, comm);
    check_meta(&m);
    int64_t n_total = 0, first = row_offset(mine->n, comm, &n_total);
    check_rows(mine, &m, first);
    if (make_prefs_dir(run_dir, comm, e) < 0) return -1;

    char tmp[PREFBUF_PATH_MAX];
    prefbuf_path(tmp, sizeof tmp, run_dir, m.round, 1);
    // A full disk is found before anything is written where possible (the tests skip this
    // check with the fault flag io.skip_space_check to reach the write errors themselves).
    int rc = 0;
    if (rank == 0 && !fault_flag("io.skip_space_check"))
        rc = h5_check_space(tmp, estimate_bytes(&m, n_total), e);
    if (io_agree(rc, e, comm) < 0) return -1;
    uint32_t crc[N_COLS];
    column_crcs(mine, &m, comm, crc);
    hid_t fapl = h5_fapl_mpio(comm);
    hid_t file = h5_file_create(tmp, fapl, e);
    h5_close(&fapl);
    if (io_agree(file < 0 ? -1 : 0, e, comm) < 0) {
        CHECKF(file < 0, "prefbuf: %s was created on some ranks only", tmp);
        return -1;
    }

    // 1. Structure, created by every rank in a fixed order.
    write_root_attrs(file, &m, n_total);
    hid_t label_type = label_type_create();
    hid_t types = h5_group_create(file, "types");
    H5_CHECK(H5Tcommit2(types, "pref_label", label_type, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             "/types/pref_label");
    h5_close(&types);
    hid_t dsets[N_COLS];
    create_pairs(file, label_type, &m, n_total, compress_level, crc, dsets);
    hid_t agreement = create_stats(file, &m);
    fault_point("prefs.after_create");

    // 2. Rows, collectively; ranks without rows select none. After a failed write (a full
    // disk) every collective step still runs, complete stays unset and the file is removed.
    hid_t dxpl = h5_dxpl_collective();
    rc = write_pairs(dsets, label_type, mine, first, dxpl, e);
    for (int c = 0; c < N_COLS; c++) h5_close(&dsets[c]);
    fault_point("prefs.after_rows");

    // 3. Statistics matrix from rank 0, then the completion flag last.
    if (h5_write_rows(agreement, H5T_IEEE_F32LE, 0, rank == 0 ? (hsize_t)m.J : 0, m.agreement,
                      dxpl, rc < 0 ? NULL : e) < 0)
        rc = -1;
    h5_close(&agreement);
    h5_close(&dxpl);
    h5_close(&label_type);
    fault_point("prefs.before_complete");
    // The completion flag and the flush are collective: every rank takes them or none does (a
    // full disk may fail one rank's share of a collective write and not another's).
    rc = io_agree(rc, e, comm);
    if (rc < 0) io_discard_failed(tmp, comm);
    if (rc == 0) h5_attr_write_u8(file, "complete", 1);
    if (rc == 0 && h5_flush(file, tmp, e) < 0) rc = -1;
    if (h5_file_close(&file, tmp, rc < 0 ? NULL : e) < 0) rc = -1;
    if (io_agree(rc, e, comm) < 0) {
        if (rank == 0) unlink(tmp);  // never a half-written round file on disk
        return -1;
    }
    fault_point("prefs.before_rename");

    // 4. Durable and atomic publication.
    return publish(run_dir, m.round, comm, e);
}

/* ---- reading ---- */

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const H5FileKind PREFBUF_KIND = {
    .kind = "preference file",
    .format = PREFBUF_FORMAT,
    .max_version = PREFBUF_FORMAT_VERSION,
    .hint_wrong = "HINT: pass a file from <run_dir>/prefs/ (round_NNNN.h5)",
    .hint_incomplete = "HINT: delete it; resuming the run writes the round again",
};

static int read_root_meta(hid_t file, const char *path, PrefMeta *m, ErrMsg *e) {
    if (h5_attr_read_str(file, "created_by", m->created_by, sizeof m->created_by, e) < 0 ||
        h5_attr_read_i32(file, "round", &m->round, e) < 0 ||
        h5_attr_read_i64(file, "n_rows", &m->n_rows, e) < 0 ||
        h5_attr_read_i32(file, "max_prompt_len", &m->P, e) < 0 ||
        h5_attr_read_i32(file, "max_resp_len", &m->R, e) < 0 ||
        h5_attr_read_i32(file, "n_judges", &m->J, e) < 0 ||
        h5_attr_read_str(file, "charset", m->charset, sizeof m->charset, e) < 0 ||
        h5_attr_read_str(file, "aggregation", m->aggregation, sizeof m->aggregation, e) < 0)
        return -1;
    if (m->round < 0 || m->n_rows < 0 || m->P < 1 || m->P > PREFBUF_MAX_WIDTH || m->R < 1 ||
        m->R > PREFBUF_MAX_WIDTH || m->J < 1 || m->J > PREFBUF_MAX_JUDGES)
        return err_set(e,
                       "%s: root attributes round=%d n_rows=%lld max_prompt_len=%d max_resp_len=%d "
                       "n_judges=%d are out of range (expected round, n_rows >= 0; lengths in [1, "
                       "%d]; n_judges in [1, %d])",
                       path, m->round, (long long)m->n_rows, m->P, m->R, m->J, PREFBUF_MAX_WIDTH,
                       PREFBUF_MAX_JUDGES);
    int n_names = 0;
    if (h5_attr_read_str_array(file, "judge_names", &m->judge_names[0][0], PREFBUF_NAME_LEN,
                               PREFBUF_MAX_JUDGES, &n_names, e) < 0)
        return -1;
    if (n_names != m->J)
        return err_set(e, "%s: root attribute 'judge_names' has %d entries, expected n_judges = %d",
                       path, n_names, m->J);
    return 0;
}

typedef struct {
    PrefMeta *meta;    // receives the statistics
    const char *path;  // for messages
    ErrMsg *e;         // error out
    int rc;            // 0 or -1
} StatIter;

static herr_t read_stat_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
    StatIter *it = data;
    PrefMeta *m = it->meta;
    if (m->n_stats >= PREFBUF_MAX_STATS || !stat_name_ok(name)) {
        it->rc = err_set(it->e, "%s: /stats has an attribute '%s' that is not a valid statistic "
                         "(at most %d names of [A-Za-z0-9_]{1,%d})",
                         it->path, name, PREFBUF_MAX_STATS, PREFBUF_STAT_NAME_LEN - 1);
        return 1;
    }
    PrefStat *s = &m->stats[m->n_stats];
    if (h5_attr_read_f64(loc, name, &s->value, it->e) < 0) {
        it->rc = -1;
        return 1;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    m->n_stats++;
    return 0;
}

// Statistics (attributes of /stats, in creation order) and /stats/agreement.
static int read_stats(hid_t file, const char *path, PrefMeta *m, hid_t dxpl, ErrMsg *e) {
    hid_t stats = h5_group_open(file, "stats", e);
    if (stats < 0) return -1;
    StatIter it = {m, path, e, 0};
    m->n_stats = 0;
    hid_t gcpl = H5Gget_create_plist(stats);
    unsigned order = 0;
    if (gcpl >= 0) H5Pget_attr_creation_order(gcpl, &order);
    h5_close(&gcpl);
    H5_index_t index = (order & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    if (H5Aiterate2(stats, index, H5_ITER_INC, NULL, read_stat_cb, &it) < 0 && it.rc == 0)
        it.rc = h5_err(e, "%s: cannot list the attributes of /stats", path);
    int rc = it.rc;
    hid_t d = rc == 0 && h5_exists(stats, "agreement") ? H5Dopen2(stats, "agreement", H5P_DEFAULT)
                                                        : H5I_INVALID_HID;
    hsize_t dims[2] = {0, 0};
    if (rc == 0 && (d < 0 || h5_dataset_shape(d, dims, 2, e) != 2 || dims[0] != (hsize_t)m->J ||
                    dims[1] != (hsize_t)m->J))
        rc = err_set(e, "%s: dataset /stats/agreement is missing or not of shape (J, J) = (%d, %d)",
                     path, m->J, m->J);
    if (rc == 0) rc = h5_read_rows(d, H5T_IEEE_F32LE, 0, (hsize_t)m->J, m->agreement, dxpl, e);
    if (rc == 0)
        rc = h5_crc_verify(d, path, h5_is_checksummed(file),
                           h5_crc(0, m->agreement, (size_t)m->J * m->J * sizeof(float)), e);
    h5_close(&d);
    h5_close(&stats);
    return rc;
}

// "(a, b, c)" of dims[0..ndim) into buf; returns buf.
static const char *fmt_dims(char *buf, size_t size, const hsize_t *dims, int ndim) {
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", i ? ", " : "",
                                 (unsigned long long)dims[i]);
    if (used < size) snprintf(buf + used, size - used, ")");
    return buf;
}

// Every /pairs column exists with the type and shape the root attributes imply.
static int check_pairs(hid_t file, const char *path, const PrefMeta *m, ErrMsg *e) {
    hid_t label_type = label_type_create(), label_v1 = label_type_members(3);
    int rc = 0;
    for (int c = 0; c < N_COLS && rc == 0; c++) {
        const PrefColumn *col = &COLS[c];
        char name[64];
        snprintf(name, sizeof name, "pairs/%s", col->name);
        if (!h5_exists(file, name)) {
            rc = err_set(e, "%s: dataset /%s is missing", path, name);
            break;
        }
        hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
        if (d < 0) {
            rc = h5_err(e, "%s: cannot open dataset /%s", path, name);
            break;
        }
        hid_t t = H5_CHECK(H5Dget_type(d), name);
        hsize_t dims[4] = {0};
        char shape[128];
        int ndim = h5_dataset_shape(d, dims, 4, e);
        int want_ndim = col->width == W_1 ? 1 : col->width == W_J2 ? 3 : 2;
        size_t width = col_row_elems(col->width, m->P, m->R, m->J);
        hsize_t inner = ndim == 3 ? dims[1] * dims[2] : ndim == 2 ? dims[1] : 1;
        if (ndim >= 0 && (ndim != want_ndim || dims[0] != (hsize_t)m->n_rows || inner != width ||
                          (ndim == 3 && dims[1] != (hsize_t)m->J)))
            rc = err_set(e, "%s: dataset /%s has shape %s, expected %s with N = %lld, P = %d, "
                         "R = %d, J = %d from the root attributes",
                         path, name, fmt_dims(shape, sizeof shape, dims, ndim), WIDTH_DIMS[col->width],
                         (long long)m->n_rows, m->P, m->R, m->J);
        else if (ndim < 0)
            rc = -1;
        else if (H5Tequal(t, col_h5type(col->type, label_type)) <= 0 &&
                 !(col->type == COL_LABEL && H5Tequal(t, label_v1) > 0))
            rc = err_set(e, "%s: dataset /%s has an element type other than %s", path, name,
                         col->type == COL_LABEL ? "the enum pref_label" : "the expected integer/float");
        h5_close(&t);
        h5_close(&d);
    }
    h5_close(&label_v1);
    h5_close(&label_type);
    return rc;
}

// Every /pairs/label value is a pref_label member. Read raw in the file's own enum type (the
// current one or the older three-member one: same values), so no conversion hides a bad value.
static int check_labels(hid_t file, const char *path, int64_t n_rows, hid_t dxpl, ErrMsg *e) {
    hid_t d = H5_CHECK(H5Dopen2(file, "pairs/label", H5P_DEFAULT), "pairs/label");
    hid_t t = H5_CHECK(H5Dget_type(d), "pairs/label");
    int8_t *v = xmalloc("prefbuf.labels", (size_t)n_rows + 1);
    int rc = h5_read_rows(d, t, 0, (hsize_t)n_rows, v, dxpl, e);
    for (int64_t i = 0; rc == 0 && i < n_rows; i++)
        if (!label_ok(v[i]))
            rc = err_set(e, "%s: /pairs/label row %lld holds %d, not a pref_label value (expected "
                         "DROPPED=-1, TIE=0, PREFERRED=1 or CHOSEN_ONLY=2)",
                         path, (long long)i, (int)v[i]);
    xfree(v);
    h5_close(&t);
    h5_close(&d);
    return rc;
}

// Everything prefbuf_open verifies and reads after the file is open (no communication).
static int open_checks(PrefFile *f, hid_t dxpl, ErrMsg *e) {
    if (h5_check_identity(f->file, f->path, &PREFBUF_KIND, NULL, e) < 0) return -1;
    if (read_root_meta(f->file, f->path, &f->meta, e) < 0) return -1;
    if (read_stats(f->file, f->path, &f->meta, dxpl, e) < 0) return -1;
    if (check_pairs(f->file, f->path, &f->meta, e) < 0) return -1;
    return check_labels(f->file, f->path, f->meta.n_rows, dxpl, e);
}

// Checks every /pairs column's crc32 (f->comm collective): the rows are split over the ranks,
// each checksums its share, read in blocks (every rank makes the same number of reads), and one
// all-gather joins the shares in row order. Returns the same verdict on every rank.
static int verify_columns(PrefFile *f, hid_t dxpl, ErrMsg *e) {
    const PrefMeta *m = &f->meta;
    int rank = io_comm_rank(f->comm), nranks = io_comm_size(f->comm), rc = 0;
    hsize_t row0, nrows, share0, most;
    h5_split_rows((hsize_t)m->n_rows, rank, nranks, &row0, &nrows);
    h5_split_rows((hsize_t)m->n_rows, 0, nranks, &share0, &most);  // rank 0's share is the largest
    uint32_t crc[N_COLS];
    uint64_t len[N_COLS];
    hid_t dsets[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        char name[64];
        snprintf(name, sizeof name, "pairs/%s", COLS[c].name);
        dsets[c] = H5_CHECK(H5Dopen2(f->file, name, H5P_DEFAULT), name);
        hid_t t = H5_CHECK(H5Dget_type(dsets[c]), name);  // the stored bytes, labels included
        size_t row_bytes = col_row_bytes(&COLS[c], m);
        hsize_t block = row_bytes ? (PREFBUF_CHUNK_BYTES * 4) / row_bytes : 1;
        if (block < 1) block = 1;
        char *buf = xmalloc("prefbuf.verify", (size_t)(block < nrows ? block : nrows) * row_bytes + 1);
        crc[c] = 0;
        len[c] = nrows * row_bytes;
        for (hsize_t done = 0; done < (most ? most : 1); done += block) {
            hsize_t n = done < nrows ? (nrows - done < block ? nrows - done : block) : 0;
            ErrMsg read_e;
            if (h5_read_rows(dsets[c], t, row0 + (n ? done : 0), n, n ? buf : NULL, dxpl,
                             &read_e) < 0) {
                if (rc == 0) *e = read_e;
                rc = -1;
            } else if (n) {
                crc[c] = h5_crc(crc[c], buf, (size_t)(n * row_bytes));
            }
        }
        xfree(buf);
        h5_close(&t);
    }
    h5_crc_combine(crc, len, N_COLS, f->comm);
    int required = h5_is_checksummed(f->file);
    for (int c = 0; c < N_COLS && rc == 0; c++) rc = h5_crc_verify(dsets[c], f->path, required, crc[c], e);
    for (int c = 0; c < N_COLS; c++) h5_close(&dsets[c]);
    return rc;
}

int prefbuf_open(PrefFile *f, const char *path, MPI_Comm comm, ErrMsg *e) {
    ErrMsg local;
    if (!e) e = &local;
    memset(f, 0, sizeof *f);
    f->file = H5I_INVALID_HID;
    f->comm = comm;
    snprintf(f->path, sizeof f->path, "%s", path);
    if (ends_with(path, ".tmp"))
        return err_set(e,
                       "%s is the temporary file of an unfinished write, not a preference round "
                       "file\nHINT: delete it; resuming the run writes the round again",
                       path);
    hid_t fapl = h5_fapl_mpio(comm);
    hid_t file = h5_file_open(path, fapl, e);
    h5_close(&fapl);
    if (io_agree(file < 0 ? -1 : 0, e, comm) < 0) {
        CHECKF(file < 0, "prefbuf: %s was opened on some ranks only", path);
        return -1;
    }
    f->file = file;
    hid_t dxpl = h5_dxpl_collective();
    int rc = open_checks(f, dxpl, e);
    if (io_agree(rc, e, comm) == 0) rc = io_agree(verify_columns(f, dxpl, e), e, comm);
    else rc = -1;
    h5_close(&dxpl);
    if (rc < 0) {
        prefbuf_close(f);
        return -1;
    }
    return 0;
}

// What readers of rows rely on, checked on rows first .. first+n-1 as read from the file: lengths
// within the padded widths, response indices >= -1 with no tokens where there is no response,
// labels in the enum, and token ids inside the charset's vocabulary (any id >= 0 when the file has
// no charset: a BPE run's learner checks them against its model). A file that breaks one would
// make the learner or inspect read past a row.
static int check_read_rows(const PrefRows *r, const PrefMeta *m, int64_t first, const char *path,
                           ErrMsg *e) {
    int64_t vocab = m->charset[0] ? TOK_FIRST_CHAR + (int64_t)strlen(m->charset) : INT32_MAX;
    for (int64_t i = 0; i < r->n; i++) {
        long long row = (long long)(first + i);
        struct {
            const char *name;
            int32_t v, hi;
        } len[3] = {{"prompt_len", r->prompt_len[i], m->P},
                    {"chosen_len", r->chosen_len[i], m->R},
                    {"rejected_len", r->rejected_len[i], m->R}};
        for (int k = 0; k < 3; k++)
            if (len[k].v < 0 || len[k].v > len[k].hi)
                return err_set(e, "%s: /pairs/%s row %lld holds %d, expected 0..%d", path,
                               len[k].name, row, len[k].v, len[k].hi);
        if (r->chosen_idx[i] < -1 || r->rejected_idx[i] < -1)
            return err_set(e, "%s: /pairs row %lld has response index %d/%d, expected >= -1", path,
                           row, r->chosen_idx[i], r->rejected_idx[i]);
        if ((r->chosen_idx[i] == -1 && r->chosen_len[i] > 0) ||
            (r->rejected_idx[i] == -1 && r->rejected_len[i] > 0))
            return err_set(e, "%s: /pairs row %lld has tokens for a missing response (index -1)",
                           path, row);
        if (!label_ok(r->label[i]))
            return err_set(e, "%s: /pairs/label row %lld holds %d", path, row, r->label[i]);
        struct {
            const char *name;
            const int32_t *ids;
            int32_t n;
        } seq[3] = {{"prompt", r->prompt + (size_t)i * r->P, r->prompt_len[i]},
                    {"chosen", r->chosen + (size_t)i * r->R, r->chosen_len[i]},
                    {"rejected", r->rejected + (size_t)i * r->R, r->rejected_len[i]}};
        for (int k = 0; k < 3; k++)
            for (int32_t t = 0; t < seq[k].n; t++)
                if (seq[k].ids[t] < 0 || seq[k].ids[t] >= vocab)
                    return err_set(e, "%s: /pairs/%s row %lld token %d is id %d, outside the "
                                   "vocabulary [0, %lld)", path, seq[k].name, row, t,
                                   seq[k].ids[t], (long long)vocab);
    }
    return 0;
}

int prefbuf_read_rows(PrefFile *f, int64_t first, int64_t count, PrefRows *rows, ErrMsg *e) {
    ErrMsg local;
    if (!e) e = &local;
    memset(rows, 0, sizeof *rows);
    CHECKF(f->file != H5I_INVALID_HID, "prefbuf_read_rows on a closed file");
    const PrefMeta *m = &f->meta;
    int rc = 0;
    if (first < 0 || count < 0 || first > m->n_rows || count > m->n_rows - first)
        rc = err_set(e, "%s: rows [%lld, %lld) requested, the file has rows [0, %lld)", f->path,
                     (long long)first, (long long)first + count, (long long)m->n_rows);
    if (io_agree(rc, e, f->comm) < 0) return -1;
    prefbuf_rows_alloc(rows, count, m->P, m->R, m->J);
    hid_t dxpl = h5_dxpl_collective();
    hid_t label_type = label_type_create();
    for (int c = 0; c < N_COLS; c++) {
        // Every rank reads every column (collective), even after a local failure.
        char name[64];
        snprintf(name, sizeof name, "pairs/%s", COLS[c].name);
        hid_t d = H5_CHECK(H5Dopen2(f->file, name, H5P_DEFAULT), name);
        // labels raw in the file's enum (an older file's three-member one has the same values)
        hid_t t = COLS[c].type == COL_LABEL ? H5_CHECK(H5Dget_type(d), name)
                                            : H5Tcopy(col_h5type(COLS[c].type, label_type));
        ErrMsg col_e;
        if (h5_read_rows(d, t, (hsize_t)first, (hsize_t)count, *col_ptr(rows, &COLS[c]), dxpl,
                         &col_e) < 0 && rc == 0) {
            *e = col_e;
            rc = -1;
        }
        h5_close(&t);
        h5_close(&d);
    }
    h5_close(&label_type);
    h5_close(&dxpl);
    if (rc == 0) rc = check_read_rows(rows, m, first, f->path, e);
    if (io_agree(rc, e, f->comm) < 0) {
        prefbuf_rows_free(rows);
        return -1;
    }
    return 0;
}

void prefbuf_close(PrefFile *f) { h5_close(&f->file); }

int prefbuf_load(const char *path, MPI_Comm comm, PrefMeta *meta, PrefRows *rows, ErrMsg *e) {
    PrefFile f;
    memset(rows, 0, sizeof *rows);
    if (prefbuf_open(&f, path, comm, e) < 0) return -1;
    int rc = prefbuf_read_rows(&f, 0, f.meta.n_rows, rows, e);
    if (rc == 0 && meta) *meta = f.meta;
    prefbuf_close(&f);
    return rc;
}

/* ---- listing ---- */

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

// Round number of a final round file name ("round_0007.h5" -> 7), or -1 for any other name.
static int32_t round_of_name(const char *name) {
    if (strncmp(name, "round_", 6) != 0) return -1;
    char *end = NULL;
    errno = 0;
    long r = strtol(name + 6, &end, 10);
    if (errno || end == name + 6 || r < 0 || r > INT32_MAX || strcmp(end, ".h5") != 0) return -1;
    char canonical[64];
    snprintf(canonical, sizeof canonical, "round_%04ld.h5", r);
    return strcmp(canonical, name) == 0 ? (int32_t)r : -1;
}

int prefbuf_list_rounds(const char *run_dir, int32_t **rounds, int *n, ErrMsg *e) {
    *rounds = NULL;
    *n = 0;
    struct stat st;
    if (stat(run_dir, &st) != 0)
        return err_set(e, "cannot read run directory %s: %s", run_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return err_set(e, "cannot read run directory %s: not a directory", run_dir);
    char dir[PREFBUF_PATH_MAX];
    int len = snprintf(dir, sizeof dir, "%s/prefs", run_dir);
    if (len < 0 || (size_t)len >= sizeof dir)
        return err_set(e, "run directory name %s is too long", run_dir);
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return err_set(e, "cannot list %s: %s", dir, strerror(errno));
    }
    int cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        int32_t r = round_of_name(ent->d_name);
        if (r < 0) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *rounds = xrealloc("prefbuf.list", *rounds, (size_t)cap * sizeof **rounds);
        }
        (*rounds)[(*n)++] = r;
    }
    closedir(d);
    if (*n > 1) qsort(*rounds, (size_t)*n, sizeof **rounds, cmp_i32);
    return 0;
}
