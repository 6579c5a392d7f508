/* io/prefbuf_read.c — reading round files (validated layout, checksums, row contents) and listing
   a run's rounds; see prefbuf.h. The layout is described in prefbuf.c. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/collective.h"
#include "io/h5util.h"
#include "io/prefbuf_impl.h"
#include "util/alloc.h"
#include "version.h"

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
    if (m->n_stats >= PREFBUF_MAX_STATS || !pb_stat_name_ok(name)) {
        it->rc = err_set(it->e,
                         "%s: /stats has an attribute '%s' that is not a valid statistic "
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
    hid_t label_type = pb_label_type_create(), label_v1 = pb_label_type_members(3);
    int rc = 0;
    for (int c = 0; c < PB_N_COLS && rc == 0; c++) {
        const PrefColumn *col = &PB_COLS[c];
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
        size_t width = pb_col_row_elems(col->width, m->P, m->R, m->J);
        hsize_t inner = ndim == 3 ? dims[1] * dims[2] : ndim == 2 ? dims[1] : 1;
        if (ndim >= 0 && (ndim != want_ndim || dims[0] != (hsize_t)m->n_rows || inner != width ||
                          (ndim == 3 && dims[1] != (hsize_t)m->J)))
            rc = err_set(e,
                         "%s: dataset /%s has shape %s, expected %s with N = %lld, P = %d, "
                         "R = %d, J = %d from the root attributes",
                         path, name, fmt_dims(shape, sizeof shape, dims, ndim),
                         PB_WIDTH_DIMS[col->width], (long long)m->n_rows, m->P, m->R, m->J);
        else if (ndim < 0)
            rc = -1;
        else if (H5Tequal(t, pb_col_h5type(col->type, label_type)) <= 0 &&
                 !(col->type == COL_LABEL && H5Tequal(t, label_v1) > 0))
            rc = err_set(
                e, "%s: dataset /%s has an element type other than %s", path, name,
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
        if (!pb_label_ok(v[i]))
            rc = err_set(e,
                         "%s: /pairs/label row %lld holds %d, not a pref_label value (expected "
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
    uint32_t crc[PB_N_COLS];
    uint64_t len[PB_N_COLS];
    hid_t dsets[PB_N_COLS];
    for (int c = 0; c < PB_N_COLS; c++) {
        char name[64];
        snprintf(name, sizeof name, "pairs/%s", PB_COLS[c].name);
        dsets[c] = H5_CHECK(H5Dopen2(f->file, name, H5P_DEFAULT), name);
        hid_t t = H5_CHECK(H5Dget_type(dsets[c]), name);  // the stored bytes, labels included
        size_t row_bytes = pb_col_row_bytes(&PB_COLS[c], m);
        hsize_t block = row_bytes ? (PREFBUF_CHUNK_BYTES * 4) / row_bytes : 1;
        if (block < 1) block = 1;
        char *buf =
            xmalloc("prefbuf.verify", (size_t)(block < nrows ? block : nrows) * row_bytes + 1);
        crc[c] = 0;
        len[c] = nrows * row_bytes;
        for (hsize_t done = 0; done < (most ? most : 1); done += block) {
            hsize_t n = done < nrows ? (nrows - done < block ? nrows - done : block) : 0;
            ErrMsg read_e;
            if (h5_read_rows(dsets[c], t, row0 + (n ? done : 0), n, n ? buf : NULL, dxpl, &read_e) <
                0) {
                if (rc == 0) *e = read_e;
                rc = -1;
            } else if (n) {
                crc[c] = h5_crc(crc[c], buf, (size_t)(n * row_bytes));
            }
        }
        xfree(buf);
        h5_close(&t);
    }
    h5_crc_combine(crc, len, PB_N_COLS, f->comm);
    int required = h5_is_checksummed(f->file);
    for (int c = 0; c < PB_N_COLS && rc == 0; c++)
        rc = h5_crc_verify(dsets[c], f->path, required, crc[c], e);
    for (int c = 0; c < PB_N_COLS; c++) h5_close(&dsets[c]);
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
    if (io_agree(rc, e, comm) == 0)
        rc = io_agree(verify_columns(f, dxpl, e), e, comm);
    else
        rc = -1;
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
        if (!pb_label_ok(r->label[i]))
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
                    return err_set(e,
                                   "%s: /pairs/%s row %lld token %d is id %d, outside the "
                                   "vocabulary [0, %lld)",
                                   path, seq[k].name, row, t, seq[k].ids[t], (long long)vocab);
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
    hid_t label_type = pb_label_type_create();
    for (int c = 0; c < PB_N_COLS; c++) {
        // Every rank reads every column (collective), even after a local failure.
        char name[64];
        snprintf(name, sizeof name, "pairs/%s", PB_COLS[c].name);
        hid_t d = H5_CHECK(H5Dopen2(f->file, name, H5P_DEFAULT), name);
        // labels raw in the file's enum (an older file's three-member one has the same values)
        hid_t t = PB_COLS[c].type == COL_LABEL
                      ? H5_CHECK(H5Dget_type(d), name)
                      : H5Tcopy(pb_col_h5type(PB_COLS[c].type, label_type));
        ErrMsg col_e;
        if (h5_read_rows(d, t, (hsize_t)first, (hsize_t)count, *pb_col_ptr(rows, &PB_COLS[c]), dxpl,
                         &col_e) < 0 &&
            rc == 0) {
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
