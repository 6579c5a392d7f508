/* tests/test_safetensors.c — the safetensors reader and writer (io/safetensors) and helper modes
   for the Hugging Face GPT-2 import/export test (tests/hf/test_hf.py).
   Modes:
     (none)                  F16 and BF16 conversion of all 65536 bit patterns against a formula
                             written independently (ldexp), writer round trip (sorted keys,
                             __metadata__, 8-byte alignment, a scalar, an empty tensor, a name
                             that needs escaping, no .tmp left), and every kind of bad header:
                             each must give one error naming the file and the tensor or field.
     logits CKPT OUT IDS     loads checkpoint CKPT, runs the forward on the comma-separated token
                             ids IDS (one sequence) and writes its logits (S, V) as float32 to OUT
     write-nope OUT.h5       writes a small NoPE checkpoint (model.position "none") */
#include <fcntl.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/ckpt.h"
#include "io/safetensors.h"
#include "train/gpt.h"
#include "util/alloc.h"

#define DIR "safetensors_tmp"

// ---- conversions ---------------------------------------------------------------------------

// IEEE binary16 by its definition: (-1)^s 2^(e-15) (1 + m/1024), subnormal 2^-14 (m/1024).
static double f16_reference(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0    ? ldexp(m / 1024.0, -14)
               : e == 31 ? (m ? NAN : INFINITY)
                         : ldexp(1.0 + m / 1024.0, e - 15);
    return s ? -v : v;
}

// bfloat16 by its definition: 8 exponent bits (bias 127), 7 mantissa bits.
static double bf16_reference(uint16_t b) {
    int s = b >> 15, e = (b >> 7) & 255, m = b & 127;
    double v = e == 0     ? ldexp(m / 128.0, -126)
               : e == 255 ? (m ? NAN : INFINITY)
                          : ldexp(1.0 + m / 128.0, e - 127);
    return s ? -v : v;
}

static void test_conversions(void) {
    int bad16 = 0, badbf = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        double r16 = f16_reference((uint16_t)i), rbf = bf16_reference((uint16_t)i);
        float g16 = safetensors_f16_to_f32((uint16_t)i), gbf = safetensors_bf16_to_f32((uint16_t)i);
        // equal values, or both NaN; and the sign bit kept (so -0 stays -0)
        if (!((isnan(r16) && isnan(g16)) || (double)g16 == r16) || !!signbit(g16) != !!(i >> 15))
            bad16++;
        if (!((isnan(rbf) && isnan(gbf)) || (double)gbf == rbf) || !!signbit(gbf) != !!(i >> 15))
            badbf++;
    }
    CHECK_MSG(bad16 == 0, "%d F16 patterns convert wrongly", bad16);
    CHECK_MSG(badbf == 0, "%d BF16 patterns convert wrongly", badbf);
    // spot values: the smallest subnormal, the largest subnormal, the largest finite, one
    CHECK_TRUE(safetensors_f16_to_f32(0x0001) == 0x1p-24f);
    CHECK_TRUE(safetensors_f16_to_f32(0x03ff) == 1023 * 0x1p-24f);
    CHECK_TRUE(safetensors_f16_to_f32(0x7bff) == 65504.0f);
    CHECK_TRUE(safetensors_f16_to_f32(0x3c00) == 1.0f);
    CHECK_TRUE(isinf(safetensors_f16_to_f32(0xfc00)) && safetensors_f16_to_f32(0xfc00) < 0);
    CHECK_TRUE(safetensors_bf16_to_f32(0x3f80) == 1.0f);
}

// ---- writer round trip ----------------------------------------------------------------------

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_round_trip(void) {
    float a[6] = {1, -2, 3.5f, 0x1p-140f, -0.0f, 1e30f}, b[4] = {7, 8, 9, 10}, s = 42, none = 0;
    SafeTensorOut out[] = {
        {.name = "z.last", .data = a, .ndim = 2, .shape = {2, 3}},
        {.name = "a.first", .data = b, .ndim = 1, .shape = {4}},
        {.name = "scalar", .data = &s, .ndim = 0},
        {.name = "empty", .data = &none, .ndim = 2, .shape = {0, 3}},
        {.name = "quote\"d", .data = b, .ndim = 3, .shape = {1, 2, 2}},
    };
    const char *path = DIR "/rt.safetensors";
    ErrMsg e = {{0}};
    int rc = safetensors_write_f32(path, out, 5, &e);
    CHECK_MSG(rc == 0, "write: %s", e.msg);
    CHECK_TRUE(!exists(DIR "/rt.safetensors.tmp"));

    // raw layout: header length, padding, key order
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    CHECK_TRUE(f && fread(len8, 1, 8, f) == 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    CHECK_MSG((8 + n) % 8 == 0, "header length %llu: data not 8-byte aligned",
              (unsigned long long)n);
    char *hdr = calloc(n + 1, 1);
    CHECK_TRUE(f && fread(hdr, 1, n, f) == n);
    if (f) fclose(f);
    const char *start = "{\"__metadata__\":{\"format\":\"pt\"},\"a.first\":";
    CHECK_MSG(strncmp(hdr, start, strlen(start)) == 0, "header starts: %.60s", hdr);
    const char *order[] = {"\"a.first\"", "\"empty\"", "\"quote\\\"d\"", "\"scalar\"",
                           "\"z.last\""};
    const char *prev = hdr;
    for (int i = 0; i < 5; i++) {
        const char *at = strstr(hdr, order[i]);
        CHECK_MSG(at && at >= prev, "key %s missing or out of order in %s", order[i], hdr);
        if (at) prev = at;
    }
    free(hdr);

    SafeTensorsFile st;
    rc = safetensors_open(&st, path, &e);
    CHECK_MSG(rc == 0, "open: %s", e.msg);
    if (rc != 0) return;
    CHECK_EQ_I64(st.n, 5);
    for (int i = 0; i < 5; i++) {
        const SafeTensor *t = safetensors_find(&st, out[i].name);
        CHECK_MSG(t != NULL, "tensor %s not found", out[i].name);
        if (!t) continue;
        CHECK_EQ_I64(t->ndim, out[i].ndim);
        CHECK_TRUE(t->dtype == ST_F32);
        size_t count = 1;
        for (int d = 0; d < t->ndim; d++) {
            CHECK_EQ_I64(t->shape[d], out[i].shape[d]);
            count *= (size_t)out[i].shape[d];
        }
        CHECK_EQ_I64(t->count, count);
        float got[8] = {0};
        CHECK_TRUE(safetensors_read_f32(&st, t, got, &e) == 0);
        CHECK_MSG(memcmp(got, out[i].data, count * sizeof(float)) == 0, "%s: values differ",
                  out[i].name);
    }
    CHECK_TRUE(safetensors_find(&st, "nope") == NULL);
    safetensors_close(&st);
    safetensors_close(&st);  // twice is safe

    // refusals of the writer: a missing directory, the same name twice; nothing left behind
    rc = safetensors_write_f32(DIR "/no/such/dir/x.safetensors", out, 5, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, "no/such/dir"), "missing directory: %s", e.msg);
    SafeTensorOut twice[2] = {out[1], out[1]};
    rc = safetensors_write_f32(DIR "/twice.safetensors", twice, 2, &e);
    CHECK_MSG(rc < 0 && strstr(e.msg, "a.first"), "duplicate name: %s", e.msg);
    CHECK_TRUE(!exists(DIR "/twice.safetensors") && !exists(DIR "/twice.safetensors.tmp"));
}

// ---- bad headers ----------------------------------------------------------------------------

// Writes a file: length (declared, or strlen(header) when declared < 0), header, data bytes.
static void write_raw(const char *path, long long declared, const char *header, size_t data) {
    FILE *f = fopen(path, "wb");
    CHECKF(f, "cannot write %s", path);
    uint64_t n = declared < 0 ? strlen(header) : (uint64_t)declared;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(n >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    for (size_t i = 0; i < data; i++) fputc((int)(i * 37 & 255), f);
    fclose(f);
}

// Opens a file that must be refused with a message containing every needle (NULL-terminated).
static void expect_refused(const char *what, const char *path, const char *const *needles) {
    SafeTensorsFile st;
    ErrMsg e = {{0}};
    int rc = safetensors_open(&st, path, &e);
    CHECK_MSG(rc < 0, "%s: accepted", what);
    CHECK_MSG(st.fd == -1 && st.tensors == NULL, "%s: left open after the error", what);
    CHECK_MSG(strstr(e.msg, path) != NULL, "%s: message does not name the file: %s", what, e.msg);
    for (int i = 0; needles[i]; i++)
        CHECK_MSG(strstr(e.msg, needles[i]) != NULL, "%s: message lacks \"%s\": %s", what,
                  needles[i], e.msg);
    if (rc == 0) safetensors_close(&st);
}

#define REFUSED(what, path, ...) \
    expect_refused(what, path, (const char *const[]){__VA_ARGS__, NULL})

static void test_bad_headers(void) {
    const char *p = DIR "/bad.safetensors";
    const char *ok1 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    write_raw(p, -1, ok1, 8);
    SafeTensorsFile st;
    ErrMsg e;
    CHECK_MSG(safetensors_open(&st, p, &e) == 0, "valid one-tensor file refused: %s", e.msg);
    safetensors_close(&st);

    FILE *f = fopen(p, "wb");
    fwrite("abc", 1, 3, f);
    fclose(f);
    REFUSED("short file", p, "3 bytes");
    write_raw(p, 1000, ok1, 8);
    REFUSED("length past the end", p, "header length", "1000", "past the end");
    write_raw(p, 1, "{", 0);
    REFUSED("length 1", p, "header length", "too short");
    write_raw(p, -1, "{\"w\": oops}", 0);
    REFUSED("not JSON", p, "not valid JSON");
    write_raw(p, -1, "[1, 2]", 0);
    REFUSED("array", p, "an array", "expected a JSON object");
    write_raw(p, -1, "{} x", 0);
    REFUSED("bytes after the object", p, "after its JSON object");
    write_raw(p, -1, "{\"w\": 3}", 0);
    REFUSED("entry not an object", p, "\"w\"", "a number");
    write_raw(p, -1, "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    REFUSED("missing dtype", p, "\"w\"", "missing field dtype");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8);
    REFUSED("missing shape", p, "\"w\"", "missing field shape");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8);
    REFUSED("missing offsets", p, "\"w\"", "missing field data_offsets");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8);
    REFUSED("extra field", p, "\"w\"", "\"x\"");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    REFUSED("unknown dtype", p, "\"w\"", "unknown dtype \"F31\"");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
    REFUSED("negative size", p, "\"w\"", "shape[0]");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8);
    REFUSED("fractional size", p, "\"w\"", "shape[0]");
    write_raw(p, -1,
              "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
              4);
    REFUSED("too many dimensions", p, "\"w\"", "9 dimensions");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8);
    REFUSED("one offset", p, "\"w\"", "data_offsets");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8);
    REFUSED("offset out of range", p, "\"w\"", "[0, 16] out of range", "<= 8");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8);
    REFUSED("begin after end", p, "\"w\"", "out of range");
    write_raw(p, -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
    REFUSED("shape/bytes mismatch", p, "\"w\"", "span 8 bytes", "shape [3]", "needs 12");
    write_raw(p, -1,
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
              12);
    REFUSED("overlap", p, "\"b\"", "overlap", "\"a\"");
    write_raw(p, -1,
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
              12);
    REFUSED("gap", p, "\"b\"", "gap of 4", "\"a\"");
    write_raw(p, -1, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    REFUSED("gap at the start", p, "\"a\"", "gap of 4", "start of the data section");
    write_raw(p, -1, ok1, 12);
    REFUSED("trailing data", p, "12 bytes", "only 8");
    write_raw(p, -1,
              "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
              8);
    REFUSED("duplicate name", p, "\"w\"", "twice");
    write_raw(p, -1, "{\"__metadata__\":[1]}", 0);
    REFUSED("metadata not an object", p, "__metadata__", "an array");
    write_raw(p, -1, "{\"__metadata__\":{\"format\":1}}", 0);
    REFUSED("metadata value not a string", p, "__metadata__", "\"format\"", "a number");

    // valid corner cases: only metadata and no data; padding; a zero-size tensor beside others
    write_raw(p, -1, "{\"__metadata__\":{\"format\":\"pt\"}}   ", 0);
    CHECK_MSG(safetensors_open(&st, p, &e) == 0 && st.n == 0, "metadata-only file: %s", e.msg);
    safetensors_close(&st);
    write_raw(p, -1,
              "{\"e\":{\"dtype\":\"BF16\",\"shape\":[0,4],\"data_offsets\":[0,0]},"
              "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
              "\"i\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[4,8]}}",
              8);
    CHECK_MSG(safetensors_open(&st, p, &e) == 0 && st.n == 3, "zero-size tensor: %s", e.msg);
    if (st.fd >= 0) {
        float v[2];
        CHECK_TRUE(safetensors_read_f32(&st, safetensors_find(&st, "e"), v, &e) == 0);
        CHECK_TRUE(safetensors_read_f32(&st, safetensors_find(&st, "h"), v, &e) == 0);
        // data byte i is i*37: h's halves are bytes (0x00, 0x25) and (0x4a, 0x6f), little-endian
        CHECK_TRUE(v[0] == safetensors_f16_to_f32(0x2500) &&
                   v[1] == safetensors_f16_to_f32(0x6f4a));
        int rc = safetensors_read_f32(&st, safetensors_find(&st, "i"), v, &e);
        CHECK_MSG(rc < 0 && strstr(e.msg, "\"i\"") && strstr(e.msg, "dtype I32"),
                  "I32 read as weights: %s", e.msg);
        safetensors_close(&st);
    }
    // the file shrinks after it was validated: the read fails cleanly
    write_raw(p, -1, ok1, 8);
    CHECK_TRUE(safetensors_open(&st, p, &e) == 0);
    if (st.fd >= 0) {
        struct stat s0;
        CHECK_TRUE(stat(p, &s0) == 0 && truncate(p, s0.st_size - 4) == 0);
        float v[2];
        int rc = safetensors_read_f32(&st, safetensors_find(&st, "w"), v, &e);
        CHECK_MSG(rc < 0 && strstr(e.msg, "\"w\"") && strstr(e.msg, "ended early"),
                  "file shortened after open: %s", e.msg);
        safetensors_close(&st);
    }

    // a sparse file big enough for a header length over the limit
    write_raw(p, 100000001, "{}", 0);
    CHECK_TRUE(truncate(p, 100000016) == 0);
    REFUSED("header over 100 MB", p, "100000001", "more than the 100000000");
    CHECK_TRUE(unlink(p) == 0);
    REFUSED("missing file", p, "cannot open");
    REFUSED("a directory", DIR, "not a regular file");
}

// ---- helper modes ---------------------------------------------------------------------------

static int mode_logits(const char *ckpt, const char *out, const char *ids) {
    ErrMsg e;
    CkptInfo info;
    if (ckpt_peek(ckpt, &info, &e) != 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    GPTConfig cfg = info.model_cfg;
    ckpt_info_free(&info);
    int32_t *tok = xmalloc("test.tokens", (size_t)cfg.T * sizeof(int32_t));
    int S = 0;
    for (const char *q = ids; *q && S < cfg.T;) {
        char *end;
        tok[S++] = (int32_t)strtol(q, &end, 10);
        q = *end == ',' ? end + 1 : end;
        if (end == q && *q) break;
    }
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    CkptContents c = {.model = &w};
    if (ckpt_read(ckpt, &cfg, &c, MPI_COMM_SELF, &e) != 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 2;
    }
    Activations a;
    acts_init(&a, &cfg, 1, S, 0);
    const float *logits = gpt_forward(&a, &w, tok, 1, S);
    FILE *f = fopen(out, "wb");
    int ok = f != NULL;
    for (int s = 0; s < S && ok; s++)
        ok = fwrite(logits + (size_t)s * cfg.Vp, sizeof(float), (size_t)cfg.V, f) == (size_t)cfg.V;
    if (f && fclose(f) != 0) ok = 0;
    acts_free(&a);
    param_slab_free(&w);
    xfree(tok);
    if (!ok) fprintf(stderr, "error: cannot write %s\n", out);
    return ok ? 0 : 1;
}

static int mode_write_nope(const char *out) {
    GPTConfig cfg = {.V = 20, .Vp = 32, .T = 8, .C = 8, .L = 1, .NH = 2, .position = GPT_POS_NONE};
    ParamSlab w;
    param_slab_init(&w, &cfg, "test.params");
    gpt_init_weights(&w, 7);
    CkptState st;
    ckpt_state_init(&st, 1);
    CkptContents c = {.model = &w, .state = &st, .config_json = "{}", .charset = ""};
    ErrMsg e;
    int rc = ckpt_write_file(out, &c, MPI_COMM_SELF, &e);
    if (rc != 0) fprintf(stderr, "error: %s\n", e.msg);
    ckpt_state_free(&st);
    param_slab_free(&w);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int status;
    if (argc == 5 && strcmp(argv[1], "logits") == 0) {
        status = mode_logits(argv[2], argv[3], argv[4]);
    } else if (argc == 3 && strcmp(argv[1], "write-nope") == 0) {
        status = mode_write_nope(argv[2]);
    } else if (argc == 1) {
        CHECKF(system("rm -rf " DIR " && mkdir -p " DIR) == 0, "cannot create " DIR);
        test_conversions();
        test_round_trip();
        test_bad_headers();
        status = check_report();
    } else {
        fprintf(stderr, "usage: test_safetensors [logits CKPT OUT IDS | write-nope OUT.h5]\n");
        status = 2;
    }
    MPI_Finalize();
    return status;
}
