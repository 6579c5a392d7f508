/* io/ckpt_tokenizer.c — a GPT-2 BPE tokenizer in a checkpoint's /tokenizer group; see
   ckpt_tokenizer.h. */
#include "io/ckpt_tokenizer.h"

#include <string.h>

#include "io/h5util.h"
#include "util/alloc.h"

// Far above any real vocabulary; bounds what a damaged file can make us allocate.
#define MAX_TOKENS      (1 << 24)
#define MAX_TOKEN_BYTES ((int64_t)1 << 30)

// One dataset of n rows (cols 0: 1-D, else (n, cols)) written by the root, with its crc32.
static int write_array(hid_t g, const char *name, hid_t type, size_t elem, const void *data,
                       hsize_t n, hsize_t cols, const char *description, const char *dims_text,
                       int is_root, hid_t dxpl, int rc, ErrMsg *e) {
    hsize_t dims[2] = {n, cols};
    hid_t d = h5_dataset_create(g, name, type, cols ? 2 : 1, dims, description, dims_text);
    size_t bytes = (size_t)n * (cols ? (size_t)cols : 1) * elem;
    h5_attr_write_crc(d, h5_crc(0, data, bytes));
    // after a failure every rank still makes the call (collective), keeping the first message
    if (h5_write_rows(d, type, 0, is_root ? n : 0, data, dxpl, rc < 0 ? NULL : e) < 0) rc = -1;
    h5_close(&d);
    return rc;
}

int ckpt_tokenizer_write_bpe(hid_t g, const Bpe *b, int is_root, hid_t dxpl, ErrMsg *e) {
    BpeArrays a;
    bpe_arrays(b, &a);
    h5_attr_write_str(g, "kind", CKPT_TOKENIZER_BPE_KIND);
    h5_attr_write_str(g, "description",
                      "GPT-2 byte-level BPE: token bytes by id, merges by rank, special tokens");
    h5_attr_write_i32(g, CKPT_TOKENIZER_DIGITS_ATTR, a.split_digits);
    int rc = 0;
    rc = write_array(g, "token_bytes", H5T_STD_U8LE, 1, a.token_bytes,
                     (hsize_t)a.token_offsets[a.n_tokens], 0, "every token's bytes, in id order",
                     "(n_bytes)", is_root, dxpl, rc, e);
    rc = write_array(g, "token_offsets", H5T_STD_I64LE, sizeof(int64_t), a.token_offsets,
                     (hsize_t)a.n_tokens + 1, 0,
                     "token i is token_bytes[token_offsets[i] .. token_offsets[i+1])", "(V + 1)",
                     is_root, dxpl, rc, e);
    rc = write_array(g, "merges", H5T_STD_I32LE, sizeof(int32_t), a.merges, (hsize_t)a.n_merges, 2,
                     "merge rule (left id, right id); row r has merge rank r", "(n_merges, 2)",
                     is_root, dxpl, rc, e);
    rc = write_array(g, "special_ids", H5T_STD_I32LE, sizeof(int32_t), a.special_ids,
                     (hsize_t)a.n_specials, 0, "ids of the special tokens", "(n_specials)", is_root,
                     dxpl, rc, e);
    return rc;
}

// Reads dataset name of g, which must be 1-D (cols 0) or (rows, cols), into a new buffer
// (*out, caller xfree()s; *rows its leading dimension, at most max_rows), checking its crc32.
static int read_array(hid_t g, const char *path, const char *name, hid_t type, size_t elem,
                      hsize_t cols, hsize_t max_rows, void **out, hsize_t *rows, ErrMsg *e) {
    *out = NULL;
    if (h5_exists(g, name) <= 0)
        return err_set(e, "%s: dataset /tokenizer/%s is missing (kind %s)", path, name,
                       CKPT_TOKENIZER_BPE_KIND);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return h5_err(e, "%s: cannot open /tokenizer/%s", path, name);
    hsize_t dims[4];
    int nd = h5_dataset_shape(d, dims, 4, e), rc = nd < 0 ? -1 : 0;
    if (rc == 0 && (nd != (cols ? 2 : 1) || (cols && dims[1] != cols) || dims[0] > max_rows))
        rc = err_set(e, "%s: /tokenizer/%s should have shape %s with at most %llu rows", path, name,
                     cols ? "(n, 2)" : "(n)", (unsigned long long)max_rows);
    size_t bytes = rc == 0 ? (size_t)dims[0] * (cols ? (size_t)cols : 1) * elem : 0;
    if (rc == 0) {
        *rows = dims[0];
        *out = xmalloc("ckpt.tokenizer", bytes ? bytes : 1);
        rc = h5_read_rows(d, type, 0, dims[0], *out, H5P_DEFAULT, e) < 0 ? -1 : 0;
    }
    if (rc == 0) rc = h5_crc_verify(d, path, h5_is_checksummed(g), h5_crc(0, *out, bytes), e);
    h5_close(&d);
    if (rc < 0) {
        xfree(*out);
        *out = NULL;
    }
    return rc;
}

int ckpt_tokenizer_read_bpe_group(hid_t g, const char *path, Bpe **out, ErrMsg *e) {
    *out = NULL;
    char kind[32] = "";
    if (h5_attr_exists(g, "kind") <= 0) return 0;  // a character tokenizer, or none
    if (h5_attr_read_str(g, "kind", kind, sizeof kind, e) < 0) return -1;
    if (strcmp(kind, CKPT_TOKENIZER_BPE_KIND) != 0)
        return err_set(e, "%s: /tokenizer kind is '%s', expected '%s'", path, kind,
                       CKPT_TOKENIZER_BPE_KIND);
    // written since digit splitting came in; a file from before splits no digits
    int32_t digits = BPE_DIGITS_NONE;
    ErrMsg why;
    if (h5_attr_exists(g, CKPT_TOKENIZER_DIGITS_ATTR) > 0 &&
        h5_attr_read_i32(g, CKPT_TOKENIZER_DIGITS_ATTR, &digits, &why) < 0)
        return err_set(e, "%s: /tokenizer attribute %s: %s", path, CKPT_TOKENIZER_DIGITS_ATTR,
                       why.msg);
    if (digits != BPE_DIGITS_NONE && digits != BPE_DIGITS_INDIVIDUAL && digits != BPE_DIGITS_RUNS)
        return err_set(e,
                       "%s: /tokenizer attribute %s is %d, expected 0 (none), 1 (each digit) "
                       "or 2 (runs of digits)",
                       path, CKPT_TOKENIZER_DIGITS_ATTR, (int)digits);
    void *bytes = NULL, *offsets = NULL, *merges = NULL, *specials = NULL;
    hsize_t n_bytes = 0, n_off = 0, n_merges = 0, n_specials = 0;
    int rc = read_array(g, path, "token_bytes", H5T_STD_U8LE, 1, 0, (hsize_t)MAX_TOKEN_BYTES,
                        &bytes, &n_bytes, e);
    if (rc == 0)
        rc = read_array(g, path, "token_offsets", H5T_STD_I64LE, sizeof(int64_t), 0,
                        (hsize_t)MAX_TOKENS + 1, &offsets, &n_off, e);
    if (rc == 0)
        rc = read_array(g, path, "merges", H5T_STD_I32LE, sizeof(int32_t), 2, (hsize_t)MAX_TOKENS,
                        &merges, &n_merges, e);
    if (rc == 0)
        rc = read_array(g, path, "special_ids", H5T_STD_I32LE, sizeof(int32_t), 0,
                        (hsize_t)MAX_TOKENS, &specials, &n_specials, e);
    // the offsets must tile token_bytes before bpe_from_arrays may index it
    const int64_t *off = offsets;
    if (rc == 0 && n_off < 2)
        rc = err_set(e, "%s: /tokenizer/token_offsets has %llu entries, expected V + 1 >= 2", path,
                     (unsigned long long)n_off);
    for (hsize_t i = 0; rc == 0 && i + 1 < n_off; i++)
        if (off[i] < 0 || off[i + 1] < off[i])
            rc = err_set(e,
                         "%s: /tokenizer/token_offsets[%llu] = %lld: expected non-decreasing "
                         "offsets from 0",
                         path, (unsigned long long)i + 1, (long long)off[i + 1]);
    if (rc == 0 && (off[0] != 0 || (hsize_t)off[n_off - 1] != n_bytes))
        rc = err_set(e,
                     "%s: /tokenizer/token_offsets: expected 0 .. %llu (the length of "
                     "token_bytes), found %lld .. %lld",
                     path, (unsigned long long)n_bytes, (long long)off[0],
                     (long long)off[n_off - 1]);
    if (rc == 0) {
        BpeArrays a = {.n_tokens = (int32_t)(n_off - 1),
                       .token_bytes = bytes,
                       .token_offsets = offsets,
                       .n_merges = (int32_t)n_merges,
                       .merges = merges,
                       .n_specials = (int32_t)n_specials,
                       .special_ids = specials,
                       .split_digits = digits};
        if (bpe_from_arrays(out, &a, &why) < 0)
            rc = err_set(e, "%s: /tokenizer: %s", path, why.msg);
    }
    xfree(bytes), xfree(offsets), xfree(merges), xfree(specials);
    return rc;
}

int ckpt_tokenizer_read_bpe(const char *path, Bpe **out, ErrMsg *e) {
    *out = NULL;
    hid_t fapl = h5_fapl_serial();
    hid_t f = h5_file_open(path, fapl, e);
    h5_close(&fapl);
    if (f < 0) return -1;
    hid_t g = h5_group_open(f, "tokenizer", e);
    int rc = g < 0 ? -1 : ckpt_tokenizer_read_bpe_group(g, path, out, e);
    h5_close(&g);
    h5_close(&f);
    return rc;
}
