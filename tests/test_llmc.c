/* tests/test_llmc.c — llm.c GPT-2 checkpoint import (io/llmc).
   Modes:
     (none)              writes a tiny llm.c-format file (V=50, Vp=64, maxT=16, C=32, L=2, NH=4,
                         random weights), imports it, reads the checkpoint back (weights bit-equal,
                         state round 0 / phase sft / step 0, no /optim, empty charset) and checks
                         the imported model's logits equal, bit for bit, the logits of the raw
                         file's floats loaded straight into a ParamSlab; then every kind of bad
                         input: each must give a clean error and leave no output file.
                         Also: ckpt_write_file's one-rank direct-I/O path with tensor sizes that
                         are not multiples of 4 KiB, on disk and on tmpfs (/dev/shm).
     write-bin PATH      writes the tiny llm.c file to PATH (for tests/test_import_llmc.sh). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/ckpt.h"
#include "io/llmc.h"
#include "train/gpt.h"
#include "util/alloc.h"

#define DIR "llmc_tmp"

static GPTConfig tiny_config(void) {
    return (GPTConfig){.V = 50, .Vp = 64, .T = 16, .C = 32, .L = 2, .NH = 4};
}

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static float rand_weight(void) {  // roughly uniform in [-0.1, 0.1)
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 0.2 - 0.1);
}

// The raw parameter floats of the tiny model (n floats, caller frees): llm.c layout; padded wte
// rows are zero as llm.c writes them, LayerNorm scales around 1.
static float *tiny_params(const GPTConfig *cfg, size_t *n) {
    TensorSpec tb[MAX_TENSORS];
    int ntensors;
    *n = gpt_param_table(cfg, tb, &ntensors);
    float *p = xmalloc("test.raw", *n * sizeof(float));
    for (size_t i = 0; i < *n; i++) p[i] = rand_weight();
    memset(p + (size_t)cfg->V * cfg->C, 0, (size_t)(cfg->Vp - cfg->V) * cfg->C * sizeof(float));
    for (int t = 0; t < GPT_NUM_TENSORS; t++)
        if (strstr(tb[t].name, "ln") && strstr(tb[t].name, "_w"))
            for (size_t i = 0; i < tb[t].count; i++) p[tb[t].offset + i] += 1.0f;
    return p;
}

// Writes an llm.c file: header (magic, version, maxT, V, L, NH, C, Vp) then n floats, then extra
// trailing bytes; drop > 0 cuts that many bytes off the end.
static void write_bin(const char *path, const int32_t h8[8], const float *p, size_t n, int extra,
                      int drop) {
    int32_t h[LLMC_HEADER_INTS] = {0};
    memcpy(h, h8, 8 * sizeof(int32_t));
    size_t bytes = sizeof h + n * sizeof(float) + (size_t)extra;
    unsigned char *buf = xcalloc("test.bin", bytes, 1);
    memcpy(buf, h, sizeof h);
    if (n) memcpy(buf + sizeof h, p, n * sizeof(float));
    FILE *f = fopen(path, "wb");
    CHECKF(f && fwrite(buf, 1, bytes - (size_t)drop, f) == bytes - (size_t)drop && fclose(f) == 0,
           "cannot write %s", path);
    xfree(buf);
}

static void good_header(int32_t h[8], const GPTConfig *c) {
    int32_t g[8] = {LLMC_MAGIC, LLMC_VERSION, c->T, c->V, c->L, c->NH, c->C, c->Vp};
    memcpy(h, g, sizeof g);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_import_roundtrip(void) {
    GPTConfig cfg = tiny_config();
    size_t n;
    float *raw = tiny_params(&cfg, &n);
    int32_t h[8];
    good_header(h, &cfg);
    write_bin(DIR "/tiny.bin", h, raw, n, 0, 0);
    ErrMsg e = {{0}};
    // An old file at the output path is replaced.
    FILE *old = fopen(DIR "/tiny.h5", "w");
    CHECK_TRUE(old && fputs("old", old) >= 0 && fclose(old) == 0);
    CHECK_MSG(llmc_import(DIR "/tiny.bin", DIR "/tiny.h5", &e) == 0, "import: %s", e.msg);
    CHECK_TRUE(!exists(DIR "/tiny.h5.tmp"));

    CkptInfo info;
    CHECK_MSG(ckpt_peek(DIR "/tiny.h5", &info, &e) == 0, "peek: %s", e.msg);
    CHECK_TRUE(memcmp(&info.model_cfg, &cfg, sizeof cfg) == 0);
    CHECK_TRUE(info.charset[0] == '\0');
    CHECK_TRUE(!info.has_optim && !info.has_ref && !info.has_prev);
    CHECK_EQ_I64(info.state.round, 0);
    CHECK_TRUE(strcmp(info.state.phase, "sft") == 0);
    CHECK_EQ_I64(info.state.step, 0);
    CHECK_EQ_I64(info.state.world_size, 1);
    CHECK_MSG(info.config_json && strstr(info.config_json, "{\"imported_from\": \"/") &&
                  strstr(info.config_json, "/" DIR "/tiny.bin\"}"),
              "config json: %s", info.config_json ? info.config_json : "(null)");
    ckpt_info_free(&info);

    ParamSlab w, direct;
    param_slab_init(&w, &cfg, "test.w");
    CkptContents c = {.model = &w};
    CHECK_MSG(ckpt_read(DIR "/tiny.h5", &cfg, &c, MPI_COMM_SELF, &e) == 0, "read: %s", e.msg);
    CHECK_TRUE(memcmp(w.data, raw, n * sizeof(float)) == 0);
    // The raw floats straight into a slab (no llmc code involved) must give the same logits.
    param_slab_init(&direct, &cfg, "test.direct");
    memcpy(direct.data, raw, n * sizeof(float));
    enum { B = 2, S = 8 };
    int32_t tokens[B * S];
    for (int i = 0; i < B * S; i++) tokens[i] = (int32_t)((7 * i + 3) % cfg.V);
    Activations a;
    acts_init(&a, &cfg, B, S, 0);
    size_t nl = (size_t)B * S * cfg.Vp;
    float *want = xmalloc("test.logits", nl * sizeof(float));
    memcpy(want, gpt_forward(&a, &direct, tokens, B, S), nl * sizeof(float));
    const float *got = gpt_forward(&a, &w, tokens, B, S);
    CHECK_TRUE(memcmp(got, want, nl * sizeof(float)) == 0);
    double spread = 0;  // the logits must depend on the weights (not all equal)
    for (size_t i = 1; i < nl; i++) spread += got[i] != got[0];
    CHECK_TRUE(spread > 0);
    // llmc_load gives the same slab.
    ParamSlab loaded;
    CHECK_MSG(llmc_load(DIR "/tiny.bin", &loaded, &e) == 0, "load: %s", e.msg);
    CHECK_TRUE(loaded.n == n && memcmp(loaded.data, raw, n * sizeof(float)) == 0);
    param_slab_free(&loaded);
    acts_free(&a);
    xfree(want);
    param_slab_free(&direct);
    param_slab_free(&w);
    xfree(raw);
}

// Imports path (expecting failure) and checks the message contains every one of want[].
static void expect_error(const char *path, const char *const *want, int n_want) {
    ErrMsg e = {{0}};
    const char *out = DIR "/bad.h5";
    unlink(out);
    int rc = llmc_import(path, out, &e);
    CHECK_MSG(rc < 0, "import of %s should fail", path);
    for (int i = 0; i < n_want; i++)
        CHECK_MSG(strstr(e.msg, want[i]) != NULL, "%s: message lacks \"%s\": %s", path, want[i],
                  e.msg);
    CHECK_MSG(!exists(out) && !exists(DIR "/bad.h5.tmp"), "%s: output left behind", path);
}

#define EXPECT(path, ...)                                                 \
    do {                                                                  \
        const char *const want_[] = {__VA_ARGS__};                        \
        expect_error(path, want_, (int)(sizeof want_ / sizeof want_[0])); \
    } while (0)

// Writes DIR/bad.bin with header field idx set to value (full-size body for the good config).
static void bad_field(int idx, int32_t value) {
    GPTConfig cfg = tiny_config();
    size_t n;
    float *raw = tiny_params(&cfg, &n);
    int32_t h[8];
    good_header(h, &cfg);
    h[idx] = value;
    write_bin(DIR "/bad.bin", h, raw, n, 0, 0);
    xfree(raw);
}

static void test_bad_inputs(void) {
    GPTConfig cfg = tiny_config();
    size_t n;
    float *raw = tiny_params(&cfg, &n);
    int32_t h[8];
    good_header(h, &cfg);
    char expect_size[64];
    snprintf(expect_size, sizeof expect_size, "expected %zu", 1024 + 4 * n);

    EXPECT(DIR "/missing.bin", "cannot open", "missing.bin", "No such file");
    bad_field(0, 20240327);
    EXPECT(DIR "/bad.bin", "magic", "20240326", "training state file");
    bad_field(0, 12345);
    EXPECT(DIR "/bad.bin", "not an llm.c GPT-2 checkpoint", "12345");
    bad_field(1, 1);
    EXPECT(DIR "/bad.bin", "version", "is 1", "unpadded", "only version 3", "HINT:");
    bad_field(1, 5);
    EXPECT(DIR "/bad.bin", "version", "is 5", "bf16", "HINT:");
    bad_field(4, 0);
    EXPECT(DIR "/bad.bin", "header[4] (L) is 0", "positive");
    bad_field(6, -32);
    EXPECT(DIR "/bad.bin", "header[6] (C) is -32");
    bad_field(5, 5);
    EXPECT(DIR "/bad.bin", "C = 32", "NH = 5");
    bad_field(7, 40);
    EXPECT(DIR "/bad.bin", "Vp", "40", "V = 50");
    bad_field(6, 1 << 30);
    EXPECT(DIR "/bad.bin", "parameters, more than");
    bad_field(2, 1);  // maxT = 1: concord needs T >= 2
    EXPECT(DIR "/bad.bin", "cannot hold", "T must be >= 2");

    write_bin(DIR "/bad.bin", h, raw, n, 0, 4);
    EXPECT(DIR "/bad.bin", "truncated", expect_size, "bytes");
    write_bin(DIR "/bad.bin", h, raw, n, 1, 0);
    EXPECT(DIR "/bad.bin", "trailing bytes", expect_size);
    write_bin(DIR "/bad.bin", h, raw, 0, 0, 1000);  // 24 bytes: not even a header
    EXPECT(DIR "/bad.bin", "too short", "24 bytes");
    write_bin(DIR "/bad.bin", h, raw, 0, 0, 1024);  // empty file
    EXPECT(DIR "/bad.bin", "too short", "0 bytes");
    EXPECT(DIR, "not a regular file");
    // A concord checkpoint is HDF5, not an llm.c file.
    EXPECT(DIR "/tiny.h5", "HDF5");

    // The output directory must exist; nothing is created on failure.
    write_bin(DIR "/ok.bin", h, raw, n, 0, 0);
    ErrMsg e = {{0}};
    CHECK_TRUE(llmc_import(DIR "/ok.bin", DIR "/no/such/out.h5", &e) < 0);
    CHECK_MSG(strstr(e.msg, "does not exist") != NULL, "%s", e.msg);
    CHECK_TRUE(!exists(DIR "/no"));
    xfree(raw);
}

// Random bit patterns (NaNs and infinities included): only a bit-exact round trip passes.
static void fill_bits(ParamSlab *s) {
    for (size_t i = 0; i < s->n; i++) {
        uint32_t bits = (uint32_t)(rand_weight() * 1e9f) * 2654435761u;
        memcpy(&s->data[i], &bits, sizeof bits);
    }
}

// ckpt_write_file on one rank takes the direct-I/O path (io/ckpt.c): tensors whose sizes are not
// multiples of 4 KiB (aligned head through O_DIRECT, tail through the page cache) and tiny ones
// must read back bit for bit, with every group, in dir (a disk directory, or tmpfs).
static void test_ckpt_file_roundtrip(const char *dir) {
    GPTConfig cfg = {.V = 1000, .Vp = 1003, .T = 37, .C = 24, .L = 3, .NH = 2};
    ParamSlab s[5], r[5];  // model, m, v, ref, prev: written and read back
    for (int k = 0; k < 5; k++) {
        param_slab_init(&s[k], &cfg, "test.slab");
        param_slab_init(&r[k], &cfg, "test.slab");
        fill_bits(&s[k]);
    }
    AdamW opt = {.m = s[1], .v = s[2], .step = 5}, got_opt = {.m = r[1], .v = r[2]};
    CkptState st, got_st;
    ckpt_state_init(&st, 2);
    memset(&got_st, 0, sizeof got_st);
    st.step = 77;
    CkptContents c = {.model = &s[0],
                      .optim = &opt,
                      .ref = &s[3],
                      .prev = &s[4],
                      .state = &st,
                      .config_json = "{}",
                      .charset = "abc"};
    CkptContents g = {
        .model = &r[0], .optim = &got_opt, .ref = &r[3], .prev = &r[4], .state = &got_st};
    char path[256];
    snprintf(path, sizeof path, "%s/odd.h5", dir);
    ErrMsg e = {{0}};
    CHECK_MSG(ckpt_write_file(path, &c, MPI_COMM_SELF, &e) == 0, "%s: %s", path, e.msg);
    CHECK_MSG(ckpt_read(path, &cfg, &g, MPI_COMM_SELF, &e) == 0, "%s: %s", path, e.msg);
    for (int k = 0; k < 5; k++)
        CHECK_MSG(memcmp(s[k].data, r[k].data, s[k].n * sizeof(float)) == 0,
                  "%s: slab %d differs after the round trip", path, k);
    CHECK_EQ_I64(got_opt.step, 5);
    CHECK_EQ_I64(got_st.step, 77);
    unlink(path);
    ckpt_state_free(&st);
    ckpt_state_free(&got_st);
    for (int k = 0; k < 5; k++) param_slab_free(&s[k]), param_slab_free(&r[k]);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    if (argc == 3 && strcmp(argv[1], "write-bin") == 0) {
        GPTConfig cfg = tiny_config();
        size_t n;
        float *raw = tiny_params(&cfg, &n);
        int32_t h[8];
        good_header(h, &cfg);
        write_bin(argv[2], h, raw, n, 0, 0);
        xfree(raw);
        MPI_Finalize();
        return 0;
    }
    mkdir(DIR, 0777);
    test_import_roundtrip();
    test_bad_inputs();
    test_ckpt_file_roundtrip(DIR);
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        test_ckpt_file_roundtrip("/dev/shm");
    MPI_Finalize();
    return check_report();
}
