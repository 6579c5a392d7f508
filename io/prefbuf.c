/* io/prefbuf.c — per-round preference files: the column table, rows and metadata, writing; see
   prefbuf.h (reading and listing: prefbuf_read.c).
   Layout (names fixed; every dataset has description and dims attributes):
     /                 attrs format, format_version, created_by, round, n_rows, max_prompt_len,
                             max_resp_len, n_judges, judge_names (J), charset, pad_id, aggregation,
                             complete (u8, written last)
     /types/pref_label committed enum int8 {DROPPED=-1, TIE=0, PREFERRED=1, CHOSEN_ONLY=2}
                       (older files: the first three only; read the same way)
     /pairs/<column>   one dataset per column of PrefRows (table PB_COLS below), N rows, chunked
     /stats            one f64 attribute per statistic (creation order kept); dataset agreement (J, J)
   Write order (docs/design.md): every object is created first by all ranks, then rows are written
   collectively, then rank 0 writes /stats/agreement, then complete=1, close, fsync, rename. */
#include "io/prefbuf.h"
#include "io/prefbuf_impl.h"

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

/* ---- the column table: one entry per /pairs dataset, in file order ---- */

const PrefColumn PB_COLS[] = {
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
_Static_assert(sizeof PB_COLS / sizeof PB_COLS[0] == PB_N_COLS,
               "PB_N_COLS counts the column table");

const char *const PB_WIDTH_DIMS[4] = {"(N)", "(N, P)", "(N, R)", "(N, J, 2)"};

size_t pb_col_elem_size(ColType t) {
    switch (t) {
        case COL_I64: return 8;
        case COL_I32:
        case COL_F32: return 4;
        default: return 1;
    }
}

// Elements per row of a column.
size_t pb_col_row_elems(ColWidth w, int32_t P, int32_t R, int32_t J) {
    switch (w) {
        case W_P: return (size_t)P;
        case W_R: return (size_t)R;
        case W_J2: return (size_t)J * 2;
        default: return 1;
    }
}

void **pb_col_ptr(PrefRows *rows, const PrefColumn *c) {
    return (void **)((char *)rows + c->offset);
}

const void *pb_col_cptr(const PrefRows *rows, const PrefColumn *c) {
    return *(void *const *)((const char *)rows + c->offset);
}

// The enum type of the label column with its first n_members members: 4 = the current type
// (in memory and committed), 3 = files written before CHOSEN_ONLY. Caller closes.
hid_t pb_label_type_members(int n_members) {
    static const char *const names[] = {"DROPPED", "TIE", "PREFERRED", "CHOSEN_ONLY"};
    static const int8_t values[] = {PREF_DROPPED, PREF_TIE, PREF_PREFERRED, PREF_CHOSEN_ONLY};
    hid_t t = H5_CHECK(H5Tenum_create(H5T_STD_I8LE), "pref_label enum");
    for (int i = 0; i < n_members; i++)
        H5_CHECK(H5Tenum_insert(t, names[i], &values[i]), "pref_label enum");
    return t;
}

hid_t pb_label_type_create(void) { return pb_label_type_members(4); }

int pb_label_ok(int v) { return v >= PREF_DROPPED && v <= PREF_CHOSEN_ONLY; }

// File/memory type of a column (label: the given enum type, not owned).
hid_t pb_col_h5type(ColType t, hid_t label_type) {
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
    for (int c = 0; c < PB_N_COLS; c++) {
        size_t elems = (size_t)n * pb_col_row_elems(PB_COLS[c].width, P, R, J);
        // One spare element so n == 0 still gives valid pointers.
        *pb_col_ptr(rows, &PB_COLS[c]) =
            xcalloc("prefbuf.rows", elems + 1, pb_col_elem_size(PB_COLS[c].type));
    }
}

void prefbuf_rows_free(PrefRows *rows) {
    for (int c = 0; c < PB_N_COLS; c++) xfree(*pb_col_ptr(rows, &PB_COLS[c]));
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

int pb_stat_name_ok(const char *name) {
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
    CHECKF(pb_stat_name_ok(name), "prefbuf: statistic name '%s' is not [A-Za-z0-9_]{1,%d}", name,
           PREFBUF_STAT_NAME_LEN - 1);
    CHECKF(meta->n_stats < PREFBUF_MAX_STATS, "prefbuf: more than %d statistics",
           PREFBUF_MAX_STATS);
    double old;
    CHECKF(prefbuf_meta_get_stat(meta, name, &old) < 0, "prefbuf: statistic '%s' added twice",
           name);
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
    int len =
        snprintf(out, size, "%s/prefs/round_%04d.h5%s", run_dir, (int)round, tmp ? ".tmp" : "");
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
    CHECKF(terminated(m->aggregation, sizeof m->aggregation),
           "prefbuf: aggregation not terminated");
    CHECKF(m->n_stats >= 0 && m->n_stats <= PREFBUF_MAX_STATS, "prefbuf: n_stats=%d", m->n_stats);
    for (int i = 0; i < m->n_stats; i++) {
        CHECKF(pb_stat_name_ok(m->stats[i].name), "prefbuf: bad statistic name at %d", i);
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
                   r->chosen_len[i] <= m->R && r->rejected_len[i] >= 0 &&
                   r->rejected_len[i] <= m->R,
               "prefbuf: row %lld has a length out of range", (long long)i);
        CHECKF(pb_label_ok(r->label[i]), "prefbuf: row %lld has label %d", (long long)i,
               r->label[i]);
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
size_t pb_col_row_bytes(const PrefColumn *c, const PrefMeta *m) {
    return pb_col_row_elems(c->width, m->P, m->R, m->J) * pb_col_elem_size(c->type);
}

// crc32 of every column over all ranks' rows: each rank checksums its own rows, one all-gather
// joins them in rank (= row) order.
static void column_crcs(const PrefRows *mine, const PrefMeta *m, MPI_Comm comm, uint32_t *crc) {
    uint64_t len[PB_N_COLS];
    for (int c = 0; c < PB_N_COLS; c++) {
        len[c] = (uint64_t)mine->n * pb_col_row_bytes(&PB_COLS[c], m);
        crc[c] = mine->n ? h5_crc(0, pb_col_cptr(mine, &PB_COLS[c]), len[c]) : 0;
    }
    h5_crc_combine(crc, len, PB_N_COLS, comm);
}

// Creates /pairs/<column> for every column with its crc32; dsets[c] receives the open datasets.
static void create_pairs(hid_t file, hid_t label_type, const PrefMeta *m, int64_t n,
                         int compress_level, const uint32_t *crc, hid_t *dsets) {
    hid_t pairs = h5_group_create(file, "pairs");
    hsize_t k = chunk_rows(n, m);
    for (int c = 0; c < PB_N_COLS; c++) {
        const PrefColumn *col = &PB_COLS[c];
        hsize_t dims[3] = {(hsize_t)n, 1, 1}, maxdims[3] = {H5S_UNLIMITED, 1, 1},
                chunk[3] = {k, 1, 1};
        int ndim = 1;
        if (col->width == W_P || col->width == W_R) {
            ndim = 2;
            dims[1] = maxdims[1] = chunk[1] = (hsize_t)(col->width == W_P ? m->P : m->R);
        } else if (col->width == W_J2) {
            ndim = 3;
            dims[1] = maxdims[1] = chunk[1] = (hsize_t)m->J;
            dims[2] = maxdims[2] = chunk[2] = 2;
        }
        dsets[c] = h5_dataset_create_chunked(pairs, col->name, pb_col_h5type(col->type, label_type),
                                             ndim, dims, maxdims, chunk, compress_level,
                                             col->description, PB_WIDTH_DIMS[col->width]);
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
            rc =
                err_set(e, "cannot use %s as the preference directory: it is not a directory", dir);
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
    for (int c = 0; c < PB_N_COLS; c++)
        if (h5_write_rows(dsets[c], pb_col_h5type(PB_COLS[c].type, label_type), (hsize_t)first,
                          (hsize_t)mine->n, mine->n ? pb_col_cptr(mine, &PB_COLS[c]) : NULL, dxpl,
                          rc < 0 ? NULL : e) < 0)
            rc = -1;
    return rc;
}

// Bytes the round file takes on disk, roughly (rows, agreement, headers), for the space check.
static uint64_t estimate_bytes(const PrefMeta *m, int64_t n) {
    uint64_t bytes = (uint64_t)m->J * m->J * 4 + (64 << 10) + (PB_N_COLS + 4) * (uint64_t)8192;
    for (int c = 0; c < PB_N_COLS; c++) bytes += (uint64_t)n * pb_col_row_bytes(&PB_COLS[c], m);
    return bytes;
}

int prefbuf_write_round(const char *run_dir, const PrefMeta *meta_in, const PrefRows *mine,
                        int compress_level, MPI_Comm comm, ErrMsg *e) {
    ErrMsg local;
    if (!e) e = &local;
    int rank;
    IO_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    CHECKF(compress_level >= 0 && compress_level <= 9, "prefbuf: compress_level %d",
           compress_level);
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
    uint32_t crc[PB_N_COLS];
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
    hid_t label_type = pb_label_type_create();
    hid_t types = h5_group_create(file, "types");
    H5_CHECK(H5Tcommit2(types, "pref_label", label_type, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             "/types/pref_label");
    h5_close(&types);
    hid_t dsets[PB_N_COLS];
    create_pairs(file, label_type, &m, n_total, compress_level, crc, dsets);
    hid_t agreement = create_stats(file, &m);
    fault_point("prefs.after_create");

    // 2. Rows, collectively; ranks without rows select none. After a failed write (a full
    // disk) every collective step still runs, complete stays unset and the file is removed.
    hid_t dxpl = h5_dxpl_collective();
    rc = write_pairs(dsets, label_type, mine, first, dxpl, e);
    for (int c = 0; c < PB_N_COLS; c++) h5_close(&dsets[c]);
    fault_point("prefs.after_rows");

    // 3. Statistics matrix from rank 0, then the completion flag last.
    if (h5_write_rows(agreement, H5T_IEEE_F32LE, 0, rank == 0 ? (hsize_t)m.J : 0, m.agreement, dxpl,
                      rc < 0 ? NULL : e) < 0)
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
