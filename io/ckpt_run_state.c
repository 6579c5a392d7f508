/* io/ckpt_run_state.c — a checkpoint's /state group; see ckpt_run_state.h. */
#include "io/ckpt_run_state.h"

#include <string.h>

#include "io/h5util.h"

#define CKPT_MAX_WORLD (1 << 24)  // sanity bound on W when reading /state

// One named table of /state: n values (8 bytes each, of HDF5 type type) with their names in the
// attribute "names". Cursors (i64) and phase totals (f64) are such tables.
typedef struct {
    const char *dataset;  // "cursors" or "totals"
    const char *desc;     // the dataset's description
    int max;              // capacity (CKPT_MAX_CURSORS / CKPT_MAX_TOTALS)
} NamedTable;

static const NamedTable CURSORS = {
    "cursors", "named data cursors (next item to use); names in attribute names", CKPT_MAX_CURSORS};
static const NamedTable TOTALS = {"totals",
                                  "running totals of the phase in progress (what its metrics line "
                                  "sums); names in attribute names",
                                  CKPT_MAX_TOTALS};

static int write_named(hid_t g, const NamedTable *t, hid_t type, int n,
                       const char (*names)[CKPT_CURSOR_NAME_MAX], const void *values, int is_root,
                       hid_t dxpl, ErrMsg *e) {
    hsize_t rows = (hsize_t)n;
    hid_t d = h5_dataset_create(g, t->dataset, type, 1, &rows, t->desc, "(n)");
    if (n > 0) {
        const char *list[CKPT_MAX_CURSORS > CKPT_MAX_TOTALS ? CKPT_MAX_CURSORS : CKPT_MAX_TOTALS];
        for (int i = 0; i < n; i++) list[i] = names[i];
        h5_attr_write_str_array(d, "names", list, n);
    }
    h5_attr_write_crc(d, h5_crc(0, values, rows * 8));
    int rc = h5_write_rows(d, type, 0, is_root ? rows : 0, values, dxpl, e);
    h5_close(&d);
    return rc < 0 ? -1 : 0;
}

int ckpt_state_write_group(hid_t file, const CkptState *s, int is_root, hid_t dxpl, ErrMsg *e) {
    int rc = 0;
    hid_t g = h5_group_create(file, "state");
    h5_attr_write_str(g, "description", "run position: round, phase, steps, RNG streams, cursors");
    h5_attr_write_i32(g, "round", s->round);
    h5_attr_write_str(g, "phase", s->phase);
    h5_attr_write_i64(g, "step", s->step);
    h5_attr_write_i64(g, "round_step", s->round_step);
    h5_attr_write_u64(g, "seed", s->seed);
    hsize_t W = (hsize_t)s->world_size, dims[2] = {W, 2};
    hid_t d = h5_dataset_create(g, "rng", H5T_STD_U64LE, 2, dims,
                                "Philox stream state (key, counter) of each world rank", "(W, 2)");
    h5_attr_write_crc(d, h5_crc(0, s->rng, W * sizeof(Rng)));
    if (h5_write_rows(d, H5T_STD_U64LE, 0, is_root ? W : 0, s->rng, dxpl, e) < 0) rc = -1;
    h5_close(&d);
    d = h5_dataset_create(g, "role", H5T_STD_U8LE, 1, &W, "role bitmask of each world rank", "(W)");
    h5_attr_write_crc(d, h5_crc(0, s->role, W));
    if (h5_write_rows(d, H5T_STD_U8LE, 0, is_root ? W : 0, s->role, dxpl, rc < 0 ? NULL : e) < 0)
        rc = -1;
    h5_close(&d);
    if (write_named(g, &CURSORS, H5T_STD_I64LE, s->n_cursors, s->cursor_name, s->cursor, is_root,
                    dxpl, rc < 0 ? NULL : e) < 0)
        rc = -1;
    // Only mid-phase checkpoints carry totals: a round checkpoint's layout stays as it was.
    if (s->n_totals > 0 && write_named(g, &TOTALS, H5T_IEEE_F64LE, s->n_totals, s->total_name,
                                       s->total, is_root, dxpl, rc < 0 ? NULL : e) < 0)
        rc = -1;
    h5_close(&g);
    return rc;
}

/* ---- reading ---- */

static hid_t open_table(hid_t g, const char *path, const char *name, hsize_t cols, hsize_t *rows,
                        ErrMsg *e) {
    if (!h5_exists(g, name)) return err_set(e, "%s: dataset /state/%s is missing", path, name);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return h5_err(e, "%s: cannot open /state/%s", path, name);
    hsize_t dims[8];
    int nd = h5_dataset_shape(d, dims, 8, e);
    if (nd < 0 || nd != (cols ? 2 : 1) || (cols && dims[1] != cols)) {
        h5_close(&d);
        return err_set(e, "%s: /state/%s should have shape %s", path, name,
                       cols ? "(W, 2)" : "(n)");
    }
    *rows = dims[0];
    return d;
}

static int read_state_attrs(hid_t g, const char *path, CkptState *st, ErrMsg *e) {
    int rc = h5_attr_read_i32(g, "round", &st->round, e);
    if (rc == 0) rc = h5_attr_read_str(g, "phase", st->phase, sizeof st->phase, e);
    if (rc == 0 && !ckpt_phase_valid(st->phase))
        rc = err_set(e,
                     "%s: /state phase '%s' is not one of sft, generate, judge, aggregate, train, "
                     "eval, done",
                     path, st->phase);
    if (rc == 0) rc = h5_attr_read_i64(g, "step", &st->step, e);
    if (rc == 0) rc = h5_attr_read_i64(g, "round_step", &st->round_step, e);
    if (rc == 0) rc = h5_attr_read_u64(g, "seed", &st->seed, e);
    return rc;
}

// Reads table t of g into names/values; *n receives its entries.
static int read_named(hid_t g, const char *path, const NamedTable *t, hid_t type, int *n,
                      char (*names)[CKPT_CURSOR_NAME_MAX], void *values, hid_t dxpl, ErrMsg *e) {
    hsize_t rows = 0;
    hid_t d = open_table(g, path, t->dataset, 0, &rows, e);
    if (d < 0) return -1;
    int rc = 0;
    if (rows > (hsize_t)t->max)
        rc = err_set(e, "%s: /state/%s has %llu entries, at most %d are supported", path,
                     t->dataset, (unsigned long long)rows, t->max);
    if (rc == 0 && rows > 0) {
        int got = 0;
        rc =
            h5_attr_read_str_array(d, "names", &names[0][0], CKPT_CURSOR_NAME_MAX, t->max, &got, e);
        if (rc == 0 && (hsize_t)got != rows)
            rc = err_set(e, "%s: /state/%s has %llu entries but %d names", path, t->dataset,
                         (unsigned long long)rows, got);
    }
    if (rc == 0) rc = h5_read_rows(d, type, 0, rows, values, dxpl, e);
    if (rc == 0) rc = h5_crc_verify(d, path, h5_is_checksummed(g), h5_crc(0, values, rows * 8), e);
    if (rc == 0) *n = (int)rows;
    h5_close(&d);
    return rc;
}

int ckpt_state_read_group(hid_t f, const char *path, CkptState *s, hid_t dxpl, ErrMsg *e) {
    hid_t g = h5_group_open(f, "state", e);
    if (g < 0) return -1;
    CkptState st;
    memset(&st, 0, sizeof st);
    hsize_t W = 0, W2 = 0;
    int rc = 0;
    hid_t d = open_table(g, path, "rng", 2, &W, e);
    if (d < 0) rc = -1;
    if (rc == 0 && (W < 1 || W > CKPT_MAX_WORLD))
        rc = err_set(e, "%s: /state/rng has %llu rows, expected 1..%d", path, (unsigned long long)W,
                     CKPT_MAX_WORLD);
    if (rc == 0) {
        ckpt_state_init(&st, (int)W);
        rc = h5_read_rows(d, H5T_STD_U64LE, 0, W, st.rng, dxpl, e);
    }
    if (rc == 0)
        rc = h5_crc_verify(d, path, h5_is_checksummed(g), h5_crc(0, st.rng, W * sizeof(Rng)), e);
    h5_close(&d);
    if (rc == 0) rc = read_state_attrs(g, path, &st, e);
    if (rc == 0 && (d = open_table(g, path, "role", 0, &W2, e)) < 0) rc = -1;
    if (rc == 0 && W2 != W)
        rc = err_set(e, "%s: /state/role has %llu entries but /state/rng has %llu rows", path,
                     (unsigned long long)W2, (unsigned long long)W);
    if (rc == 0) rc = h5_read_rows(d, H5T_STD_U8LE, 0, W, st.role, dxpl, e);
    if (rc == 0) rc = h5_crc_verify(d, path, h5_is_checksummed(g), h5_crc(0, st.role, W), e);
    h5_close(&d);
    if (rc == 0)
        rc = read_named(g, path, &CURSORS, H5T_STD_I64LE, &st.n_cursors, st.cursor_name, st.cursor,
                        dxpl, e);
    if (rc == 0 && h5_exists(g, TOTALS.dataset))  // absent: a round checkpoint or an older file
        rc = read_named(g, path, &TOTALS, H5T_IEEE_F64LE, &st.n_totals, st.total_name, st.total,
                        dxpl, e);
    h5_close(&g);
    if (rc < 0) {
        ckpt_state_free(&st);
        return -1;
    }
    ckpt_state_free(s);
    *s = st;
    return 0;
}
