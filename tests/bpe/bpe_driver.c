/* tests/bpe/bpe_driver.c — the C side of the BPE tests that need a real vocabulary (GPT-2's, from
   the npm packages the test set-up installs) and of bench/tokenizer_speed.sh.

   bpe_driver encode VOCAB CORPUS OUT [--allow-special]
       one line of space-separated ids per NUL-separated record of CORPUS
   bpe_driver forms CORPUS VOCAB...
       every VOCAB (any form bpe_load takes), and the flat arrays of the first rebuilt with
       bpe_from_arrays, must give the same ids for every record, with and without specials
   bpe_driver roundtrip VOCAB N SEED
       decode(encode(x)) == x for N random byte strings (uniform bytes, ASCII-heavy, UTF-8
       fragments, "<|endoftext|>" pieces), with and without specials
   bpe_driver bench VOCAB FILE REPEATS
       encodes FILE line by line, then as one text, REPEATS times each; prints MB/s of the best
       run (a fresh tokenizer each run, so the piece cache starts empty)
   Exit status 0 when every check holds, 1 otherwise, 2 on bad arguments or files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/bpe.h"
#include "util/alloc.h"
#include "util/timer.h"

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = xmalloc("driver", (size_t)n + 1);
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "error: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static Bpe *load(const char *spec) {
    Bpe *b;
    ErrMsg e;
    if (bpe_load(&b, spec, &e) != 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        exit(2);
    }
    return b;
}

static int64_t encode(Bpe *b, const uint8_t *text, size_t n, int special, int32_t *ids) {
    ErrMsg e;
    int64_t k = bpe_encode(b, text, n, special, ids, n, &e);
    if (k < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        exit(1);
    }
    return k;
}

static int cmd_encode(int argc, char **argv) {
    if (argc < 3) return 2;
    Bpe *b = load(argv[0]);
    int special = argc > 3 && strcmp(argv[3], "--allow-special") == 0;
    size_t n;
    uint8_t *text = read_all(argv[1], &n);
    FILE *out = fopen(argv[2], "w");
    if (!out) return 2;
    int32_t *ids = xmalloc("driver", (n + 1) * sizeof *ids);
    for (size_t pos = 0; pos <= n;) {
        const uint8_t *nul = memchr(text + pos, 0, n - pos);
        size_t end = nul ? (size_t)(nul - text) : n;
        int64_t k = encode(b, text + pos, end - pos, special, ids);
        for (int64_t i = 0; i < k; i++) fprintf(out, i ? " %d" : "%d", ids[i]);
        fputc('\n', out);
        pos = end + 1;
    }
    fclose(out);
    xfree(ids);
    xfree(text);
    bpe_free(b);
    return 0;
}

static int cmd_forms(int argc, char **argv) {
    if (argc < 2) return 2;
    size_t n;
    uint8_t *text = read_all(argv[0], &n);
    int nb = argc - 1;
    Bpe **b = xmalloc("driver", (size_t)(nb + 1) * sizeof *b);
    for (int i = 0; i < nb; i++) b[i] = load(argv[1 + i]);
    BpeArrays a;
    bpe_arrays(b[0], &a);
    ErrMsg e;
    if (bpe_from_arrays(&b[nb], &a, &e) != 0) {
        fprintf(stderr, "FAIL: bpe_from_arrays of %s: %s\n", argv[1], e.msg);
        return 1;
    }
    int32_t *ref = xmalloc("driver", (n + 1) * sizeof *ref),
            *ids = xmalloc("driver", (n + 1) * sizeof *ids);
    long records = 0, tokens = 0, bad = 0;
    for (int special = 0; special < 2; special++) {
        for (size_t pos = 0; pos <= n;) {
            const uint8_t *nul = memchr(text + pos, 0, n - pos);
            size_t end = nul ? (size_t)(nul - text) : n;
            int64_t k = encode(b[0], text + pos, end - pos, special, ref);
            for (int i = 1; i <= nb; i++) {
                int64_t k2 = encode(b[i], text + pos, end - pos, special, ids);
                if (k2 != k || memcmp(ids, ref, (size_t)k * sizeof *ids) != 0) {
                    if (bad++ < 5)
                        fprintf(stderr, "FAIL: record %ld (specials %s): %s differs from %s\n",
                                records, special ? "on" : "off",
                                i < nb ? argv[1 + i] : "the rebuilt arrays", argv[1]);
                }
            }
            records++;
            tokens += k;
            pos = end + 1;
        }
    }
    // The flat arrays of every form are the same arrays.
    for (int i = 1; i <= nb; i++) {
        BpeArrays c;
        bpe_arrays(b[i], &c);
        int same = c.n_tokens == a.n_tokens && c.n_merges == a.n_merges &&
                   c.n_specials == a.n_specials &&
                   memcmp(c.token_offsets, a.token_offsets, (size_t)(a.n_tokens + 1) * 8) == 0 &&
                   memcmp(c.token_bytes, a.token_bytes, (size_t)a.token_offsets[a.n_tokens]) == 0 &&
                   memcmp(c.merges, a.merges, (size_t)a.n_merges * 8) == 0 &&
                   memcmp(c.special_ids, a.special_ids, (size_t)a.n_specials * 4) == 0;
        if (!same) {
            bad++;
            fprintf(stderr, "FAIL: the flat arrays of %s differ from %s's\n",
                    i < nb ? argv[1 + i] : "the rebuilt tokenizer", argv[1]);
        }
    }
    printf(
        "forms: %d vocabularies + rebuilt arrays, %ld record encodings, %ld tokens, %ld "
        "differences\n",
        nb, records, tokens, bad);
    for (int i = 0; i <= nb; i++) bpe_free(b[i]);
    xfree(b);
    xfree(ref);
    xfree(ids);
    xfree(text);
    return bad ? 1 : 0;
}

static uint64_t rng_next(uint64_t *s) {  // splitmix64
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmd_roundtrip(int argc, char **argv) {
    if (argc < 3) return 2;
    Bpe *b = load(argv[0]);
    long count = atol(argv[1]);
    uint64_t seed = strtoull(argv[2], NULL, 10);
    static const char *const frags[] = {"\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80",
                                        "\xc3\xa9",
                                        "\xe4\xb8",
                                        "<|endoftext|>",
                                        "<|endo",
                                        "'s",
                                        " ",
                                        "\n",
                                        "\xed\xa0\x80"};
    uint8_t text[600], back[600];
    int32_t ids[600];
    long bad = 0, tokens = 0;
    ErrMsg e;
    for (long t = 0; t < count; t++) {
        size_t n = rng_next(&seed) % 400;
        int style = (int)(t % 3);
        size_t k = 0;
        while (k < n) {
            uint64_t r = rng_next(&seed);
            if (style == 0)
                text[k++] = (uint8_t)r;
            else if (style == 1)
                text[k++] = (r & 7) ? (uint8_t)(32 + (r >> 8) % 95) : (uint8_t)(r >> 16);
            else {
                const char *f = frags[(r >> 8) % 10];
                size_t fl = strlen(f);
                if (k + fl > n) break;
                memcpy(text + k, f, fl);
                k += fl;
            }
        }
        n = k;
        for (int special = 0; special < 2; special++) {
            int64_t m = encode(b, text, n, special, ids);
            int64_t got = bpe_decode(b, ids, (size_t)m, back, sizeof back, &e);
            tokens += m;
            if (got != (int64_t)n || memcmp(back, text, n) != 0) {
                if (bad++ < 5)
                    fprintf(stderr, "FAIL: round trip of string %ld (%zu bytes)\n", t, n);
            }
        }
    }
    printf("roundtrip: %ld random strings, %ld tokens, %ld failures\n", count, tokens, bad);
    bpe_free(b);
    return bad ? 1 : 0;
}

// Encodes text[0..n) line by line ('\n' ends a line and is not encoded), or whole when
// per_line is 0; returns the number of tokens.
static int64_t encode_lines(Bpe *b, const uint8_t *text, size_t n, int per_line, int32_t *ids) {
    if (!per_line) return encode(b, text, n, 0, ids);
    int64_t k = 0;
    for (size_t pos = 0; pos < n;) {
        const uint8_t *nl = memchr(text + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - text) : n;
        k += encode(b, text + pos, end - pos, 0, ids);
        pos = end + 1;
    }
    return k;
}

static int cmd_bench(int argc, char **argv) {
    if (argc < 3) return 2;
    double t0 = timer_now();
    Bpe *b = load(argv[0]);
    double load_s = timer_now() - t0;
    size_t n;
    uint8_t *text = read_all(argv[1], &n);
    int repeats = atoi(argv[2]);
    int32_t *ids = xmalloc("driver", (n + 1) * sizeof *ids);
    for (int per_line = 1; per_line >= 0; per_line--) {
        double best = 1e30;
        int64_t k = 0;
        for (int r = 0; r < repeats; r++) {
            // A fresh tokenizer each run: the per-piece cache starts empty every time.
            Bpe *fresh;
            BpeArrays a;
            ErrMsg e;
            bpe_arrays(b, &a);
            if (bpe_from_arrays(&fresh, &a, &e) != 0) return 1;
            double s = timer_now();
            k = encode_lines(fresh, text, n, per_line, ids);
            double dt = timer_now() - s;
            if (dt < best) best = dt;
            bpe_free(fresh);
        }
        printf("concord %-13s %zu bytes -> %lld tokens, best of %d: %.3f s = %.2f MB/s\n",
               per_line ? "line by line:" : "whole text:", n, (long long)k, repeats, best,
               (double)n / best / 1e6);
    }
    printf("concord vocabulary load (encoder.json + vocab.bpe): %.3f s\n", load_s);
    bpe_free(b);
    xfree(ids);
    xfree(text);
    return 0;
}

int main(int argc, char **argv) {
    int rc = 2;
    if (argc >= 2 && strcmp(argv[1], "encode") == 0)
        rc = cmd_encode(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "forms") == 0)
        rc = cmd_forms(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "roundtrip") == 0)
        rc = cmd_roundtrip(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        rc = cmd_bench(argc - 2, argv + 2);
    if (rc == 2) fprintf(stderr, "usage: see the comment at the top of tests/bpe/bpe_driver.c\n");
    return rc;
}
