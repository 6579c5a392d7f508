/* tests/test_hf_tokenizer.c — a SmolLM2-style tokenizer (digits split, ChatML specials; tests/
   smol_tokenizer_fixture.h) through the io layer: the checkpoint's /tokenizer group keeps the
   digit setting (attribute pre_split_digits; a file without it reads as no splitting; a bad value
   is refused by name), and export (hf_gpt2_export_tokenizer: vocab.json, merges.txt and
   tokenizer.json) then import (bpe_load of the directory) gives a tokenizer with the same arrays
   and the same ids, for each digit setting. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/ckpt_tokenizer.h"
#include "io/h5util.h"
#include "io/hf_gpt2.h"
#include "io/hf_tokenizer.h"
#include "smol_tokenizer_fixture.h"
#include "util/alloc.h"

static char dir[64];

static const char *path_in(const char *name) {
    static char buf[4][256];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static const char *const TEXTS[] = {"abc 12345 x9",
                                    "<|im_start|>user\nuse 12<|im_end|>\n<|im_start|>assistant\n",
                                    "x\xc2\xb2\xd9\xa3 3.14 \xff\xfe tail", "  \n\n 007 ab  c", ""};

// 1 when a and b have equal flat arrays and give equal ids for TEXTS (specials allowed or not).
static int same_tokenizer(Bpe *a, Bpe *b) {
    BpeArrays x, y;
    bpe_arrays(a, &x);
    bpe_arrays(b, &y);
    int same = x.n_tokens == y.n_tokens && x.n_merges == y.n_merges &&
               x.n_specials == y.n_specials && x.split_digits == y.split_digits &&
               memcmp(x.token_offsets, y.token_offsets, (size_t)(x.n_tokens + 1) * 8) == 0 &&
               memcmp(x.token_bytes, y.token_bytes, (size_t)x.token_offsets[x.n_tokens]) == 0 &&
               memcmp(x.merges, y.merges, (size_t)x.n_merges * 8) == 0 &&
               memcmp(x.special_ids, y.special_ids, (size_t)x.n_specials * 4) == 0;
    for (size_t t = 0; same && t < sizeof TEXTS / sizeof TEXTS[0]; t++) {
        for (int special = 0; special < 2; special++) {
            int32_t ia[128], ib[128];
            ErrMsg e;
            size_t n = strlen(TEXTS[t]);
            int64_t na = bpe_encode(a, (const uint8_t *)TEXTS[t], n, special, ia, 128, &e);
            int64_t nb = bpe_encode(b, (const uint8_t *)TEXTS[t], n, special, ib, 128, &e);
            same &= na >= 0 && na == nb && memcmp(ia, ib, (size_t)na * sizeof(int32_t)) == 0;
        }
    }
    return same;
}

static Bpe *load_fixture(const char *pre) {
    CHECK_TRUE(smol_write_tokenizer_json(path_in("src.json"), pre, NULL) == 0);
    Bpe *b = NULL;
    ErrMsg e = {{0}};
    CHECK_MSG(bpe_load(&b, path_in("src.json"), &e) == 0, "%s", e.msg);
    return b;
}

// Writes b as the /tokenizer group of a new HDF5 file.
static void write_ckpt(const char *path, const Bpe *b) {
    ErrMsg e = {{0}};
    hid_t fapl = h5_fapl_serial();
    hid_t f = h5_file_create(path, fapl, &e);
    h5_close(&fapl);
    CHECK_MSG(f >= 0, "%s", e.msg);
    if (f < 0) return;
    hid_t g = h5_group_create(f, "tokenizer");
    CHECK_MSG(ckpt_tokenizer_write_bpe(g, b, 1, H5P_DEFAULT, &e) == 0, "%s", e.msg);
    h5_close(&g);
    h5_close(&f);
}

// Sets (value >= 0) or deletes the digit attribute of path's /tokenizer group.
static void set_digits_attr(const char *path, int value) {
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "tokenizer", H5P_DEFAULT);
    if (H5Aexists(g, CKPT_TOKENIZER_DIGITS_ATTR) > 0)
        CHECK_TRUE(H5Adelete(g, CKPT_TOKENIZER_DIGITS_ATTR) >= 0);
    if (value >= 0) h5_attr_write_i32(g, CKPT_TOKENIZER_DIGITS_ATTR, value);
    H5Gclose(g);
    H5Fclose(f);
}

static void test_checkpoint(void) {
    Bpe *b = load_fixture(SMOL_PRE_DIGITS("true"));
    if (!b) return;
    const char *path = path_in("tok.h5");
    write_ckpt(path, b);
    Bpe *back = NULL;
    ErrMsg e = {{0}};
    CHECK_MSG(ckpt_tokenizer_read_bpe(path, &back, &e) == 0 && back, "%s", e.msg);
    if (back) {
        CHECK_EQ_I64(bpe_digits(back), BPE_DIGITS_INDIVIDUAL);
        CHECK_TRUE(same_tokenizer(b, back));
    }
    bpe_free(back);
    // a checkpoint from before the attribute: no digit splitting
    set_digits_attr(path, -1);
    back = NULL;
    CHECK_MSG(ckpt_tokenizer_read_bpe(path, &back, &e) == 0 && back, "%s", e.msg);
    if (back) CHECK_EQ_I64(bpe_digits(back), BPE_DIGITS_NONE);
    bpe_free(back);
    // a value that is no setting
    set_digits_attr(path, 7);
    back = NULL;
    CHECK_TRUE(ckpt_tokenizer_read_bpe(path, &back, &e) < 0 && !back);
    CHECK_MSG(strstr(e.msg, "tok.h5: /tokenizer attribute pre_split_digits is 7, expected 0"), "%s",
              e.msg);
    bpe_free(b);
}

static void test_export_import(void) {
    const char *pres[] = {SMOL_PRE_DIGITS("true"), SMOL_PRE_DIGITS("false"), SMOL_PRE_PLAIN};
    const BpeDigits want[] = {BPE_DIGITS_INDIVIDUAL, BPE_DIGITS_RUNS, BPE_DIGITS_NONE};
    for (int k = 0; k < 3; k++) {
        Bpe *b = load_fixture(pres[k]);
        if (!b) continue;
        char out[128];
        snprintf(out, sizeof out, "%s/export%d", dir, k);
        mkdir(out, 0700);
        ErrMsg e = {{0}};
        CHECK_MSG(hf_gpt2_export_tokenizer(out, b, &e) == 0, "%s", e.msg);
        char file[256];
        struct stat st;
        snprintf(file, sizeof file, "%s/tokenizer.json", out);
        CHECK_TRUE(stat(file, &st) == 0);
        Bpe *back = NULL;
        CHECK_MSG(bpe_load(&back, out, &e) == 0, "export %d: %s", k, e.msg);
        if (back) {
            CHECK_EQ_I64(bpe_digits(back), want[k]);
            CHECK_MSG(same_tokenizer(b, back), "export %d: another tokenizer read back", k);
            CHECK_EQ_I64(bpe_special_id(back, "<|im_end|>"), SMOL_IM_END);
        }
        bpe_free(back);
        // the JSON text names the setting the way Hugging Face writes it
        char *json = hf_tokenizer_json(b, &e);
        CHECK_TRUE(json != NULL);
        if (json && k == 0)
            CHECK_TRUE(strstr(json, "{\"type\":\"Digits\",\"individual_digits\":true}") != NULL);
        if (json && k == 2) CHECK_TRUE(strstr(json, "Digits") == NULL);
        xfree(json);
        bpe_free(b);
    }
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/test_hf_tok.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_checkpoint();
    test_export_import();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_TRUE(system(cmd) == 0);
    return check_report();
}
