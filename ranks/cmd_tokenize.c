/* ranks/cmd_tokenize.c — `concord tokenize --vocab SPEC`: encode text into GPT-2 style BPE ids,
   or decode ids back into bytes, on one process with train/bpe.h. For checking a vocabulary,
   preparing prompts for `concord sample --tokens`, and reading sampled ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranks/cli.h"
#include "ranks/commands.h"
#include "train/bpe.h"
#include "util/alloc.h"
#include "util/timer.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: concord tokenize --vocab SPEC [--decode] [--allow-special] [--stats] "
            "[TEXT | --file F]\n"
            "  --vocab SPEC      a directory holding tokenizer.json, vocab.json + merges.txt, or\n"
            "                    encoder.json + vocab.bpe; a tokenizer.json; or VOCAB.json,MERGES\n"
            "  TEXT              the text to encode (its exact bytes)\n"
            "  --file F          read the text (or, with --decode, the ids) from F; - is stdin\n"
            "  --decode          the input is ids separated by spaces, commas or newlines; prints\n"
            "                    their bytes exactly (no newline added)\n"
            "  --allow-special   special tokens' text (\"<|endoftext|>\") becomes their ids;\n"
            "                    without it that text is encoded as ordinary text\n"
            "  --stats           print bytes, tokens and time to standard error\n"
            "Encoding prints the ids on one line, separated by spaces.\n");
}

typedef struct {
    const char *vocab, *text, *file;
    int decode, allow_special, stats;
} TokenizeArgs;

static int parse_args(TokenizeArgs *a, int argc, char **argv) {
    *a = (TokenizeArgs){0};
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(o, "--decode") == 0)
            a->decode = 1;
        else if (strcmp(o, "--allow-special") == 0)
            a->allow_special = 1;
        else if (strcmp(o, "--stats") == 0)
            a->stats = 1;
        else if (strcmp(o, "--vocab") == 0 || strcmp(o, "--file") == 0) {
            if (cli_value(argc, argv, &i, &v) != 0) return -1;
            if (o[2] == 'v')
                a->vocab = v;
            else
                a->file = v;
        } else if (o[0] == '-' && o[1] == '-') {
            fprintf(stderr, "error: tokenize: unknown option \"%s\"\n", o);
            return -1;
        } else if (!a->text) {
            a->text = o;
        } else {
            fprintf(stderr,
                    "error: tokenize: unexpected argument \"%s\" (one TEXT at most; quote "
                    "text with spaces)\n",
                    o);
            return -1;
        }
    }
    if (!a->vocab || !a->text == !a->file) {
        fprintf(stderr,
                "error: tokenize: needs --vocab SPEC and exactly one of TEXT or --file F\n");
        usage(stderr);
        return -1;
    }
    return 0;
}

// Reads all of path ("-" = stdin) into *out; its length in *len.
static int read_input(const char *path, uint8_t **out, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: --file %s: cannot open\n", path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = xmalloc("tokenize", cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = xrealloc("tokenize", buf, cap *= 2);
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) {
        fprintf(stderr, "error: --file %s: read error\n", path);
        xfree(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

// Parses ids separated by spaces, commas or newlines; the count, or -1 after printing why.
static int64_t parse_ids(const uint8_t *text, size_t n, int32_t *ids, const char *where) {
    int64_t k = 0;
    size_t i = 0;
    for (;;) {
        while (i < n && (text[i] == ' ' || text[i] == ',' || text[i] == '\n' || text[i] == '\t' ||
                         text[i] == '\r'))
            i++;
        if (i == n) return k;
        size_t start = i;
        int64_t v = 0;
        while (i < n && text[i] >= '0' && text[i] <= '9' && v <= INT32_MAX)
            v = v * 10 + (text[i++] - '0');
        int sep = i == n || text[i] == ' ' || text[i] == ',' || text[i] == '\n' ||
                  text[i] == '\t' || text[i] == '\r';
        if (i == start || !sep || v > INT32_MAX) {
            size_t end = start;
            while (end < n && end - start < 20 && text[end] != ' ' && text[end] != '\n') end++;
            fprintf(stderr,
                    "error: tokenize --decode: %s byte %zu: expected a token id (a "
                    "non-negative integer), got \"%.*s\"\n",
                    where, start, (int)(end - start), (const char *)text + start);
            return -1;
        }
        ids[k++] = (int32_t)v;
    }
}

int cmd_tokenize(int argc, char **argv) {
    TokenizeArgs a;
    if (parse_args(&a, argc, argv) != 0) return 2;
    ErrMsg e;
    double t0 = timer_now();
    Bpe *b;
    if (bpe_load(&b, a.vocab, &e) != 0) {
        fprintf(stderr, "error: --vocab: %s\n", e.msg);
        return 2;
    }
    double load_s = timer_now() - t0;
    uint8_t *input;
    size_t n;
    if (a.file) {
        if (read_input(a.file, &input, &n) != 0) {
            bpe_free(b);
            return 2;
        }
    } else {
        n = strlen(a.text);
        input = xmalloc("tokenize", n ? n : 1);
        memcpy(input, a.text, n);
    }
    int status = 0;
    int32_t *ids = xmalloc("tokenize", (n ? n : 1) * sizeof *ids);  // never more ids than bytes
    double t1 = timer_now();
    if (a.decode) {
        int64_t k = parse_ids(input, n, ids, a.file ? a.file : "TEXT");
        int64_t len = k < 0 ? -1 : bpe_decode(b, ids, (size_t)k, NULL, 0, &e);
        if (k >= 0 && len < 0) fprintf(stderr, "error: tokenize --decode: %s\n", e.msg);
        if (len >= 0) {
            uint8_t *out = xmalloc("tokenize", len ? (size_t)len : 1);
            if (bpe_decode(b, ids, (size_t)k, out, (size_t)len, &e) != len)
                die("decode length changed");
            fwrite(out, 1, (size_t)len, stdout);
            xfree(out);
            if (a.stats)
                fprintf(stderr, "tokenize: %lld ids -> %lld bytes\n", (long long)k, (long long)len);
        }
        status = len < 0 ? 2 : 0;
    } else {
        int64_t k = bpe_encode(b, input, n, a.allow_special, ids, n, &e);
        if (k < 0) die("bpe_encode: %s", e.msg);  // n ids always suffice
        double dt = timer_now() - t1;
        for (int64_t i = 0; i < k; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
        if (a.stats)
            fprintf(stderr,
                    "tokenize: %zu bytes -> %lld tokens in %.3f s (%.2f MB/s; vocabulary "
                    "of %d loaded in %.3f s)\n",
                    n, (long long)k, dt, dt > 0 ? (double)n / dt / 1e6 : 0.0, bpe_vocab_size(b),
                    load_s);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "error: tokenize: cannot write the output\n");
        status = 1;
    }
    xfree(ids);
    xfree(input);
    bpe_free(b);
    return status;
}
