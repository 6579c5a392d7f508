/* tests/fuzz/h5mutate.c — the edit programs of h5mutate.h applied through the HDF5 API.
   Every edit builds what it writes from the program's bytes; HDF5 errors (an edit whose target an
   earlier edit removed, a type HDF5 cannot convert) are expected and silenced: the edit is then
   skipped. Sizes stay small (at most H5M_MAX_ELEMS elements per new object, strings of at most 48
   bytes) except the deliberate 2^40-row unallocated dataset of dset_resize. */
#include "h5mutate.h"

#include <hdf5.h>

#include "io/h5util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H5M_MAX_ELEMS 4096        // elements of a dataset or attribute an edit creates
#define H5M_MAX_READ  (1u << 20)  // bytes of a dataset dset_write/dset_resize read back

enum {
    OP_ATTR_DELETE,
    OP_ATTR_INT,
    OP_ATTR_FLOAT,
    OP_ATTR_STRING,
    OP_ATTR_SHAPE,
    OP_ATTR_ADD,
    OP_LINK_DELETE,
    OP_LINK_MOVE,
    OP_DSET_REPLACE,
    OP_DSET_WRITE,
    OP_DSET_RESIZE,
    OP_KIND_SWAP,
    OP_SOFT_LINK,
    OP_HARD_LINK,
    N_OPS
};

typedef struct {
    const uint8_t *p;
    size_t n, at;
} Bytes;

static uint8_t take(Bytes *b) { return b->at < b->n ? b->p[b->at++] : 0; }

static uint64_t take_n(Bytes *b, int k) {
    uint64_t v = 0;
    for (int i = 0; i < k; i++) v |= (uint64_t)take(b) << (8 * i);
    return v;
}

// Integers readers compare against: limits of every width, small values, sizes near our limits.
static int64_t interesting_int(Bytes *b) {
    static const int64_t table[] = {0,
                                    1,
                                    -1,
                                    2,
                                    3,
                                    7,
                                    8,
                                    16,
                                    17,
                                    127,
                                    128,
                                    255,
                                    256,
                                    1024,
                                    4097,
                                    32767,
                                    65535,
                                    2147483647,
                                    -2147483647 - 1,
                                    4294967295,
                                    1ll << 40,
                                    INT64_MAX,
                                    INT64_MIN};
    uint8_t k = take(b);
    if (k < 200) return table[k % (sizeof table / sizeof table[0])];
    return (int64_t)take_n(b, 8);
}

static double interesting_float(Bytes *b) {
    static const double table[] = {0.0,    -0.0,  1.0,    -1.0, 0.5,        1e-45, 1e-310,
                                   3.4e38, 1e300, -1e300, 1e9,  20240326.0, 2.5};
    uint8_t k = take(b);
    if (k < 40) return NAN;
    if (k < 60) return INFINITY;
    if (k < 80) return -INFINITY;
    if (k < 220) return table[k % (sizeof table / sizeof table[0])];
    uint64_t bits = take_n(b, 8);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

// A new integer or float file type (little-endian, as concord writes) picked by k.
static hid_t pick_number_type(uint8_t k) {
    switch (k % 9) {
        case 0: return H5Tcopy(H5T_STD_I8LE);
        case 1: return H5Tcopy(H5T_STD_U8LE);
        case 2: return H5Tcopy(H5T_STD_I16LE);
        case 3: return H5Tcopy(H5T_STD_I32LE);
        case 4: return H5Tcopy(H5T_STD_U32LE);
        case 5: return H5Tcopy(H5T_STD_I64LE);
        case 6: return H5Tcopy(H5T_STD_U64LE);
        case 7: return H5Tcopy(H5T_IEEE_F32LE);
        default: return H5Tcopy(H5T_IEEE_F64LE);
    }
}

// A fixed-length string type of size bytes (>= 1) with padding picked by k.
static hid_t string_type(size_t size, uint8_t k) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, size ? size : 1);
    H5Tset_strpad(t, k % 3 == 0   ? H5T_STR_NULLTERM
                     : k % 3 == 1 ? H5T_STR_NULLPAD
                                  : H5T_STR_SPACEPAD);
    return t;
}

// An enum over int8 with members picked by k (a stand-in for, or a corruption of, a label enum).
static hid_t enum_type(uint8_t k) {
    static const char *const names[] = {"DROPPED", "TIE", "PREFERRED", "CHOSEN_ONLY", "OTHER"};
    hid_t t = H5Tenum_create(H5T_STD_I8LE);
    int n = 1 + k % 5;
    for (int i = 0; i < n; i++) {
        int8_t v = (int8_t)(i - 1 + (k >= 128 ? 3 : 0));
        H5Tenum_insert(t, names[i], &v);
    }
    return t;
}

// Fills buf[0..size) from the program: raw bytes, or one repeated byte when the program ends.
static void fill_bytes(Bytes *b, uint8_t *buf, size_t size) {
    uint8_t mode = take(b);
    for (size_t i = 0; i < size; i++) buf[i] = mode < 128 ? take(b) : (uint8_t)(mode * (i + 1));
}

// Fills n elements of type t in buf with values from the program (numbers: interesting values).
static void fill_elements(Bytes *b, hid_t t, void *buf, size_t n) {
    size_t ts = H5Tget_size(t);
    H5T_class_t cls = H5Tget_class(t);
    for (size_t i = 0; i < n; i++) {
        uint8_t *el = (uint8_t *)buf + i * ts;
        if (cls == H5T_FLOAT && ts == 4) {
            float f = (float)interesting_float(b);
            memcpy(el, &f, 4);
        } else if (cls == H5T_FLOAT && ts == 8) {
            double d = interesting_float(b);
            memcpy(el, &d, 8);
        } else if (cls == H5T_INTEGER || cls == H5T_ENUM) {
            int64_t v = interesting_int(b);
            memcpy(el, &v, ts < 8 ? ts : 8);  // low bytes: little-endian truncation
        } else {
            fill_bytes(b, el, ts);
        }
    }
}

static int is_vlen(hid_t t) { return H5Tis_variable_str(t) > 0 || H5Tget_class(t) == H5T_VLEN; }

// Replaces attribute name of object obj with one of type t over space s holding data.
static void put_attr(hid_t file, const char *obj, const char *name, hid_t t, hid_t s,
                     const void *data) {
    if (H5Aexists_by_name(file, obj, name, H5P_DEFAULT) > 0)
        H5Adelete_by_name(file, obj, name, H5P_DEFAULT);
    hid_t a = H5Acreate_by_name(file, obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return;
    if (data) H5Awrite(a, t, data);
    H5Aclose(a);
}

// Scalar attribute of a number type from the program.
static void put_number_attr(hid_t file, const char *obj, const char *name, Bytes *b, int floats) {
    uint8_t k = take(b);
    hid_t t = floats ? H5Tcopy(k & 1 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE) : pick_number_type(k % 7);
    hid_t s = H5Screate(H5S_SCALAR);
    uint8_t buf[8] = {0};
    fill_elements(b, t, buf, 1);
    put_attr(file, obj, name, t, s, buf);
    H5Sclose(s);
    H5Tclose(t);
}

// Scalar string attribute (fixed or variable length) from the program.
static void put_string_attr(hid_t file, const char *obj, const char *name, Bytes *b) {
    uint8_t len = take(b) % 49, k = take(b);
    char text[64] = {0};
    fill_bytes(b, (uint8_t *)text, len);
    hid_t s = H5Screate(H5S_SCALAR);
    if (k >= 200) {  // variable length: stops at the first NUL
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        const char *p = text;
        put_attr(file, obj, name, t, s, &p);
        H5Tclose(t);
    } else {
        hid_t t = string_type(len, k);
        put_attr(file, obj, name, t, s, text);
        H5Tclose(t);
    }
    H5Sclose(s);
}

// A dataspace picked by the program: scalar, null, 1-D of 0..4, or 2-D; *n gets its elements.
static hid_t pick_space(Bytes *b, size_t *n) {
    uint8_t k = take(b) % 5;
    hsize_t d[2] = {k == 2 ? 0 : (hsize_t)(1 + take(b) % 4), (hsize_t)(1 + take(b) % 3)};
    *n = 1;
    if (k == 0) return H5Screate(H5S_SCALAR);
    if (k == 1) {
        *n = 0;
        return H5Screate(H5S_NULL);
    }
    if (k <= 3) {
        *n = d[0];
        return H5Screate_simple(1, d, NULL);
    }
    *n = d[0] * d[1];
    return H5Screate_simple(2, d, NULL);
}

static void op_attr_shape(hid_t file, const char *obj, const char *name, Bytes *b) {
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return;
    hid_t t = H5Aget_type(a);
    H5Aclose(a);
    if (t < 0) return;
    if (is_vlen(t)) {  // keep the string but make it fixed-length, so the bytes can be written
        H5Tclose(t);
        t = string_type(8, 0);
    }
    size_t n = 0;
    hid_t s = pick_space(b, &n);
    size_t ts = H5Tget_size(t);
    uint8_t *buf = calloc(n ? n : 1, ts ? ts : 1);
    fill_elements(b, t, buf, n);
    put_attr(file, obj, name, t, s, n ? buf : NULL);
    free(buf);
    H5Sclose(s);
    H5Tclose(t);
}

static void op_attr_add(hid_t file, const char *obj, Bytes *b) {
    static const char *const names[] = {"format",
                                        "format_version",
                                        "complete",
                                        "created_by",
                                        "n_rows",
                                        "round",
                                        "n_judges",
                                        "max_prompt_len",
                                        "max_resp_len",
                                        "charset",
                                        "aggregation",
                                        "judge_names",
                                        "names",
                                        "position",
                                        "phase",
                                        "step",
                                        "seed",
                                        "algo",
                                        "description",
                                        "dims",
                                        "kept_fraction",
                                        "bad name!",
                                        "x"};
    uint8_t k = take(b);
    char name[32];
    if (k < 200) {
        snprintf(name, sizeof name, "%s", names[k % (sizeof names / sizeof names[0])]);
    } else {
        uint8_t len = 1 + take(b) % 20;
        for (int i = 0; i < len; i++) name[i] = (char)(take(b) | 1);  // no NUL inside
        name[len] = '\0';
    }
    uint8_t kind = take(b) % 3;
    if (kind == 2)
        put_string_attr(file, obj, name, b);
    else
        put_number_attr(file, obj, name, b, kind);
}

// Creates dataset path of type t and space s (layout from k), writes data when not NULL.
static void make_dataset(hid_t file, const char *path, hid_t t, hid_t s, const void *data,
                         uint8_t k) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int nd = H5Sget_simple_extent_ndims(s);
    if (nd > 0 && k % 3 == 1) {
        hsize_t chunk[H5S_MAX_RANK];
        H5Sget_simple_extent_dims(s, chunk, NULL);
        for (int i = 0; i < nd; i++) chunk[i] = chunk[i] ? (chunk[i] + 1) / 2 : 1;
        H5Pset_chunk(dcpl, nd, chunk);
        if (k & 8) H5Pset_deflate(dcpl, 1);
    } else if (k % 3 == 2) {
        H5Pset_layout(dcpl, H5D_COMPACT);
    }
    hid_t d = H5Dcreate2(file, path, t, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) {  // e.g. compact data too large: fall back to contiguous
        H5Pclose(dcpl);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        d = H5Dcreate2(file, path, t, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    }
    if (d >= 0 && data) H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl);
}

static void op_dset_replace(hid_t file, const char *path, Bytes *b) {
    uint8_t k = take(b);
    hid_t t;
    if (k % 12 < 9)
        t = pick_number_type(k % 12);
    else if (k % 12 < 11)
        t = string_type(1 + take(b) % 48, take(b));
    else
        t = enum_type(take(b));
    // shape: rank 0..3, each extent 0..5 or the original's +-1
    hsize_t old[H5S_MAX_RANK] = {0};
    int old_nd = -1;
    hid_t od = H5Dopen2(file, path, H5P_DEFAULT);
    if (od >= 0) {
        hid_t os = H5Dget_space(od);
        old_nd = H5Sget_simple_extent_ndims(os);
        if (old_nd > 0 && old_nd <= H5S_MAX_RANK) H5Sget_simple_extent_dims(os, old, NULL);
        H5Sclose(os);
        H5Dclose(od);
    }
    int nd = take(b) % 4;
    hsize_t dims[3];
    size_t n = 1;
    for (int i = 0; i < nd; i++) {
        uint8_t e = take(b);
        if (e < 128 || i >= old_nd)
            dims[i] = e % 6;
        else
            dims[i] = old[i] + (e % 3) - 1;
        n *= dims[i];
    }
    if (n > H5M_MAX_ELEMS) {
        H5Tclose(t);
        return;
    }
    hid_t s = nd ? H5Screate_simple(nd, dims, NULL) : H5Screate(H5S_SCALAR);
    size_t ts = H5Tget_size(t);
    uint8_t *buf = calloc(n ? n : 1, ts);
    fill_elements(b, t, buf, n);
    H5Ldelete(file, path, H5P_DEFAULT);
    make_dataset(file, path, t, s, n ? buf : NULL, take(b));
    free(buf);
    H5Sclose(s);
    H5Tclose(t);
}

// Reads a whole dataset in its own type into a new buffer (NULL for variable-length or big ones).
static uint8_t *read_all(hid_t d, hid_t *t, hid_t *s, size_t *n) {
    *t = H5Dget_type(d);
    *s = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(*s);
    size_t ts = *t >= 0 ? H5Tget_size(*t) : 0;
    if (*t < 0 || *s < 0 || np < 0 || is_vlen(*t) || ts == 0 || (size_t)np * ts > H5M_MAX_READ)
        return NULL;
    *n = (size_t)np;
    uint8_t *buf = calloc(*n ? *n : 1, ts);
    if (*n && H5Dread(d, *t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void op_dset_write(hid_t file, const char *path, Bytes *b) {
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return;
    hid_t t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    size_t n = 0;
    uint8_t *buf = read_all(d, &t, &s, &n);
    if (buf && n > 0) {
        size_t at = (size_t)take_n(b, 2) % n, count = 1 + take(b) % 4;
        if (at + count > n) count = n - at;
        fill_elements(b, t, buf + at * H5Tget_size(t), count);
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    }
    free(buf);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
}

static void op_dset_resize(hid_t file, const char *path, Bytes *b) {
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return;
    hid_t t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    size_t n = 0;
    uint8_t *buf = read_all(d, &t, &s, &n);
    int nd = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    H5Dclose(d);
    if (buf && nd >= 1) {
        hsize_t dims[H5S_MAX_RANK];
        H5Sget_simple_extent_dims(s, dims, NULL);
        hsize_t rows = dims[0], row_elems = rows ? n / rows : 0;
        uint8_t k = take(b) % 5;
        hsize_t new_rows = k == 0   ? (rows ? rows - 1 : 0)
                           : k == 1 ? rows + 1
                           : k == 2 ? 0
                           : k == 3 ? 2 * rows
                                    : (hsize_t)1 << 40;
        dims[0] = new_rows;
        hsize_t maxdims[H5S_MAX_RANK];
        for (int i = 0; i < nd; i++) maxdims[i] = i == 0 ? H5S_UNLIMITED : dims[i];
        hid_t ns = H5Screate_simple(nd, dims, maxdims);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        hsize_t chunk[H5S_MAX_RANK];
        for (int i = 0; i < nd; i++) chunk[i] = i == 0 ? 4 : (dims[i] ? dims[i] : 1);
        H5Pset_chunk(dcpl, nd, chunk);
        H5Ldelete(file, path, H5P_DEFAULT);
        hid_t nd_id = H5Dcreate2(file, path, t, ns, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        hsize_t keep = new_rows < rows ? new_rows : rows;
        if (nd_id >= 0 && keep > 0 && row_elems > 0) {  // the rows both shapes have, as they were
            hid_t fs = H5Dget_space(nd_id);
            hsize_t start[H5S_MAX_RANK] = {0}, cnt[H5S_MAX_RANK];
            for (int i = 0; i < nd; i++) cnt[i] = i == 0 ? keep : dims[i];
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL);
            hid_t ms = H5Screate_simple(nd, cnt, NULL);
            H5Dwrite(nd_id, t, ms, fs, H5P_DEFAULT, buf);
            H5Sclose(ms);
            H5Sclose(fs);
        }
        if (nd_id >= 0) H5Dclose(nd_id);
        H5Pclose(dcpl);
        H5Sclose(ns);
    }
    free(buf);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
}

static void op_kind_swap(hid_t file, const char *path, int is_dataset, Bytes *b) {
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0 || strcmp(path, "/") == 0) return;
    H5Ldelete(file, path, H5P_DEFAULT);
    if (is_dataset) {
        hid_t g = H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g >= 0) H5Gclose(g);
    } else {
        hid_t t = pick_number_type(take(b)), s = H5Screate(H5S_SCALAR);
        uint8_t buf[8] = {0};
        fill_elements(b, t, buf, 1);
        make_dataset(file, path, t, s, buf, 0);
        H5Sclose(s);
        H5Tclose(t);
    }
}

// H5Lvisit callback of reseal: the crc32 attribute of each dataset, from its stored bytes.
static herr_t reseal_cb(hid_t file, const char *name, const H5L_info_t *info, void *data) {
    (void)info, (void)data;
    hid_t d = H5Oopen(file, name, H5P_DEFAULT);
    if (d < 0) return 0;
    uint32_t crc = 0;
    ErrMsg e;
    hssize_t points = -1;
    if (H5Iget_type(d) == H5I_DATASET) {  // the 2^40-row datasets of dset_resize stay unsealed
        hid_t s = H5Dget_space(d);
        points = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
        if (s >= 0) H5Sclose(s);
    }
    if (points >= 0 && points <= H5M_MAX_ELEMS * 16 &&
        h5_dataset_crc(d, H5P_DEFAULT, &crc, &e) == 0) {
        hid_t t = H5Tcopy(H5T_STD_U32LE), s = H5Screate(H5S_SCALAR);
        put_attr(d, ".", H5_CRC_ATTR, t, s, &crc);
        H5Sclose(s);
        H5Tclose(t);
    }
    H5Oclose(d);
    return 0;
}

int h5m_apply(const H5Base *base, const char *path, const uint8_t *prog, size_t n, int reseal) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(base->bytes, 1, base->size, f) != base->size || fclose(f) != 0) {
        fprintf(stderr, "h5mutate: cannot write %s\n", path);
        abort();
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0) {
        fprintf(stderr, "h5mutate: HDF5 cannot open the base file %s\n", path);
        abort();
    }
    Bytes b = {prog, n, 0};
    int applied = 0;
    for (int op = 0; op < H5M_MAX_OPS && b.at < b.n; op++) {
        uint8_t code = take(&b) % N_OPS;
        uint16_t sel = (uint16_t)take_n(&b, 2), sel2 = (uint16_t)take_n(&b, 2);
        const char *obj = base->objects[sel % base->n_objects];
        const char *other = base->objects[sel2 % base->n_objects];
        int is_dataset = base->is_dataset[sel % base->n_objects];
        int ai = base->n_attrs ? sel % base->n_attrs : -1;
        const char *aobj = ai >= 0 ? base->attr_obj[ai] : "/";
        const char *aname = ai >= 0 ? base->attr_name[ai] : "none";
        int root = strcmp(obj, "/") == 0;
        switch (code) {
            case OP_ATTR_DELETE: H5Adelete_by_name(file, aobj, aname, H5P_DEFAULT); break;
            case OP_ATTR_INT: put_number_attr(file, aobj, aname, &b, 0); break;
            case OP_ATTR_FLOAT: put_number_attr(file, aobj, aname, &b, 1); break;
            case OP_ATTR_STRING: put_string_attr(file, aobj, aname, &b); break;
            case OP_ATTR_SHAPE: op_attr_shape(file, aobj, aname, &b); break;
            case OP_ATTR_ADD: op_attr_add(file, obj, &b); break;
            case OP_LINK_DELETE:
                if (!root) H5Ldelete(file, obj, H5P_DEFAULT);
                break;
            case OP_LINK_MOVE:
                if (root) break;
                if (take(&b) & 1 && strcmp(other, "/") != 0 &&
                    strncmp(other, obj, strlen(obj)) != 0) {
                    H5Ldelete(file, other, H5P_DEFAULT);  // move over another object
                    H5Lmove(file, obj, file, other, H5P_DEFAULT, H5P_DEFAULT);
                } else {
                    char to[H5M_PATH_MAX + 8];
                    snprintf(to, sizeof to, "%s_old", obj);
                    H5Lmove(file, obj, file, to, H5P_DEFAULT, H5P_DEFAULT);
                }
                break;
            case OP_DSET_REPLACE:
                if (!root) op_dset_replace(file, obj, &b);
                break;
            case OP_DSET_WRITE: op_dset_write(file, obj, &b); break;
            case OP_DSET_RESIZE: op_dset_resize(file, obj, &b); break;
            case OP_KIND_SWAP: op_kind_swap(file, obj, is_dataset, &b); break;
            case OP_SOFT_LINK:
                if (root) break;
                H5Ldelete(file, obj, H5P_DEFAULT);
                H5Lcreate_soft(take(&b) & 1 ? "/nowhere" : other, file, obj, H5P_DEFAULT,
                               H5P_DEFAULT);
                break;
            case OP_HARD_LINK:
                if (root || strncmp(other, obj, strlen(obj)) == 0)
                    break;  // other would go with obj
                H5Ldelete(file, obj, H5P_DEFAULT);
                H5Lcreate_hard(file, other, file, obj, H5P_DEFAULT, H5P_DEFAULT);
                break;
        }
        applied++;
    }
    if (reseal) H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, reseal_cb, NULL);
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    return applied;
}

/* ---- the base file ---- */

typedef struct {
    H5Base *base;
    hid_t file;
} Visit;

static void add_attrs(H5Base *base, hid_t file, const char *obj);

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
    (void)loc, (void)info;
    Visit *v = data;
    H5Base *b = v->base;
    if (b->n_attrs >= H5M_MAX_ITEMS) return 1;
    snprintf(b->attr_obj[b->n_attrs], H5M_PATH_MAX, "%s", b->objects[b->n_objects - 1]);
    snprintf(b->attr_name[b->n_attrs], H5M_NAME_MAX, "%s", name);
    b->n_attrs++;
    return 0;
}

static void add_object(H5Base *b, hid_t file, const char *path) {
    if (b->n_objects >= H5M_MAX_ITEMS) return;
    hid_t o = H5Oopen(file, path, H5P_DEFAULT);
    if (o < 0) return;
    snprintf(b->objects[b->n_objects], H5M_PATH_MAX, "%s", path);
    b->is_dataset[b->n_objects] = H5Iget_type(o) == H5I_DATASET;
    b->n_objects++;
    H5Oclose(o);
    add_attrs(b, file, path);
}

static void add_attrs(H5Base *base, hid_t file, const char *obj) {
    Visit v = {base, file};
    hsize_t idx = 0;
    H5Aiterate_by_name(file, obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, &v, H5P_DEFAULT);
}

static herr_t link_cb(hid_t loc, const char *name, const H5L_info_t *info, void *data) {
    (void)loc, (void)info;
    Visit *v = data;
    char path[H5M_PATH_MAX];
    snprintf(path, sizeof path, "/%s", name);
    add_object(v->base, v->file, path);
    return 0;
}

void h5m_load_base(H5Base *base, const char *path) {
    memset(base, 0, sizeof *base);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "h5mutate: cannot read %s\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    base->bytes = malloc((size_t)size);
    if (!base->bytes || fread(base->bytes, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "h5mutate: cannot read %s\n", path);
        abort();
    }
    fclose(f);
    base->size = (size_t)size;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        fprintf(stderr, "h5mutate: HDF5 cannot open %s\n", path);
        abort();
    }
    add_object(base, file, "/");
    Visit v = {base, file};
    H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, link_cb, &v);
    H5Fclose(file);
}

void h5m_save_copy(const char *path) {
    const char *to = getenv("CONCORD_FUZZ_SAVE");
    if (!to || !*to) return;
    FILE *in = fopen(path, "rb"), *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

long h5m_open_ids(void) { return (long)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }
