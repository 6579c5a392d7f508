/* io/h5util.c — HDF5 helpers; see h5util.h. */
#include "io/h5util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "io/collective.h"
#include "util/alloc.h"
#include "util/fs.h"

// Largest single transfer (bytes): MPI-IO counts are ints, so stay well below 2 GiB.
#define H5U_MAX_XFER     ((hsize_t)1 << 30)
#define H5U_MAX_NDIM     8
#define H5U_SPACE_MARGIN ((uint64_t)64 << 10)  // free space wanted beyond a writer's estimate

static int quiet_done = 0;

static int write_fail(hid_t dset, ErrMsg *e);

void h5_quiet(void) {
    if (quiet_done) return;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    quiet_done = 1;
}

hid_t h5_check_at(hid_t ret, const char *expr, const char *what, const char *file, int line,
                  const char *func) {
    if (ret >= 0) return ret;
    fflush(stdout);
    fprintf(stderr, "HDF5 call failed on %s: %s\n", what ? what : "?", expr);
    H5Eprint2(H5E_DEFAULT, stderr);
    die_at(file, line, func, "HDF5 error on %s (stack above)", what ? what : "?");
}

// Innermost (first detected) error description of the current HDF5 stack.
static herr_t innermost_cb(unsigned n, const H5E_error2_t *err, void *data) {
    if (n == 0 && err->desc) snprintf((char *)data, 512, "%s", err->desc);
    return 0;
}

int h5_err(ErrMsg *e, const char *fmt, ...) {
    char reason[512] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, reason);
    H5Eclear2(H5E_DEFAULT);
    char head[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    if (reason[0]) return err_set(e, "%s (HDF5: %s)", head, reason);
    return err_set(e, "%s", head);
}

/* ---- property lists ---- */

hid_t h5_fapl_mpio(MPI_Comm comm) {
    h5_quiet();
    hid_t fapl = H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), "file access plist");
    H5_CHECK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "file access plist");
    H5_CHECK(H5Pset_all_coll_metadata_ops(fapl, 1), "file access plist");
    H5_CHECK(H5Pset_coll_metadata_write(fapl, 1), "file access plist");
    H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110), "file access plist");
    H5_CHECK(H5Pset_alignment(fapl, 4096, 4096), "file access plist");
    return fapl;
}

hid_t h5_fapl_serial(void) {
    h5_quiet();
    hid_t fapl = H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), "file access plist");
    H5_CHECK(H5Pset_fapl_sec2(fapl), "file access plist");
    H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110), "file access plist");
    H5_CHECK(H5Pset_file_locking(fapl, 1, 1), "file access plist");
    return fapl;
}

hid_t h5_dxpl_collective(void) {
    h5_quiet();
    hid_t dxpl = H5_CHECK(H5Pcreate(H5P_DATASET_XFER), "transfer plist");
    H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "transfer plist");
    return dxpl;
}

/* ---- files, groups, objects ---- */

// The communicator of an MPI-IO fapl (a duplicate the caller frees), or MPI_COMM_NULL.
static MPI_Comm fapl_comm(hid_t fapl) {
    MPI_Comm comm = MPI_COMM_NULL;
    if (H5Pget_driver(fapl) != H5FD_MPIO) return comm;
    MPI_Info info = MPI_INFO_NULL;
    H5_CHECK(H5Pget_fapl_mpio(fapl, &comm, &info), "file access plist");
    if (info != MPI_INFO_NULL) IO_MPI_CHECK(MPI_Info_free(&info));
    return comm;
}

hid_t h5_file_create(const char *path, hid_t fapl, ErrMsg *e) {
    h5_quiet();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (f < 0) return h5_err(e, "cannot create HDF5 file %s", path);
    return f;
}

hid_t h5_file_open(const char *path, hid_t fapl, ErrMsg *e) {
    h5_quiet();
    struct stat st;
    int rc = 0;
    if (stat(path, &st) != 0)
        rc = err_set(e, "cannot open %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = err_set(e, "cannot open %s: not a regular file", path);
    // With MPI-IO every rank must see the file before the collective open, or some would wait.
    MPI_Comm comm = fapl_comm(fapl);
    if (comm != MPI_COMM_NULL) {
        int mine = rc < 0, any = 0;
        IO_MPI_CHECK(MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm));
        IO_MPI_CHECK(MPI_Comm_free(&comm));
        if (any && rc == 0)
            rc = err_set(e,
                         "cannot open %s: the file is not readable on every rank (a file "
                         "system not shared by all nodes?)",
                         path);
    }
    if (rc < 0) return -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f >= 0) return f;
    char reason[512] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, reason);
    H5Eclear2(H5E_DEFAULT);
    if (st.st_size == 0)
        return err_set(e, "cannot open %s: the file is empty, not an HDF5 file", path);
    if (strstr(reason, "signature"))
        return err_set(e, "cannot open %s: not an HDF5 file (no HDF5 signature found)", path);
    if (strstr(reason, "truncated") || strstr(reason, "checksum"))
        return err_set(e,
                       "cannot open %s: the file is truncated or damaged (%lld bytes on disk; "
                       "HDF5: %s)\nHINT: it was cut short (interrupted copy, full disk) or "
                       "altered; use another copy or an earlier file",
                       path, (long long)st.st_size, reason);
    return err_set(e, "cannot open %s as an HDF5 file (HDF5: %s)", path, reason);
}

hid_t h5_group_create(hid_t loc, const char *name) {
    return H5_CHECK(H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name);
}

hid_t h5_group_open(hid_t loc, const char *name, ErrMsg *e) {
    char where[512];
    if (!h5_exists(loc, name))
        return err_set(e, "%s: group %s is missing", h5_describe(loc, where, sizeof where), name);
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        return h5_err(e, "%s: cannot open group %s", h5_describe(loc, where, sizeof where), name);
    return g;
}

int h5_exists(hid_t loc, const char *path) {
    h5_quiet();
    char buf[512];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, path, len + 1);
    // Check every prefix "a", "a/b", ... so a missing intermediate group is not an error.
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        buf[i] = '\0';
        htri_t ok = H5Lexists(loc, buf, H5P_DEFAULT);
        buf[i] = saved;
        if (ok <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return 0;
        }
    }
    return 1;
}

int h5_attr_exists(hid_t obj, const char *name) {
    h5_quiet();
    htri_t ok = H5Aexists(obj, name);
    if (ok < 0) H5Eclear2(H5E_DEFAULT);
    return ok > 0;
}

void h5_close(hid_t *id) {
    if (*id == H5I_INVALID_HID) return;
    hid_t x = *id;
    *id = H5I_INVALID_HID;
    if (H5Iis_valid(x) <= 0) return;
    switch (H5Iget_type(x)) {
        case H5I_FILE: H5_CHECK(H5Fclose(x), "closing a file"); break;
        case H5I_GROUP: H5_CHECK(H5Gclose(x), "closing a group"); break;
        case H5I_DATASET: H5_CHECK(H5Dclose(x), "closing a dataset"); break;
        case H5I_DATASPACE: H5_CHECK(H5Sclose(x), "closing a dataspace"); break;
        case H5I_DATATYPE: H5_CHECK(H5Tclose(x), "closing a datatype"); break;
        case H5I_ATTR: H5_CHECK(H5Aclose(x), "closing an attribute"); break;
        case H5I_GENPROP_LST: H5_CHECK(H5Pclose(x), "closing a property list"); break;
        default: die("h5_close: unexpected HDF5 id type %d", (int)H5Iget_type(x));
    }
}

const char *h5_describe(hid_t obj, char *buf, size_t size) {
    // Callers describe an object while reporting an HDF5 failure: keep that error stack intact
    // (every HDF5 API call clears it on entry).
    hid_t saved = H5Eget_current_stack();
    char file[512] = "?", path[512] = "?";
    if (H5Fget_name(obj, file, sizeof file) < 0) snprintf(file, sizeof file, "?");
    if (H5Iget_name(obj, path, sizeof path) < 0) snprintf(path, sizeof path, "?");
    if (saved >= 0) H5Eset_current_stack(saved);  // also releases saved
    snprintf(buf, size, "%s:%s", file, path);
    return buf;
}

/* ---- string types ---- */

hid_t h5_str_type(size_t len) {
    hid_t t = H5_CHECK(H5Tcopy(H5T_C_S1), "string type");
    H5_CHECK(H5Tset_size(t, len + 1), "string type");
    H5_CHECK(H5Tset_strpad(t, H5T_STR_NULLTERM), "string type");
    return t;
}

/* ---- datasets ---- */

static hid_t dataset_create_with(hid_t loc, const char *name, hid_t type, int ndim,
                                 const hsize_t *dims, const hsize_t *maxdims, hid_t dcpl,
                                 const char *description, const char *dims_text) {
    h5_quiet();
    hid_t space = ndim == 0 ? H5_CHECK(H5Screate(H5S_SCALAR), name)
                            : H5_CHECK(H5Screate_simple(ndim, dims, maxdims), name);
    hid_t d = H5_CHECK(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), name);
    h5_close(&space);
    if (description) h5_attr_write_str(d, "description", description);
    if (dims_text) h5_attr_write_str(d, "dims", dims_text);
    return d;
}

hid_t h5_dataset_create(hid_t loc, const char *name, hid_t type, int ndim, const hsize_t *dims,
                        const char *description, const char *dims_text) {
    h5_quiet();
    hid_t dcpl = H5_CHECK(H5Pcreate(H5P_DATASET_CREATE), name);
    H5_CHECK(H5Pset_layout(dcpl, H5D_CONTIGUOUS), name);
    H5_CHECK(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), name);
    H5_CHECK(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), name);
    hid_t d = dataset_create_with(loc, name, type, ndim, dims, NULL, dcpl, description, dims_text);
    h5_close(&dcpl);
    return d;
}

hid_t h5_dataset_create_chunked(hid_t loc, const char *name, hid_t type, int ndim,
                                const hsize_t *dims, const hsize_t *maxdims, const hsize_t *chunk,
                                int deflate_level, const char *description, const char *dims_text) {
    h5_quiet();
    CHECKF(ndim >= 1, "h5_dataset_create_chunked(%s): chunked datasets need ndim >= 1", name);
    hid_t dcpl = H5_CHECK(H5Pcreate(H5P_DATASET_CREATE), name);
    H5_CHECK(H5Pset_chunk(dcpl, ndim, chunk), name);
    if (deflate_level > 0) {
        H5_CHECK(H5Pset_shuffle(dcpl), name);
        H5_CHECK(H5Pset_deflate(dcpl, (unsigned)deflate_level), name);
    }
    hid_t d =
        dataset_create_with(loc, name, type, ndim, dims, maxdims, dcpl, description, dims_text);
    h5_close(&dcpl);
    return d;
}

int h5_dataset_write_str(hid_t loc, const char *name, const char *text, const char *description,
                         int is_writer, hid_t dxpl, ErrMsg *e) {
    hid_t t = h5_str_type(strlen(text));
    hid_t d = dataset_create_with(loc, name, t, 0, NULL, NULL, H5P_DEFAULT, description, "()");
    h5_attr_write_crc(d, h5_crc(0, text, strlen(text) + 1));  // the stored bytes: text and NUL
    hid_t fspace = H5_CHECK(H5Dget_space(d), name);
    hid_t mspace = H5_CHECK(H5Screate(H5S_SCALAR), name);
    if (!is_writer) {
        H5_CHECK(H5Sselect_none(fspace), name);
        H5_CHECK(H5Sselect_none(mspace), name);
    }
    int rc = H5Dwrite(d, t, mspace, fspace, dxpl, text) < 0 ? write_fail(d, e) : 0;
    h5_close(&mspace);
    h5_close(&fspace);
    h5_close(&d);
    h5_close(&t);
    return rc;
}

int h5_dataset_read_str(hid_t loc, const char *name, char **text, hid_t dxpl, ErrMsg *e) {
    h5_quiet();
    char where[512];
    *text = NULL;
    if (!h5_exists(loc, name))
        return err_set(e, "%s: dataset %s is missing", h5_describe(loc, where, sizeof where), name);
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return h5_err(e, "%s: cannot open dataset %s", h5_describe(loc, where, sizeof where), name);
    hid_t ft = H5Dget_type(d), s = H5Dget_space(d);
    int ok =
        ft >= 0 && s >= 0 && H5Tget_class(ft) == H5T_STRING && H5Sget_simple_extent_npoints(s) == 1;
    int is_var = ok && H5Tis_variable_str(ft) > 0;
    size_t stored = ok ? H5Tget_size(ft) : 0;
    h5_close(&s);
    h5_close(&ft);
    int rc = 0;
    if (!ok) {
        rc = err_set(e, "%s: dataset %s should be a scalar string",
                     h5_describe(d, where, sizeof where), name);
    } else if (is_var) {
        hid_t mt = h5_str_type(0);
        H5_CHECK(H5Tset_size(mt, H5T_VARIABLE), name);
        char *s_ = NULL;
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s_) < 0 || !s_)
            rc = h5_err(e, "%s: cannot read dataset %s", h5_describe(d, where, sizeof where), name);
        else
            *text = xstrdup("h5util.text", s_);
        if (s_) H5free_memory(s_);
        h5_close(&mt);
    } else {
        // Read in the file's own type: buf[0, stored) are the stored bytes, which the checksum
        // covers; the extra zero byte terminates a value that filled its whole width.
        char *buf = xcalloc("h5util.text", stored + 1, 1);
        hid_t mt = H5_CHECK(H5Dget_type(d), name);
        char file[512];
        const char *at = strchr(h5_describe(d, where, sizeof where), ':');
        snprintf(file, sizeof file, "%.*s", at ? (int)(at - where) : (int)strlen(where), where);
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, dxpl, buf) < 0)
            rc = h5_err(e, "%s: cannot read dataset %s", h5_describe(d, where, sizeof where), name);
        else
            rc = h5_crc_verify(d, file, h5_is_checksummed(loc), h5_crc(0, buf, stored), e);
        if (rc == 0)
            *text = buf;
        else
            xfree(buf);
        h5_close(&mt);
    }
    h5_close(&d);
    return rc;
}

int h5_dataset_shape(hid_t dset, hsize_t *dims, int max_ndim, ErrMsg *e) {
    char where[512];
    hid_t s = H5Dget_space(dset);
    if (s < 0)
        return h5_err(e, "%s: cannot get the dataspace", h5_describe(dset, where, sizeof where));
    int ndim = H5Sget_simple_extent_ndims(s);
    if (ndim < 0 || ndim > max_ndim) {
        h5_close(&s);
        return err_set(e, "%s: has %d dimensions, at most %d expected",
                       h5_describe(dset, where, sizeof where), ndim, max_ndim);
    }
    if (ndim > 0) H5Sget_simple_extent_dims(s, dims, NULL);
    h5_close(&s);
    return ndim;
}

void h5_split_rows(hsize_t n, int rank, int nranks, hsize_t *row0, hsize_t *nrows) {
    hsize_t base = n / (hsize_t)nranks, rem = n % (hsize_t)nranks, r = (hsize_t)rank;
    *row0 = r * base + (r < rem ? r : rem);
    *nrows = base + (r < rem ? 1 : 0);
}

// Geometry of a row transfer: dataset dims, bytes per row, rows per transfer, and the number of
// collective calls every rank must make (agreed over the file's communicator when needed).
typedef struct {
    int ndim;
    hsize_t dims[H5U_MAX_NDIM];
    hsize_t row_bytes;
    hsize_t piece_rows;
    long calls;
} RowPlan;

// Number of calls agreed over the communicator of dset's file (max over ranks); the file's
// communicator is consulted only for datasets too large for one transfer, so small I/O does no
// extra communication.
static long agree_calls(hid_t dset, long mine) {
    hid_t file = H5_CHECK(H5Iget_file_id(dset), "dataset's file");
    hid_t fapl = H5_CHECK(H5Fget_access_plist(file), "file access plist");
    long all = mine;
    MPI_Comm comm = fapl_comm(fapl);
    if (comm != MPI_COMM_NULL) {
        IO_MPI_CHECK(MPI_Allreduce(&mine, &all, 1, MPI_LONG, MPI_MAX, comm));
        IO_MPI_CHECK(MPI_Comm_free(&comm));
    }
    h5_close(&fapl);
    h5_close(&file);
    return all;
}

static int row_plan(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows, RowPlan *p, ErrMsg *e) {
    char where[512];
    int ndim = h5_dataset_shape(dset, p->dims, H5U_MAX_NDIM, e);
    if (ndim < 0) return -1;
    p->ndim = ndim;
    hsize_t lead = ndim == 0 ? 1 : p->dims[0];
    if (row0 + nrows > lead)
        return err_set(e, "%s: rows [%llu, %llu) are outside the %llu rows of the dataset",
                       h5_describe(dset, where, sizeof where), (unsigned long long)row0,
                       (unsigned long long)(row0 + nrows), (unsigned long long)lead);
    p->row_bytes = H5Tget_size(memtype);
    for (int i = 1; i < ndim; i++) p->row_bytes *= p->dims[i];
    CHECKF(p->row_bytes <= H5U_MAX_XFER, "%s: a row of %llu bytes is too large",
           h5_describe(dset, where, sizeof where), (unsigned long long)p->row_bytes);
    if (lead == 0 || p->row_bytes == 0) {
        p->piece_rows = 1;
        p->calls = 0;  // zero-sized dataset (same answer on every rank): nothing to transfer
        return 0;
    }
    p->piece_rows = H5U_MAX_XFER / p->row_bytes;
    long mine = nrows == 0 ? 1 : (long)((nrows + p->piece_rows - 1) / p->piece_rows);
    p->calls = lead * p->row_bytes <= H5U_MAX_XFER ? 1 : agree_calls(dset, mine);
    return 0;
}

// A failed H5Dwrite on dset: e (when not NULL) names the file, the dataset and the cause, taken
// before any other HDF5 call clears the error stack. Returns -1.
static int write_fail(hid_t dset, ErrMsg *e) {
    int saved = errno;
    if (!e) return -1;
    char file[512] = "?", obj[256] = "?", what[300];
    hid_t stack = H5Eget_current_stack();  // the name queries below would clear the reason
    if (H5Fget_name(dset, file, sizeof file) < 0) snprintf(file, sizeof file, "?");
    if (H5Iget_name(dset, obj, sizeof obj) < 0) snprintf(obj, sizeof obj, "?");
    if (stack >= 0) H5Eset_current_stack(stack);
    snprintf(what, sizeof what, "dataset %s", obj);
    errno = saved;
    return h5_write_err(e, file, what);
}

// One collective transfer of rows [row0, row0 + n) (n may be 0). A failure fills e (before any
// other HDF5 call clears the stack) and returns -1.
static int rows_xfer(hid_t dset, hid_t memtype, const RowPlan *p, hsize_t row0, hsize_t n,
                     void *buf, hid_t dxpl, int is_write, ErrMsg *e) {
    static float dummy[1];
    char where[512];
    hid_t fspace = H5_CHECK(H5Dget_space(dset), "dataspace");
    hsize_t start[H5U_MAX_NDIM] = {0}, count[H5U_MAX_NDIM];
    for (int i = 0; i < p->ndim; i++) count[i] = p->dims[i];
    hid_t mspace;
    if (n == 0) {
        hsize_t one = 1;
        mspace = H5_CHECK(H5Screate_simple(1, &one, NULL), "dataspace");
        H5_CHECK(H5Sselect_none(mspace), "dataspace");
        H5_CHECK(H5Sselect_none(fspace), "dataspace");
        buf = dummy;
    } else if (p->ndim == 0) {
        mspace = H5_CHECK(H5Screate(H5S_SCALAR), "dataspace");
    } else {
        start[0] = row0;
        count[0] = n;
        mspace = H5_CHECK(H5Screate_simple(p->ndim, count, NULL), "dataspace");
        H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL),
                 "dataspace");
    }
    int rc = 0;
    if (is_write) {
        if (H5Dwrite(dset, memtype, mspace, fspace, dxpl, buf) < 0) rc = write_fail(dset, e);
    } else if (H5Dread(dset, memtype, mspace, fspace, dxpl, buf) < 0) {
        rc = h5_err(e, "%s: cannot read rows [%llu, %llu)", h5_describe(dset, where, sizeof where),
                    (unsigned long long)row0, (unsigned long long)(row0 + n));
    }
    h5_close(&mspace);
    h5_close(&fspace);
    return rc;
}

// Transfers rows [row0, row0 + nrows) in p->calls collective pieces (every rank makes every
// call, even after a failure, so no rank is left waiting); returns -1 after any failure.
static int rows_loop(hid_t dset, hid_t memtype, const RowPlan *p, hsize_t row0, hsize_t nrows,
                     void *buf, hid_t dxpl, int is_write, ErrMsg *e) {
    int worst = 0;
    hsize_t done = 0;
    for (long c = 0; c < p->calls; c++) {
        hsize_t n = nrows - done < p->piece_rows ? nrows - done : p->piece_rows;
        char *at = n ? (char *)buf + done * p->row_bytes : NULL;
        if (rows_xfer(dset, memtype, p, row0 + done, n, at, dxpl, is_write, worst ? NULL : e) < 0)
            worst = -1;
        done += n;
    }
    return worst;
}

int h5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows, const void *buf,
                  hid_t dxpl, ErrMsg *e) {
    h5_quiet();
    ErrMsg plan_e;
    RowPlan p;
    if (row_plan(dset, memtype, row0, nrows, &p, &plan_e) < 0) die("%s", plan_e.msg);
    if (p.calls == 0) return 0;  // empty dataset: nothing to transfer on any rank
    return rows_loop(dset, memtype, &p, row0, nrows, (void *)buf, dxpl, 1, e);
}

int h5_read_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows, void *buf, hid_t dxpl,
                 ErrMsg *e) {
    h5_quiet();
    RowPlan p;
    if (row_plan(dset, memtype, row0, nrows, &p, e) < 0) return -1;
    if (p.calls == 0) return 0;  // empty dataset
    return rows_loop(dset, memtype, &p, row0, nrows, buf, dxpl, 0, e);
}

int h5_check_identity(hid_t file, const char *path, const H5FileKind *k, int32_t *version,
                      ErrMsg *e) {
    char format[64] = "";
    if (!h5_attr_exists(file, "format"))
        return err_set(e,
                       "%s is not a concord %s: the root attribute 'format' is missing (expected "
                       "'%s')\n%s",
                       path, k->kind, k->format, k->hint_wrong);
    if (h5_attr_read_str(file, "format", format, sizeof format, e) < 0) return -1;
    if (strcmp(format, k->format) != 0)
        return err_set(e, "%s is not a concord %s: format is '%s', expected '%s'\n%s", path,
                       k->kind, format, k->format, k->hint_wrong);
    int32_t v = 0;
    if (h5_attr_read_i32(file, "format_version", &v, e) < 0) return -1;
    if (v > k->max_version)
        return err_set(e,
                       "%s has %s format_version %d; this build of concord reads up to %d\n"
                       "HINT: the file was written by a newer concord; read it with that version "
                       "or newer (see the root attribute created_by)",
                       path, k->kind, v, k->max_version);
    if (v < 1)
        return err_set(e,
                       "%s: invalid %s format_version %d (expected 1 to %d)\nHINT: the file is "
                       "damaged or was not written by concord",
                       path, k->kind, v, k->max_version);
    int has_complete = h5_attr_exists(file, "complete");
    uint8_t complete = 0;
    if (has_complete && h5_attr_read_u8(file, "complete", &complete, e) < 0) return -1;
    if (complete != 1)
        return err_set(e,
                       "%s is an incomplete %s (the root attribute 'complete' is %s): its write "
                       "was interrupted\n%s",
                       path, k->kind, has_complete ? "not 1" : "missing", k->hint_incomplete);
    if (version) *version = v;
    return 0;
}

/* ---- write failures ---- */

// Free bytes for unprivileged writers on the file system holding path's directory; -1 unknown.
static int64_t free_bytes(const char *path, char *dir, size_t dir_size) {
    fs_dirname(dir, dir_size, path);
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return -1;
    return (int64_t)((uint64_t)v.f_bavail * (uint64_t)v.f_frsize);
}

int h5_write_err(ErrMsg *e, const char *path, const char *what) {
    int saved = errno;
    char reason[512] = "", dir[1024];
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, reason);
    H5Eclear2(H5E_DEFAULT);
    int64_t avail = free_bytes(path, dir, sizeof dir);
    if (saved == ENOSPC || (avail >= 0 && (uint64_t)avail < H5_FULL_BYTES))
        return err_set(e, "cannot write %s (%s): no space left on device (%lld bytes free on %s)",
                       path, what, (long long)(avail < 0 ? 0 : avail), dir);
    if (saved != 0 && !reason[0]) snprintf(reason, sizeof reason, "%s", strerror(saved));
    return err_set(e, "cannot write %s (%s): %s", path, what,
                   reason[0] ? reason : "unknown I/O error");
}

int h5_check_space(const char *path, uint64_t need, ErrMsg *e) {
    char dir[1024];
    int64_t avail = free_bytes(path, dir, sizeof dir);
    if (avail < 0 || (uint64_t)avail >= need + H5U_SPACE_MARGIN) return 0;
    return err_set(e,
                   "cannot write %s: no space left on device (%s has %lld bytes free, about %llu "
                   "needed)\nHINT: free space there (older checkpoints are kept by "
                   "checkpoint.keep), then run the same command again to resume",
                   path, dir, (long long)avail, (unsigned long long)(need + H5U_SPACE_MARGIN));
}

int h5_flush(hid_t file, const char *path, ErrMsg *e) {
    errno = 0;
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0) return 0;
    return h5_write_err(e, path, "flushing the file");
}

int h5_file_close(hid_t *file, const char *path, ErrMsg *e) {
    hid_t f = *file;
    *file = H5I_INVALID_HID;
    if (f == H5I_INVALID_HID) return 0;
    errno = 0;
    if (H5Fclose(f) >= 0) return 0;
    return h5_write_err(e, path, "closing the file");
}
