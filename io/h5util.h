/* io/h5util.h — small helpers over parallel HDF5 1.10 used by every file module (ckpt, prefbuf).
   Two error regimes:
   - Writing our own files and creating objects: failures are internal errors. H5_CHECK() prints the
     HDF5 error stack once plus the object name and calls die() (which ends every rank).
   - Reading user files (anything a user can hand us): failures are recoverable. The h5_read_* and
     h5_open_* functions return a negative code and fill an ErrMsg with one sentence naming the
     file, the object and HDF5's own innermost reason; nothing is printed.
   HDF5's automatic error printing is switched off by h5_quiet(), which every helper below calls
   lazily, so no HDF5 error stack ever reaches the user unasked.
   Memory type == file type: numbers use H5T_IEEE_F32LE, H5T_IEEE_F64LE, H5T_STD_I32LE, I64LE,
   U64LE, U8LE, which equal the native types on x86-64/aarch64, so collective I/O is never broken
   by a conversion. Strings are fixed-length, NUL-terminated ASCII.
   Collectiveness follows HDF5: creating files, groups, datasets and attributes, and writing
   attributes, are collective over the file's communicator (every rank passes the same values). */
#ifndef CONCORD_IO_H5UTIL_H
#define CONCORD_IO_H5UTIL_H

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#include "util/err.h"

/* Dies (after printing the HDF5 stack once) when expr is negative; evaluates to expr as hid_t.
   what names the object, e.g. H5_CHECK(H5Dcreate2(...), "/model/wte"). */
#define H5_CHECK(expr, what) h5_check_at((hid_t)(expr), #expr, (what), __FILE__, __LINE__, __func__)
hid_t h5_check_at(hid_t ret, const char *expr, const char *what, const char *file, int line,
                  const char *func);

/* Turns off HDF5's automatic error-stack printing (idempotent; every helper calls it). */
void h5_quiet(void);

/* Formats a recoverable error: "<fmt...>: <innermost HDF5 reason>" into e, clears the HDF5 stack,
   returns -1. Use after a failed HDF5 read call on user data. */
int h5_err(ErrMsg *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- property lists (caller closes with h5_close) ---- */

/* File access for collective I/O over comm: MPI-IO driver (MPI_INFO_NULL hints), collective
   metadata reads and writes, libver bounds (V110, V110), alignment 4096 for objects >= 4 KiB. */
hid_t h5_fapl_mpio(MPI_Comm comm);
/* File access for a single process (sec2 driver, no MPI needed), same libver bounds; for readers
   such as `concord inspect`. File locking is skipped where the file system does not support it. */
hid_t h5_fapl_serial(void);
/* Dataset transfer with H5FD_MPIO_COLLECTIVE. */
hid_t h5_dxpl_collective(void);

/* ---- files, groups, objects ---- */

/* Creates (truncating) path with fapl. Recoverable: returns a negative id and fills e (e.g. the
   directory does not exist or is not writable). Collective when fapl is an MPI-IO fapl. */
hid_t h5_file_create(const char *path, hid_t fapl, ErrMsg *e);
/* Opens path read-only with fapl. Recoverable: missing file, not an HDF5 file, truncated file each
   give one sentence naming the path. Collective when fapl is an MPI-IO fapl. */
hid_t h5_file_open(const char *path, hid_t fapl, ErrMsg *e);
/* Creates a group (dies on failure; collective). */
hid_t h5_group_create(hid_t loc, const char *name);
/* Opens an existing group; recoverable (missing group -> "<file>: group <path> is missing"). */
hid_t h5_group_open(hid_t loc, const char *name, ErrMsg *e);
/* 1 if the path (possibly nested "a/b/c", relative to loc) names an existing link, else 0. */
int h5_exists(hid_t loc, const char *path);
/* 1 if obj has an attribute called name, else 0. */
int h5_attr_exists(hid_t obj, const char *name);
/* Closes any HDF5 id (file, group, dataset, dataspace, type, attribute, plist) and sets *id to
   H5I_INVALID_HID. Safe on H5I_INVALID_HID and when called twice. */
void h5_close(hid_t *id);
/* Writes "<file>:<object path>" of obj into buf (for messages); returns buf. */
const char *h5_describe(hid_t obj, char *buf, size_t size);

/* A fixed-length, NUL-terminated string type of len characters (caller closes it). */
hid_t h5_str_type(size_t len);

/* ---- attributes (io/h5attr.c): writers die on failure (collective, same value on every rank) ---- */

void h5_attr_write_str(hid_t obj, const char *name, const char *value);
/* n fixed-length strings (width = longest + 1) as a 1-D attribute of length n (n >= 1). */
void h5_attr_write_str_array(hid_t obj, const char *name, const char *const *values, int n);
void h5_attr_write_i32(hid_t obj, const char *name, int32_t value);
void h5_attr_write_i64(hid_t obj, const char *name, int64_t value);
void h5_attr_write_u8(hid_t obj, const char *name, uint8_t value);
void h5_attr_write_u32(hid_t obj, const char *name, uint32_t value);
void h5_attr_write_u64(hid_t obj, const char *name, uint64_t value);
void h5_attr_write_f32(hid_t obj, const char *name, float value);
void h5_attr_write_f64(hid_t obj, const char *name, double value);

/* ---- attributes: readers are recoverable (missing attribute, wrong class or size -> ErrMsg) ----
 */

/* Reads a scalar string attribute into buf (NUL-terminated); a value that does not fit is an
   error. */
int h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t size,
                     ErrMsg *e) WARN_UNUSED_RESULT;
/* Reads a 1-D string-array attribute into buf as rows of width bytes (each NUL-terminated);
 *n receives the count; more than max_n entries or an entry longer than width-1 is an error. */
int h5_attr_read_str_array(hid_t obj, const char *name, char *buf, size_t width, int max_n, int *n,
                           ErrMsg *e) WARN_UNUSED_RESULT;
/* Scalar numeric readers: the attribute must be a scalar of the matching class (integer or
   float); HDF5 converts between sizes, and an out-of-range value is an error. */
int h5_attr_read_i32(hid_t obj, const char *name, int32_t *value, ErrMsg *e) WARN_UNUSED_RESULT;
int h5_attr_read_i64(hid_t obj, const char *name, int64_t *value, ErrMsg *e) WARN_UNUSED_RESULT;
int h5_attr_read_u8(hid_t obj, const char *name, uint8_t *value, ErrMsg *e) WARN_UNUSED_RESULT;
int h5_attr_read_u64(hid_t obj, const char *name, uint64_t *value, ErrMsg *e) WARN_UNUSED_RESULT;
int h5_attr_read_f32(hid_t obj, const char *name, float *value, ErrMsg *e) WARN_UNUSED_RESULT;
int h5_attr_read_f64(hid_t obj, const char *name, double *value, ErrMsg *e) WARN_UNUSED_RESULT;

/* How one of concord's file kinds names itself in its root attributes, and what to tell a user
   who passes another file or a partly written one. */
typedef struct {
    const char *kind;             // "checkpoint", "preference file"
    const char *format;           // expected root attribute 'format'
    int max_version;              // newest root 'format_version' this build reads (oldest is 1)
    const char *hint_wrong;       // "HINT: ..." for a file of another kind
    const char *hint_incomplete;  // "HINT: ..." for a file whose root 'complete' is not 1
} H5FileKind;

/* Checks the root attributes format, format_version (1..max_version) and complete (= 1) of an
   open file; fills *version (may be NULL). Returns 0, or -1 with one message naming path, the
   attribute and the fix. */
int h5_check_identity(hid_t file, const char *path, const H5FileKind *k, int32_t *version,
                      ErrMsg *e) WARN_UNUSED_RESULT;

/* ---- datasets ---- */

/* Creates a contiguous dataset of type (e.g. H5T_IEEE_F32LE) and shape dims[ndim] (ndim 0 =
   scalar) with the string attributes description and dims (dims_text, e.g. "(L, 3*C, C)").
   Space is allocated early and never filled: contents are undefined until written. Collective;
   dies on failure. Returns the open dataset (caller closes). */
hid_t h5_dataset_create(hid_t loc, const char *name, hid_t type, int ndim, const hsize_t *dims,
                        const char *description, const char *dims_text);
/* Same, chunked: chunk[ndim] chunk shape, maxdims NULL = dims (H5S_UNLIMITED allowed),
   deflate_level 0 = no filters, 1..9 = shuffle + deflate (legal in parallel because all our
   writes are collective). */
hid_t h5_dataset_create_chunked(hid_t loc, const char *name, hid_t type, int ndim,
                                const hsize_t *dims, const hsize_t *maxdims, const hsize_t *chunk,
                                int deflate_level, const char *description, const char *dims_text);
/* Creates a scalar fixed-length string dataset holding text (its length + 1 bytes) with a
   description attribute and its crc32; only ranks with is_writer != 0 write the data, the others
   select none. Collective; returns 0 or -1 with e filled (h5_write_err). */
int h5_dataset_write_str(hid_t loc, const char *name, const char *text, const char *description,
                         int is_writer, hid_t dxpl, ErrMsg *e) WARN_UNUSED_RESULT;
/* Reads a scalar fixed-length string dataset into a newly allocated NUL-terminated string
   (*text, caller xfree()s) and checks its crc32 (h5_crc_verify; required when the file is
   checksummed). Recoverable. */
int h5_dataset_read_str(hid_t loc, const char *name, char **text, hid_t dxpl,
                        ErrMsg *e) WARN_UNUSED_RESULT;

/* Shape of an open dataset: fills dims[0..ndim) (max_ndim entries at most) and returns ndim, or a
   negative code with e filled (more than max_ndim dimensions, or HDF5 failure). */
int h5_dataset_shape(hid_t dset, hsize_t *dims, int max_ndim, ErrMsg *e) WARN_UNUSED_RESULT;

/* Collective write of rows [row0, row0 + nrows) of dset's leading dimension (all other
   dimensions whole) from buf, in memtype (== the file type). A rank with nrows == 0 selects
   none and still takes part (buf may be NULL). Each transfer stays under 2 GiB (large blocks are
   written in several collective calls; every rank makes the same number of calls, also after a
   failure). Returns 0, or -1 with e filled by h5_write_err (e.g. a full disk). */
int h5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows, const void *buf,
                  hid_t dxpl, ErrMsg *e) WARN_UNUSED_RESULT;
/* Collective read of rows [row0, row0 + nrows) into buf (nrows == 0: select none, still takes
   part). Recoverable: returns a negative code with e filled. */
int h5_read_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows, void *buf, hid_t dxpl,
                 ErrMsg *e) WARN_UNUSED_RESULT;

/* Splits n rows over nranks as evenly as possible; rank gets [*row0, *row0 + *nrows). */
void h5_split_rows(hsize_t n, int rank, int nranks, hsize_t *row0, hsize_t *nrows);

/* ---- write failures (a full disk) ----
   Writers of our own files report I/O failures instead of dying: h5_write_rows, h5_flush and
   h5_file_close return -1 with one sentence naming the file and the cause ("no space left on
   device" when errno says so or the file system has less than H5_FULL_BYTES free: MPI-IO does
   not pass errno on). A writer keeps making every collective call after a failure, so no rank
   waits, then agrees on the outcome (io_agree) and removes its temporary file. */
#define H5_FULL_BYTES ((uint64_t)64 << 10)  // less free space than this counts as a full disk

/* Fills e with "cannot write <path> (<what>): <cause>" for a failed write (cause from errno, the
   free space of path's file system, or the HDF5 stack) and returns -1. */
int h5_write_err(ErrMsg *e, const char *path, const char *what);
/* Before writing about need bytes to path: -1 with e = "cannot write <path>: no space left on
   device (<dir> has N bytes free, about M needed)" when the file system has less than need + a
   margin free, else 0. Not collective (callers check on one rank and agree). */
int h5_check_space(const char *path, uint64_t need, ErrMsg *e) WARN_UNUSED_RESULT;
/* H5Fflush (global scope); 0 or -1 with e filled (h5_write_err). */
int h5_flush(hid_t file, const char *path, ErrMsg *e) WARN_UNUSED_RESULT;
/* H5Fclose; sets *file to H5I_INVALID_HID either way. 0 or -1 with e filled. */
int h5_file_close(hid_t *file, const char *path, ErrMsg *e) WARN_UNUSED_RESULT;

/* Checksums of datasets (crc32 attributes): io/h5crc.h, included here for every writer and reader. */
#include "io/h5crc.h"

#endif
