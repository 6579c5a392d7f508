/* io/h5attr.c — attributes: typed writers (collective, die on failure: a writer's bug, not a
   user's file) and validating readers (a missing attribute, another class, size or range is an
   ErrMsg naming it); see h5util.h. */
#include <stdint.h>
#include <string.h>

#include "io/h5util.h"
#include "util/alloc.h"

/* ---- attributes: writers ---- */

// Creates (replacing any old one) attribute name on obj with type and space, and writes value.
static void attr_write(hid_t obj, const char *name, hid_t type, hid_t space, const void *value) {
    if (h5_attr_exists(obj, name)) H5_CHECK(H5Adelete(obj, name), name);
    hid_t a = H5_CHECK(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), name);
    H5_CHECK(H5Awrite(a, type, value), name);
    h5_close(&a);
}

static void attr_write_scalar(hid_t obj, const char *name, hid_t type, const void *value) {
    h5_quiet();
    hid_t space = H5_CHECK(H5Screate(H5S_SCALAR), name);
    attr_write(obj, name, type, space, value);
    h5_close(&space);
}

void h5_attr_write_str(hid_t obj, const char *name, const char *value) {
    hid_t t = h5_str_type(strlen(value));
    attr_write_scalar(obj, name, t, value);
    h5_close(&t);
}

void h5_attr_write_str_array(hid_t obj, const char *name, const char *const *values, int n) {
    CHECKF(n >= 1, "h5_attr_write_str_array(%s): n = %d", name, n);
    size_t width = 1;
    for (int i = 0; i < n; i++)
        if (strlen(values[i]) + 1 > width) width = strlen(values[i]) + 1;
    char *flat = xcalloc("h5util.strings", (size_t)n, width);
    for (int i = 0; i < n; i++) memcpy(flat + (size_t)i * width, values[i], strlen(values[i]));
    hid_t t = h5_str_type(width - 1);
    hsize_t dim = (hsize_t)n;
    hid_t space = H5_CHECK(H5Screate_simple(1, &dim, NULL), name);
    attr_write(obj, name, t, space, flat);
    h5_close(&space);
    h5_close(&t);
    xfree(flat);
}

void h5_attr_write_i32(hid_t obj, const char *name, int32_t v) {
    attr_write_scalar(obj, name, H5T_STD_I32LE, &v);
}
void h5_attr_write_i64(hid_t obj, const char *name, int64_t v) {
    attr_write_scalar(obj, name, H5T_STD_I64LE, &v);
}
void h5_attr_write_u8(hid_t obj, const char *name, uint8_t v) {
    attr_write_scalar(obj, name, H5T_STD_U8LE, &v);
}
void h5_attr_write_u32(hid_t obj, const char *name, uint32_t v) {
    attr_write_scalar(obj, name, H5T_STD_U32LE, &v);
}
void h5_attr_write_u64(hid_t obj, const char *name, uint64_t v) {
    attr_write_scalar(obj, name, H5T_STD_U64LE, &v);
}
void h5_attr_write_f32(hid_t obj, const char *name, float v) {
    attr_write_scalar(obj, name, H5T_IEEE_F32LE, &v);
}
void h5_attr_write_f64(hid_t obj, const char *name, double v) {
    attr_write_scalar(obj, name, H5T_IEEE_F64LE, &v);
}

/* ---- attributes: readers ---- */

// Opens attribute name of obj and checks its class and element count (max_n; 1 = scalar).
// Returns the attribute id and *n elements, or a negative code with e filled.
static hid_t attr_open(hid_t obj, const char *name, H5T_class_t cls, const char *cls_name,
                       hssize_t max_n, hssize_t *n, ErrMsg *e) {
    h5_quiet();
    char where[512];
    if (!h5_attr_exists(obj, name))
        return err_set(e, "%s: attribute '%s' is missing", h5_describe(obj, where, sizeof where),
                       name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return h5_err(e, "%s: cannot open attribute '%s'", h5_describe(obj, where, sizeof where),
                      name);
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    H5T_class_t got = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    hssize_t count = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    h5_close(&t);
    h5_close(&s);
    if (got != cls || count < 1 || count > max_n) {
        h5_close(&a);
        return err_set(e, "%s: attribute '%s' should be %s %s, found another type or shape",
                       h5_describe(obj, where, sizeof where), name,
                       max_n == 1 ? "a scalar" : "an array of", cls_name);
    }
    if (n) *n = count;
    return a;
}

int h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t size, ErrMsg *e) {
    char where[512];
    hid_t a = attr_open(obj, name, H5T_STRING, "string", 1, NULL, e);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    int is_var = H5Tis_variable_str(ft) > 0;
    size_t stored = H5Tget_size(ft);
    h5_close(&ft);
    int rc = 0;
    if (is_var) {
        hid_t mt = h5_str_type(0);
        H5_CHECK(H5Tset_size(mt, H5T_VARIABLE), name);
        char *s = NULL;
        if (H5Aread(a, mt, &s) < 0) {
            rc = h5_err(e, "%s: cannot read attribute '%s'", h5_describe(obj, where, sizeof where),
                        name);
        } else if (!s || strlen(s) >= size) {
            rc = err_set(e, "%s: attribute '%s' is longer than %zu characters",
                         h5_describe(obj, where, sizeof where), name, size - 1);
        } else {
            memcpy(buf, s, strlen(s) + 1);
        }
        if (s) H5free_memory(s);
        h5_close(&mt);
    } else {
        char *tmp = xcalloc("h5util.strings", stored + 1, 1);
        hid_t mt = h5_str_type(stored);  // room for a stored value without its own terminator
        if (H5Aread(a, mt, tmp) < 0) {
            rc = h5_err(e, "%s: cannot read attribute '%s'", h5_describe(obj, where, sizeof where),
                        name);
        } else if (strlen(tmp) >= size) {
            rc = err_set(e, "%s: attribute '%s' is longer than %zu characters",
                         h5_describe(obj, where, sizeof where), name, size - 1);
        } else {
            memcpy(buf, tmp, strlen(tmp) + 1);
        }
        h5_close(&mt);
        xfree(tmp);
    }
    h5_close(&a);
    return rc;
}

int h5_attr_read_str_array(hid_t obj, const char *name, char *buf, size_t width, int max_n, int *n,
                           ErrMsg *e) {
    char where[512];
    hssize_t count = 0;
    hid_t a = attr_open(obj, name, H5T_STRING, "fixed-length strings", max_n, &count, e);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    int is_var = H5Tis_variable_str(ft) > 0;
    size_t stored = H5Tget_size(ft);
    h5_close(&ft);
    if (is_var) {
        h5_close(&a);
        return err_set(e,
                       "%s: attribute '%s' should hold fixed-length strings, found variable-length",
                       h5_describe(obj, where, sizeof where), name);
    }
    char *tmp = xcalloc("h5util.strings", (size_t)count, stored + 1);
    hid_t mt = h5_str_type(stored);
    int rc = 0;
    if (H5Aread(a, mt, tmp) < 0) {
        rc = h5_err(e, "%s: cannot read attribute '%s'", h5_describe(obj, where, sizeof where),
                    name);
    } else {
        for (hssize_t i = 0; i < count && rc == 0; i++) {
            const char *s = tmp + (size_t)i * (stored + 1);
            if (strnlen(s, stored + 1) >= width)
                rc = err_set(e, "%s: attribute '%s' entry %lld is longer than %zu characters",
                             h5_describe(obj, where, sizeof where), name, (long long)i, width - 1);
            else
                memcpy(buf + (size_t)i * width, s, strlen(s) + 1);
        }
    }
    if (rc == 0) *n = (int)count;
    h5_close(&mt);
    xfree(tmp);
    h5_close(&a);
    return rc;
}

// Reads a scalar numeric attribute converted to memtype (native 64-bit int, uint or double).
static int attr_read_num(hid_t obj, const char *name, H5T_class_t cls, hid_t memtype, void *out,
                         ErrMsg *e) {
    char where[512];
    hid_t a = attr_open(obj, name, cls, cls == H5T_FLOAT ? "floating-point number" : "integer", 1,
                        NULL, e);
    if (a < 0) return -1;
    int rc = 0;
    if (H5Aread(a, memtype, out) < 0)
        rc = h5_err(e, "%s: cannot read attribute '%s'", h5_describe(obj, where, sizeof where),
                    name);
    h5_close(&a);
    return rc;
}

// Range-checked signed read.
static int attr_read_ranged(hid_t obj, const char *name, int64_t lo, int64_t hi, int64_t *v,
                            ErrMsg *e) {
    if (attr_read_num(obj, name, H5T_INTEGER, H5T_NATIVE_INT64, v, e) < 0) return -1;
    if (*v < lo || *v > hi) {
        char where[512];
        return err_set(e, "%s: attribute '%s' = %lld is out of range [%lld, %lld]",
                       h5_describe(obj, where, sizeof where), name, (long long)*v, (long long)lo,
                       (long long)hi);
    }
    return 0;
}

int h5_attr_read_i32(hid_t obj, const char *name, int32_t *value, ErrMsg *e) {
    int64_t v;
    if (attr_read_ranged(obj, name, INT32_MIN, INT32_MAX, &v, e) < 0) return -1;
    *value = (int32_t)v;
    return 0;
}
int h5_attr_read_i64(hid_t obj, const char *name, int64_t *value, ErrMsg *e) {
    return attr_read_num(obj, name, H5T_INTEGER, H5T_NATIVE_INT64, value, e);
}
int h5_attr_read_u8(hid_t obj, const char *name, uint8_t *value, ErrMsg *e) {
    int64_t v;
    if (attr_read_ranged(obj, name, 0, 255, &v, e) < 0) return -1;
    *value = (uint8_t)v;
    return 0;
}
int h5_attr_read_u64(hid_t obj, const char *name, uint64_t *value, ErrMsg *e) {
    return attr_read_num(obj, name, H5T_INTEGER, H5T_NATIVE_UINT64, value, e);
}
int h5_attr_read_f32(hid_t obj, const char *name, float *value, ErrMsg *e) {
    return attr_read_num(obj, name, H5T_FLOAT, H5T_NATIVE_FLOAT, value, e);
}
int h5_attr_read_f64(hid_t obj, const char *name, double *value, ErrMsg *e) {
    return attr_read_num(obj, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, value, e);
}
