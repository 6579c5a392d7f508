/* io/safetensors.c — safetensors reader (validate the header against the file, then pread each
   tensor inside its checked span) and F32 writer (temp file, fsync, rename); see safetensors.h. */
#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/fs.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian and is read straight into float arrays"
#endif

#define MAX_EXACT_INT 9007199254740992.0   // 2^53: JSON numbers above it lose integer precision
#define MAX_ELEMENTS  ((uint64_t)1 << 60)  // elements per tensor; keeps bytes below 2^63
#define READ_CHUNK    ((size_t)1 << 22)    // 16-bit elements converted per pread (8 MiB)
#define NAME_SHOWN    200                  // longest part of a tensor name quoted in a message

static const struct {
    const char *name;
    size_t size;
} DTYPES[ST_DTYPE_COUNT] = {
    [ST_BOOL] = {"BOOL", 1},       [ST_U8] = {"U8", 1},           [ST_I8] = {"I8", 1},
    [ST_F8_E5M2] = {"F8_E5M2", 1}, [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_I16] = {"I16", 2},
    [ST_U16] = {"U16", 2},         [ST_F16] = {"F16", 2},         [ST_BF16] = {"BF16", 2},
    [ST_I32] = {"I32", 4},         [ST_U32] = {"U32", 4},         [ST_F32] = {"F32", 4},
    [ST_I64] = {"I64", 8},         [ST_U64] = {"U64", 8},         [ST_F64] = {"F64", 8},
};

const char *safetensors_dtype_name(SafeTensorsDtype d) {
    return (unsigned)d < ST_DTYPE_COUNT ? DTYPES[d].name : "?";
}

size_t safetensors_dtype_size(SafeTensorsDtype d) {
    return (unsigned)d < ST_DTYPE_COUNT ? DTYPES[d].size : 0;
}

float safetensors_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu, bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // infinity, or NaN keeping its payload
    } else if (exponent != 0) {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);  // rebias 15 -> 127
    } else {
        // zero or subnormal: mantissa * 2^-24, exact in float32 (normal there)
        float v = (float)mantissa * 0x1p-24f;
        memcpy(&bits, &v, sizeof bits);
        bits |= sign;
    }
    float out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

float safetensors_bf16_to_f32(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;  // bfloat16 is the top half of a float32
    float out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

// ---- reading -------------------------------------------------------------------------------

// Reads exactly len bytes at offset; 0, or -1 with errno set (0 for an early end of file).
static int read_exact(int fd, void *buf, size_t len, uint64_t offset) {
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t got = pread(fd, p, len, (off_t)offset);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            if (got == 0) errno = 0;
            return -1;
        }
        p += got;
        len -= (size_t)got;
        offset += (uint64_t)got;
    }
    return 0;
}

static const char *json_kind(const cJSON *v) {
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    return "not a JSON value";
}

// A JSON number that is an integer in [0, 2^53]; 0 and *out set, or -1.
static int json_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= MAX_EXACT_INT) || d != floor(d)) return -1;
    *out = (uint64_t)d;
    return 0;
}

// Fills t from the header entry v (named t->name); checks everything that needs no other entry.
static int parse_entry(const char *path, const cJSON *v, uint64_t data_bytes, SafeTensor *t,
                       ErrMsg *e) {
    const char *nm = t->name;
    if (!cJSON_IsObject(v))
        return err_set(e,
                       "%s: tensor \"%.*s\": the header entry is %s, expected an object with "
                       "dtype, shape and data_offsets",
                       path, NAME_SHOWN, nm, json_kind(v));
    const cJSON *dtype = NULL, *shape = NULL, *offsets = NULL, *field;
    cJSON_ArrayForEach(field, v) {
        if (strcmp(field->string, "dtype") == 0 && !dtype)
            dtype = field;
        else if (strcmp(field->string, "shape") == 0 && !shape)
            shape = field;
        else if (strcmp(field->string, "data_offsets") == 0 && !offsets)
            offsets = field;
        else
            return err_set(e,
                           "%s: tensor \"%.*s\": unexpected or repeated field \"%.*s\" "
                           "(expected exactly dtype, shape and data_offsets)",
                           path, NAME_SHOWN, nm, NAME_SHOWN, field->string);
    }
    const char *missing = !dtype ? "dtype" : !shape ? "shape" : !offsets ? "data_offsets" : NULL;
    if (missing)
        return err_set(e, "%s: tensor \"%.*s\": missing field %s", path, NAME_SHOWN, nm, missing);

    if (!cJSON_IsString(dtype))
        return err_set(e, "%s: tensor \"%.*s\": dtype is %s, expected a string such as \"F32\"",
                       path, NAME_SHOWN, nm, json_kind(dtype));
    int d = 0;
    while (d < ST_DTYPE_COUNT && strcmp(dtype->valuestring, DTYPES[d].name) != 0) d++;
    if (d == ST_DTYPE_COUNT)
        return err_set(e,
                       "%s: tensor \"%.*s\": unknown dtype \"%.*s\" (expected one of BOOL, U8, "
                       "I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64)",
                       path, NAME_SHOWN, nm, NAME_SHOWN, dtype->valuestring);
    t->dtype = (SafeTensorsDtype)d;

    if (!cJSON_IsArray(shape))
        return err_set(e, "%s: tensor \"%.*s\": shape is %s, expected an array of sizes", path,
                       NAME_SHOWN, nm, json_kind(shape));
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > SAFETENSORS_MAX_DIMS)
        return err_set(e,
                       "%s: tensor \"%.*s\": shape has %d dimensions, more than the %d "
                       "handled",
                       path, NAME_SHOWN, nm, ndim, SAFETENSORS_MAX_DIMS);
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        uint64_t dim;
        const cJSON *dv = cJSON_GetArrayItem(shape, i);
        if (json_uint(dv, &dim) != 0)
            return err_set(e, "%s: tensor \"%.*s\": shape[%d] is not a non-negative integer", path,
                           NAME_SHOWN, nm, i);
        if (dim != 0 && t->count > MAX_ELEMENTS / dim)
            return err_set(e, "%s: tensor \"%.*s\": shape has more than 2^60 elements", path,
                           NAME_SHOWN, nm);
        t->shape[i] = (int64_t)dim;
        t->count *= dim;
    }

    uint64_t b, en;
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        json_uint(cJSON_GetArrayItem(offsets, 0), &b) != 0 ||
        json_uint(cJSON_GetArrayItem(offsets, 1), &en) != 0)
        return err_set(e,
                       "%s: tensor \"%.*s\": data_offsets must be [begin, end] with two "
                       "non-negative integers",
                       path, NAME_SHOWN, nm);
    if (b > en || en > data_bytes)
        return err_set(e,
                       "%s: tensor \"%.*s\": data_offsets [%llu, %llu] out of range: expected "
                       "begin <= end <= %llu, the length of the data section%s",
                       path, NAME_SHOWN, nm, (unsigned long long)b, (unsigned long long)en,
                       (unsigned long long)data_bytes,
                       en > data_bytes ? " (is the file truncated?)" : "");
    t->begin = b;
    t->end = en;
    uint64_t want = t->count * DTYPES[d].size;
    if (en - b != want) {
        char dims[160] = "";
        for (int i = 0, len = 0; i < ndim && len < (int)sizeof dims - 24; i++)
            len += snprintf(dims + len, sizeof dims - (size_t)len, "%s%lld", i ? ", " : "",
                            (long long)t->shape[i]);
        return err_set(e,
                       "%s: tensor \"%.*s\": data_offsets [%llu, %llu] span %llu bytes, but "
                       "dtype %s with shape [%s] (%llu elements) needs %llu",
                       path, NAME_SHOWN, nm, (unsigned long long)b, (unsigned long long)en,
                       (unsigned long long)(en - b), DTYPES[d].name, dims,
                       (unsigned long long)t->count, (unsigned long long)want);
    }
    return 0;
}

static int check_metadata(const char *path, const cJSON *v, ErrMsg *e) {
    if (!cJSON_IsObject(v))
        return err_set(e, "%s: __metadata__ is %s, expected an object of strings", path,
                       json_kind(v));
    const cJSON *item;
    cJSON_ArrayForEach(item, v) {
        if (!cJSON_IsString(item))
            return err_set(e, "%s: __metadata__ \"%.*s\" is %s, expected a string", path,
                           NAME_SHOWN, item->string, json_kind(item));
    }
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const SafeTensor *)a)->name, ((const SafeTensor *)b)->name);
}

static int by_offset(const void *a, const void *b) {
    const SafeTensor *x = *(const SafeTensor *const *)a, *y = *(const SafeTensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

// Names unique; spans, in offset order, tile [0, data_bytes) exactly.
static int check_layout(const SafeTensorsFile *f, ErrMsg *e) {
    for (int i = 1; i < f->n; i++)
        if (strcmp(f->tensors[i - 1].name, f->tensors[i].name) == 0)
            return err_set(e, "%s: tensor \"%.*s\" appears twice in the header", f->path,
                           NAME_SHOWN, f->tensors[i].name);
    const SafeTensor **order = xmalloc("safetensors.order", (size_t)(f->n + 1) * sizeof *order);
    for (int i = 0; i < f->n; i++) order[i] = &f->tensors[i];
    qsort(order, (size_t)f->n, sizeof *order, by_offset);
    uint64_t at = 0;
    int rc = 0;
    for (int i = 0; i < f->n && rc == 0; i++) {
        const SafeTensor *t = order[i];
        if (t->begin < at)
            rc = err_set(e,
                         "%s: tensor \"%.*s\": data_offsets [%llu, %llu] overlap tensor "
                         "\"%.*s\", which ends at %llu",
                         f->path, NAME_SHOWN, t->name, (unsigned long long)t->begin,
                         (unsigned long long)t->end, NAME_SHOWN, order[i - 1]->name,
                         (unsigned long long)at);
        else if (t->begin > at)
            rc = err_set(e,
                         "%s: tensor \"%.*s\": data_offsets begin at %llu, leaving a gap of "
                         "%llu unused bytes after %s%.*s%s (tensors must be contiguous)",
                         f->path, NAME_SHOWN, t->name, (unsigned long long)t->begin,
                         (unsigned long long)(t->begin - at), i ? "tensor \"" : "", NAME_SHOWN,
                         i ? order[i - 1]->name : "the start of the data section", i ? "\"" : "");
        at = t->end;
    }
    if (rc == 0 && at != f->data_bytes)
        rc = err_set(e,
                     "%s: the data section has %llu bytes, but its tensors cover only %llu "
                     "(trailing bytes, or a header that does not describe the data)",
                     f->path, (unsigned long long)f->data_bytes, (unsigned long long)at);
    xfree(order);
    return rc;
}

// Parses and checks the header text (n bytes) into f->tensors.
static int parse_header(SafeTensorsFile *f, const char *text, size_t n, ErrMsg *e) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (!root) {
        size_t at = end && end >= text && end <= text + n ? (size_t)(end - text) : 0;
        return err_set(e,
                       "%s: the header (%zu bytes after the 8-byte length) is not valid JSON "
                       "(error near header byte %zu)",
                       f->path, n, at);
    }
    int rc = 0;
    for (const char *p = end; p < text + n && rc == 0; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            rc = err_set(e,
                         "%s: the header has bytes other than spaces after its JSON object "
                         "(at header byte %zu)",
                         f->path, (size_t)(p - text));
    if (rc == 0 && !cJSON_IsObject(root))
        rc = err_set(e, "%s: the header is %s, expected a JSON object of tensors", f->path,
                     json_kind(root));
    if (rc == 0) {
        int count = cJSON_GetArraySize(root);
        f->tensors = xcalloc("safetensors.table", (size_t)count + 1, sizeof(SafeTensor));
        const cJSON *item;
        cJSON_ArrayForEach(item, root) {
            if (strcmp(item->string, "__metadata__") == 0) {
                rc = check_metadata(f->path, item, e);
            } else {
                SafeTensor *t = &f->tensors[f->n++];
                t->name = xstrdup("safetensors.name", item->string);
                rc = parse_entry(f->path, item, f->data_bytes, t, e);
            }
            if (rc != 0) break;
        }
    }
    cJSON_Delete(root);
    if (rc == 0) {
        qsort(f->tensors, (size_t)f->n, sizeof *f->tensors, by_name);
        rc = check_layout(f, e);
    }
    return rc;
}

int safetensors_open(SafeTensorsFile *f, const char *path, ErrMsg *e) {
    *f = (SafeTensorsFile){.fd = -1, .path = xstrdup("safetensors.path", path)};
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        int rc = err_set(e, "cannot open %s: %s", path, strerror(errno));
        safetensors_close(f);
        return rc;
    }
    struct stat st;
    unsigned char len8[8];
    uint64_t n = 0, size = 0;
    int rc = 0;
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = err_set(e, "cannot read %s: not a regular file", path);
    } else if ((size = (uint64_t)st.st_size) < 8) {
        rc = err_set(e,
                     "%s: the file has %llu bytes, too short for the 8-byte header length of "
                     "a safetensors file",
                     path, (unsigned long long)size);
    } else if (read_exact(f->fd, len8, 8, 0) != 0) {
        rc = err_set(e, "cannot read %s: %s", path, errno ? strerror(errno) : "end of file");
    } else {
        for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
        if (n > size - 8)
            rc = err_set(e,
                         "%s: the header length (bytes 0-7) is %llu, past the end of the "
                         "file (%llu bytes after the length): truncated, or not a safetensors "
                         "file",
                         path, (unsigned long long)n, (unsigned long long)(size - 8));
        else if (n > SAFETENSORS_MAX_HEADER)
            rc = err_set(e,
                         "%s: the header length (bytes 0-7) is %llu, more than the %d bytes "
                         "allowed",
                         path, (unsigned long long)n, SAFETENSORS_MAX_HEADER);
        else if (n < 2)
            rc = err_set(e,
                         "%s: the header length (bytes 0-7) is %llu, too short for a JSON "
                         "object",
                         path, (unsigned long long)n);
    }
    if (rc == 0) {
        f->data_start = 8 + n;
        f->data_bytes = size - 8 - n;
        char *text = xmalloc("safetensors.header", (size_t)n + 1);
        if (read_exact(f->fd, text, (size_t)n, 8) != 0)
            rc = err_set(e, "cannot read the header of %s: %s", path,
                         errno ? strerror(errno) : "end of file");
        else
            rc = parse_header(f, text, (size_t)n, e);
        xfree(text);
    }
    if (rc != 0) safetensors_close(f);
    return rc;
}

const SafeTensor *safetensors_find(const SafeTensorsFile *f, const char *name) {
    SafeTensor key = {.name = (char *)name};
    if (f->n == 0) return NULL;
    return bsearch(&key, f->tensors, (size_t)f->n, sizeof key, by_name);
}

int safetensors_read_f32(const SafeTensorsFile *f, const SafeTensor *t, float *out, ErrMsg *e) {
    CHECKF(f->fd >= 0 && t >= f->tensors && t < f->tensors + f->n,
           "safetensors_read_f32: tensor not from this open file");
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
        return err_set(e,
                       "%s: tensor \"%.*s\": dtype %s cannot be read as weights; expected F32, "
                       "F16 or BF16",
                       f->path, NAME_SHOWN, t->name, DTYPES[t->dtype].name);
    uint64_t at = f->data_start + t->begin;
    int rc = 0;
    if (t->dtype == ST_F32) {
        rc = read_exact(f->fd, out, (size_t)(t->end - t->begin), at);
    } else {
        float (*convert)(uint16_t) =
            t->dtype == ST_F16 ? safetensors_f16_to_f32 : safetensors_bf16_to_f32;
        size_t chunk = t->count < READ_CHUNK ? (size_t)t->count : READ_CHUNK;
        uint16_t *raw = xmalloc("safetensors.raw", (chunk ? chunk : 1) * sizeof(uint16_t));
        for (uint64_t i = 0; i < t->count && rc == 0; i += chunk) {
            size_t m = t->count - i < chunk ? (size_t)(t->count - i) : chunk;
            rc = read_exact(f->fd, raw, m * sizeof(uint16_t), at + i * sizeof(uint16_t));
            for (size_t j = 0; j < m && rc == 0; j++) out[i + j] = convert(raw[j]);
        }
        xfree(raw);
    }
    if (rc != 0)
        return err_set(e, "cannot read tensor \"%.*s\" of %s: %s", NAME_SHOWN, t->name, f->path,
                       errno ? strerror(errno)
                             : "the file ended early (changed since it was "
                               "opened?)");
    return 0;
}

void safetensors_close(SafeTensorsFile *f) {
    if (f->fd >= 0) close(f->fd);
    for (int i = 0; i < f->n; i++) xfree(f->tensors[i].name);
    xfree(f->tensors);
    xfree(f->path);
    *f = (SafeTensorsFile){.fd = -1};
}

// ---- writing -------------------------------------------------------------------------------

// A growing text buffer for the header.
typedef struct {
    char *s;
    size_t len, cap;
} Text;

static void text_add(Text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = xrealloc("safetensors.header", t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_cat(Text *t, const char *s) { text_add(t, s, strlen(s)); }

static void text_printf(Text *t, const char *fmt, unsigned long long a, unsigned long long b) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, fmt, a, b);
    text_add(t, buf, (size_t)n);
}

// Appends s as a JSON string literal.
static void text_json_string(Text *t, const char *s) {
    text_add(t, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            text_add(t, esc, 2);
        } else if (ch < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            text_add(t, esc, 6);
        } else {
            text_add(t, s, 1);
        }
    }
    text_add(t, "\"", 1);
}

static int out_by_name(const void *a, const void *b) {
    const SafeTensorOut *x = *(const SafeTensorOut *const *)a;
    const SafeTensorOut *y = *(const SafeTensorOut *const *)b;
    return strcmp(x->name, y->name);
}

// The header for the tensors in order (sorted), padded so that 8 + its length is a multiple of 8.
static int build_header(const char *path, const SafeTensorOut **order, int n, Text *h, ErrMsg *e) {
    text_cat(h, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        const SafeTensorOut *t = order[i];
        if (i > 0 && strcmp(order[i - 1]->name, t->name) == 0)
            return err_set(e, "%s: tensor \"%.*s\" given twice", path, NAME_SHOWN, t->name);
        if (t->ndim < 0 || t->ndim > SAFETENSORS_MAX_DIMS)
            return err_set(e, "%s: tensor \"%.*s\" has %d dimensions, expected 0..%d", path,
                           NAME_SHOWN, t->name, t->ndim, SAFETENSORS_MAX_DIMS);
        uint64_t count = 1;
        text_cat(h, ",");
        text_json_string(h, t->name);
        text_cat(h, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] < 0)
                return err_set(e, "%s: tensor \"%.*s\" has a negative size", path, NAME_SHOWN,
                               t->name);
            count *= (uint64_t)t->shape[d];
            text_printf(h, d ? ",%llu" : "%llu", (unsigned long long)t->shape[d], 0);
        }
        text_printf(h, "],\"data_offsets\":[%llu,%llu]}", at, at + 4 * count);
        at += 4 * count;
    }
    text_cat(h, "}");
    while ((8 + h->len) % 8 != 0) text_cat(h, " ");
    return 0;
}

int safetensors_write_f32(const char *path, const SafeTensorOut *tensors, int n, ErrMsg *e) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return err_set(e, "%s: path too long", path);
    const SafeTensorOut **order = xmalloc("safetensors.order", (size_t)(n + 1) * sizeof *order);
    for (int i = 0; i < n; i++) order[i] = &tensors[i];
    qsort(order, (size_t)n, sizeof *order, out_by_name);
    Text h = {0};
    int rc = build_header(path, order, n, &h, e);
    FILE *out = NULL;
    if (rc == 0 && !(out = fopen(tmp, "wb")))
        rc = err_set(e, "cannot create %s: %s", tmp, strerror(errno));
    if (rc == 0) {
        unsigned char len8[8];
        for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
        int ok = fwrite(len8, 1, 8, out) == 8 && fwrite(h.s, 1, h.len, out) == h.len;
        for (int i = 0; i < n && ok; i++) {
            size_t count = 1;
            for (int d = 0; d < order[i]->ndim; d++) count *= (size_t)order[i]->shape[d];
            ok = fwrite(order[i]->data, sizeof(float), count, out) == count;
        }
        int err = ok ? 0 : errno;
        if (fclose(out) != 0 && ok) {
            ok = 0;
            err = errno;
        }
        if (!ok) rc = err_set(e, "cannot write %s: %s", tmp, strerror(err ? err : EIO));
    }
    if (rc == 0) rc = fs_publish(tmp, path, NULL, e);
    if (rc != 0 && out) remove(tmp);
    xfree(h.s);
    xfree(order);
    return rc;
}
