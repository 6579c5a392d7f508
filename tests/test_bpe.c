/* tests/test_bpe.c — the BPE tokenizer without GPT-2's files: the byte map, pre-tokenization of
   hand-picked strings, merges on a tiny vocabulary, special tokens, round trips, the flat arrays,
   and every loader's refusals (each bad file gives its expected message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "train/bpe.h"

// ---------------------------------------------------------------------------------------------
// byte map

static void test_byte_map(void) {
    CHECK_EQ_I64(bpe_byte_to_unicode('!'), '!');
    CHECK_EQ_I64(bpe_byte_to_unicode('~'), '~');
    CHECK_EQ_I64(bpe_byte_to_unicode(0xE9), 0xE9);   // é stays
    CHECK_EQ_I64(bpe_byte_to_unicode(0x00), 0x100);  // Ā
    CHECK_EQ_I64(bpe_byte_to_unicode('\n'), 0x10A);  // Ċ
    CHECK_EQ_I64(bpe_byte_to_unicode(' '), 0x120);   // Ġ
    CHECK_EQ_I64(bpe_byte_to_unicode(0x7F), 0x121);
    CHECK_EQ_I64(bpe_byte_to_unicode(0xA0), 0x142);
    CHECK_EQ_I64(bpe_byte_to_unicode(0xAD), 0x143);  // the last of the 68
    int seen[0x144] = {0}, mapped_to_self = 0, ok = 1;
    for (int b = 0; b < 256; b++) {
        uint32_t cp = bpe_byte_to_unicode((uint8_t)b);
        ok &= cp < 0x144 && !seen[cp];
        if (cp < 0x144) seen[cp] = 1;
        ok &= bpe_unicode_to_byte(cp) == b;
        mapped_to_self += cp == (uint32_t)b;
    }
    CHECK_TRUE(ok);
    CHECK_EQ_I64(mapped_to_self, 188);
    CHECK_EQ_I64(bpe_unicode_to_byte(' '), -1);
    CHECK_EQ_I64(bpe_unicode_to_byte(0xAD), -1);
    CHECK_EQ_I64(bpe_unicode_to_byte(0x144), -1);
    CHECK_EQ_I64(bpe_unicode_to_byte(0x4E00), -1);
}

// ---------------------------------------------------------------------------------------------
// pre-tokenization

static BpeSplitter *splitter;

// Splits text and checks the pieces against want, pieces separated by '|'.
static void check_split(const char *text, const char *want) {
    size_t n = strlen(text);
    BpeSpan spans[128];
    ErrMsg e;
    int64_t k = bpe_split(splitter, (const uint8_t *)text, n, spans, 128, &e);
    char got[1024];
    size_t o = 0;
    for (int64_t i = 0; i < k && o + spans[i].len + 2 < sizeof got; i++) {
        if (i) got[o++] = '|';
        memcpy(got + o, text + spans[i].start, spans[i].len);
        o += spans[i].len;
    }
    got[o] = '\0';
    CHECK_MSG(k >= 0 && strcmp(got, want) == 0, "split \"%s\": got \"%s\", want \"%s\"", text, got,
              want);
}

static void test_split(void) {
    ErrMsg e;
    CHECK_TRUE(bpe_splitter_new(&splitter, &e) == 0);
    check_split("Hello world", "Hello| world");
    check_split("", "");
    // contractions: the seven lower-case ones only
    check_split("I'm you're he's we've they'll I'd can't",
                "I|'m| you|'re| he|'s| we|'ve| they|'ll| I|'d| can|'t");
    check_split("DON'T", "DON|'|T");
    check_split("it's'", "it|'s|'");
    check_split("'sand", "'s|and");
    // numbers: runs of digits, split from letters and punctuation
    check_split("abc123 4567 3.14", "abc|123| 4567| 3|.|14");
    check_split("x\xd9\xa3\xd9\xa4 \xc2\xbd",
                "x|\xd9\xa3\xd9\xa4| \xc2\xbd");  // Arabic-Indic digits, ½
    // whitespace runs: the last space goes with the next word; trailing runs stay whole
    check_split("a   b", "a|  | b");
    check_split("a\n\nb", "a|\n|\n|b");
    check_split("hi   ", "hi|   ");
    check_split("hi \n", "hi| \n");
    check_split("x\t\ty", "x|\t|\t|y");  // only a space joins the next word
    check_split("a \r\n  b", "a| \r\n | b");
    // punctuation
    check_split("Hello, world!!", "Hello|,| world|!!");
    check_split(" (x) ", " (|x|)| ");
    // accented letters, combining marks (not letters), CJK, emoji
    check_split("caf\xc3\xa9 na\xc3\xafve", "caf\xc3\xa9| na\xc3\xafve");
    check_split("e\xcc\x81t\xc3\xa9", "e|\xcc\x81|t\xc3\xa9");
    check_split("\xe4\xbd\xa0\xe5\xa5\xbd \xe4\xb8\x96\xe7\x95\x8c",
                "\xe4\xbd\xa0\xe5\xa5\xbd| \xe4\xb8\x96\xe7\x95\x8c");
    check_split("hi \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd!", "hi| \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd!");
    // Unicode whitespace as in ECMAScript: NBSP and U+FEFF are spaces, U+0085 is not
    check_split(
        "a\xc2\xa0"
        "b",
        "a|\xc2\xa0|b");
    check_split("x\xef\xbb\xbf!", "x|\xef\xbb\xbf|!");
    check_split("x\xc2\x85!", "x|\xc2\x85!");
    // invalid UTF-8: each run of invalid bytes is a piece; the text around splits as on its own
    check_split(
        "ab\xff"
        "cd",
        "ab|\xff|cd");
    check_split("a \xff", "a| |\xff");
    check_split("\xe2\x82", "\xe2\x82");
    check_split("\xc3\xa9\xc3", "\xc3\xa9|\xc3");
    check_split("x\xed\xa0\x80y", "x|\xed\xa0\x80|y");  // an encoded surrogate is invalid
    check_split("!\xc0\xaf!", "!|\xc0\xaf|!");          // an overlong '/' is invalid
    BpeSpan spans[4];
    CHECK_TRUE(bpe_split(splitter, (const uint8_t *)"a b c d e", 9, spans, 4, &e) < 0);
    CHECK_MSG(strstr(e.msg, "max_spans"), "message: %s", e.msg);
}

// Digit pre-splitting (Hugging Face's Digits before ByteLevel): digits are Unicode category N
// (Rust's char::is_numeric), each a piece (or each run), GPT-2's pattern on the text between.
static void test_split_digits(void) {
    ErrMsg e;
    CHECK_TRUE(bpe_splitter_set_digits(splitter, BPE_DIGITS_INDIVIDUAL, &e) == 0);
    check_split("abc 12345 x9", "abc| |1|2|3|4|5| x|9");
    check_split("3.14", "3|.|1|4");
    check_split("a  1", "a|  |1");  // the run before a digit ends its own stretch
    check_split("x\n\n1 y", "x|\n\n|1| y");
    check_split(
        "x\xc2\xb2"
        "3 \xd9\xa3"
        "4",
        "x|\xc2\xb2|3| |\xd9\xa3|4");  // U+00B2 No, U+0663 Nd
    check_split(
        "\xe2\x85\xab"
        "a\xc2\xbd",
        "\xe2\x85\xab|a|\xc2\xbd");  // U+216B Nl, U+00BD No
    check_split(
        "1\xff"
        "2",
        "1|\xff|2");  // invalid byte between
    CHECK_TRUE(bpe_splitter_set_digits(splitter, BPE_DIGITS_RUNS, &e) == 0);
    check_split("abc 12345 x9", "abc| |12345| x|9");
    check_split(
        "x\xc2\xb2"
        "3 y",
        "x|\xc2\xb2"
        "3| y");
    CHECK_TRUE(bpe_splitter_set_digits(splitter, (BpeDigits)5, &e) < 0 &&
               strstr(e.msg, "digit splitting 5"));
    CHECK_TRUE(bpe_splitter_set_digits(splitter, BPE_DIGITS_NONE, &e) == 0);
    check_split("abc 12345 x9", "abc| 12345| x|9");
}

// ---------------------------------------------------------------------------------------------
// a tiny vocabulary: ids 0..255 are the bytes, then "ab", "abc", "bb", "<|endoftext|>"

enum { ID_AB = 256, ID_ABC, ID_BB, ID_EOT, TINY_V };

typedef struct {
    uint8_t blob[512];
    int64_t off[TINY_V + 1];
    int32_t merges[6];
    int32_t special;
    BpeArrays a;
} Tiny;

static void tiny_init(Tiny *t) {
    static const char *const extra[] = {"ab", "abc", "bb", BPE_ENDOFTEXT};
    int64_t o = 0;
    for (int i = 0; i < 256; i++) {
        t->off[i] = o;
        t->blob[o++] = (uint8_t)i;
    }
    for (int i = 0; i < 4; i++) {
        t->off[256 + i] = o;
        memcpy(t->blob + o, extra[i], strlen(extra[i]));
        o += (int64_t)strlen(extra[i]);
    }
    t->off[TINY_V] = o;
    int32_t m[6] = {'a', 'b', ID_AB, 'c', 'b', 'b'};
    memcpy(t->merges, m, sizeof m);
    t->special = ID_EOT;
    t->a = (BpeArrays){.n_tokens = TINY_V,
                       .token_bytes = t->blob,
                       .token_offsets = t->off,
                       .n_merges = 3,
                       .merges = t->merges,
                       .n_specials = 1,
                       .special_ids = &t->special};
}

static Bpe *tiny_bpe(void) {
    Tiny t;
    tiny_init(&t);
    Bpe *b = NULL;
    ErrMsg e;
    CHECK_TRUE(bpe_from_arrays(&b, &t.a, &e) == 0);
    return b;
}

// Encodes text and compares with want[0..n).
static void check_encode(Bpe *b, const char *text, int special, const int32_t *want, int n) {
    int32_t ids[256];
    ErrMsg e;
    int64_t k = bpe_encode(b, (const uint8_t *)text, strlen(text), special, ids, 256, &e);
    int same = k == n && (n == 0 || memcmp(ids, want, (size_t)n * sizeof *ids) == 0);
    CHECK_MSG(same, "encode \"%s\": got %lld ids, first %d; want %d ids", text, (long long)k,
              k > 0 ? ids[0] : -1, n);
}

static void test_merges(void) {
    Bpe *b = tiny_bpe();
    CHECK_EQ_I64(bpe_vocab_size(b), TINY_V);
    CHECK_EQ_I64(bpe_special_id(b, BPE_ENDOFTEXT), ID_EOT);
    CHECK_EQ_I64(bpe_special_id(b, "ab"), -1);
    check_encode(b, "abc", 0, (int32_t[]){ID_ABC}, 1);
    check_encode(b, "abbc", 0, (int32_t[]){ID_AB, 'b', 'c'}, 3);  // (a b) ranks before (b b)
    check_encode(b, "bbb", 0, (int32_t[]){ID_BB, 'b'}, 2);        // leftmost first
    check_encode(b, "abab", 0, (int32_t[]){ID_AB, ID_AB}, 2);
    check_encode(b, "ab abc", 0, (int32_t[]){ID_AB, ' ', ID_ABC}, 3);  // pieces "ab", " abc"
    check_encode(b,
                 "ab\xff\xfe"
                 "abc",
                 0, (int32_t[]){ID_AB, 0xFF, 0xFE, ID_ABC}, 4);
    check_encode(b, "", 0, NULL, 0);
    // special tokens: ids only when allowed, ordinary text otherwise
    check_encode(b, "x<|endoftext|>ab", 1, (int32_t[]){'x', ID_EOT, ID_AB}, 3);
    check_encode(b, "<|endoftext|><|endoftext|>", 1, (int32_t[]){ID_EOT, ID_EOT}, 2);
    int32_t plain[] = {'x', '<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|', '>', ID_AB};
    check_encode(b, "x<|endoftext|>ab", 0, plain, 15);
    check_encode(b, "<|endoftext|", 1,
                 (int32_t[]){'<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|'}, 12);
    // a long piece goes through the heap: 3000 letters "ab" repeated -> 1500 "ab" tokens
    size_t n = 3000;
    uint8_t *text = malloc(n);
    int32_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) text[i] = i % 2 ? 'b' : 'a';
    ErrMsg e;
    int64_t k = bpe_encode(b, text, n, 0, ids, n, &e);
    int all_ab = k == 1500;
    for (int64_t i = 0; i < k; i++) all_ab &= ids[i] == ID_AB;
    CHECK_TRUE(all_ab);
    // max_ids too small: refused with a message, nothing past the buffer written
    ids[2] = -7;
    CHECK_TRUE(bpe_encode(b, (const uint8_t *)"a,b,", 4, 0, ids, 2, &e) < 0);
    CHECK_MSG(strstr(e.msg, "longer than max_ids (2)"), "message: %s", e.msg);
    CHECK_EQ_I64(ids[2], -7);
    CHECK_TRUE(bpe_encode(b, (const uint8_t *)"<|endoftext|>", 13, 1, ids, 0, &e) < 0);
    // decode: exact bytes, length measured with out_size 0, bad ids named
    int32_t some[] = {ID_ABC, ' ', ID_EOT, 0xFF};
    uint8_t out[32];
    CHECK_EQ_I64(bpe_decode(b, some, 4, NULL, 0, &e), 18);
    CHECK_EQ_I64(bpe_decode(b, some, 4, out, 5, &e), 18);  // truncated write, full length
    CHECK_TRUE(memcmp(out, "abc <", 5) == 0);
    CHECK_EQ_I64(bpe_decode(b, some, 4, out, sizeof out, &e), 18);
    CHECK_TRUE(memcmp(out, "abc <|endoftext|>\xff", 18) == 0);
    int32_t bad[] = {'a', TINY_V};
    CHECK_TRUE(bpe_decode(b, bad, 2, out, sizeof out, &e) < 0);
    CHECK_MSG(strstr(e.msg, "id 260 at position 1"), "message: %s", e.msg);
    size_t len = 0;
    CHECK_TRUE(bpe_token_bytes(b, ID_ABC, &len) && len == 3);
    CHECK_TRUE(bpe_token_bytes(b, -1, &len) == NULL);
    free(text);
    free(ids);
    bpe_free(b);
}

// decode(encode(x)) == x for random bytes, specials allowed or not.
static void test_round_trip(void) {
    Bpe *b = tiny_bpe();
    uint64_t s = 12345;
    uint8_t text[300], back[300];
    int32_t ids[300];
    int failures = 0;
    ErrMsg e;
    for (int t = 0; t < 20000; t++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (s >> 33) % 300;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            uint8_t r = (uint8_t)(s >> 56);
            text[i] = t % 2 ? r : (uint8_t)("ab c<|>\n\xc3\xa9\xff"[r % 12]);
        }
        int64_t k = bpe_encode(b, text, n, t % 3 == 0, ids, n, &e);
        int64_t m = k >= 0 ? bpe_decode(b, ids, (size_t)k, back, sizeof back, &e) : -1;
        failures += !(m == (int64_t)n && memcmp(back, text, n) == 0);
    }
    CHECK_EQ_I64(failures, 0);
    bpe_free(b);
}

// The flat arrays rebuild an identical tokenizer; bad arrays are refused with their reason.
static void test_arrays(void) {
    Bpe *b = tiny_bpe(), *c = NULL;
    BpeArrays a;
    bpe_arrays(b, &a);
    CHECK_EQ_I64(a.n_tokens, TINY_V);
    CHECK_EQ_I64(a.n_merges, 3);
    CHECK_EQ_I64(a.n_specials, 1);
    CHECK_EQ_I64(a.special_ids[0], ID_EOT);
    CHECK_EQ_I64(a.merges[2], ID_AB);
    CHECK_EQ_I64(a.token_offsets[ID_ABC + 1] - a.token_offsets[ID_ABC], 3);
    ErrMsg e;
    CHECK_TRUE(bpe_from_arrays(&c, &a, &e) == 0);
    const char *text = "abc abbc bbb <|endoftext|> \xff\xfe x";
    int32_t i1[64], i2[64];
    for (int special = 0; special < 2; special++) {
        int64_t k1 = bpe_encode(b, (const uint8_t *)text, strlen(text), special, i1, 64, &e);
        int64_t k2 = bpe_encode(c, (const uint8_t *)text, strlen(text), special, i2, 64, &e);
        CHECK_TRUE(k1 > 0 && k1 == k2 && memcmp(i1, i2, (size_t)k1 * sizeof *i1) == 0);
    }
    bpe_free(c);
    bpe_free(b);

    struct {
        const char *why, *expect;
    } cases[] = {
        {"zero merges", "no merges"},
        {"joined bytes not a token", "the joined token \"bc\" is not in the vocabulary"},
        {"repeated merge", "repeats merges[0]"},
        {"merge id out of range", "outside 0..259"},
        {"merge with a special", "uses a special token"},
        {"repeated token", "tokens 97 and 256 are both \"a\""},
        {"empty token", "token 257 is empty"},
        {"special out of range", "special token id 400"},
        {"too few tokens", "at least the 256 byte tokens"},
    };
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        Tiny t;
        tiny_init(&t);
        int32_t m2[8];
        memcpy(m2, t.merges, sizeof t.merges);
        t.a.merges = m2;
        switch (i) {
            case 0: t.a.n_merges = 0; break;
            case 1: m2[4] = 'b', m2[5] = 'c'; break;  // "bc" is no token
            case 2: m2[4] = 'a', m2[5] = 'b'; break;  // (a, b) twice
            case 3: m2[5] = 400; break;
            case 4: m2[4] = ID_EOT; break;
            case 5: t.off[ID_AB + 1] -= 1; break;  // token 256 = "a", token 257 = "babc"
            case 6: t.off[ID_ABC + 1] = t.off[ID_ABC]; break;
            case 7: t.special = 400; break;
            case 8: t.a.n_tokens = 200; break;
        }
        Bpe *bad = NULL;
        int rc = bpe_from_arrays(&bad, &t.a, &e);
        CHECK_MSG(rc < 0 && bad == NULL && strstr(e.msg, cases[i].expect), "%s: rc %d, message: %s",
                  cases[i].why, rc, rc < 0 ? e.msg : "(none)");
        bpe_free(bad);
    }
}

// Several specials, one the prefix of another: the longest wins where both start; each is found
// again after the others are used.
static void test_several_specials(void) {
    static const char *const extra[] = {"ab", "<|a|>", "<|b|>", "<|a|>x"};
    uint8_t blob[300];
    int64_t off[261];
    int64_t o = 0;
    for (int i = 0; i < 256; i++) off[i] = o, blob[o++] = (uint8_t)i;
    for (int i = 0; i < 4; i++) {
        off[256 + i] = o;
        memcpy(blob + o, extra[i], strlen(extra[i]));
        o += (int64_t)strlen(extra[i]);
    }
    off[260] = o;
    int32_t merges[2] = {'a', 'b'}, specials[3] = {257, 258, 259};
    BpeArrays a = {.n_tokens = 260,
                   .token_bytes = blob,
                   .token_offsets = off,
                   .n_merges = 1,
                   .merges = merges,
                   .n_specials = 3,
                   .special_ids = specials};
    Bpe *b = NULL;
    ErrMsg e;
    CHECK_TRUE(bpe_from_arrays(&b, &a, &e) == 0);
    if (!b) return;
    check_encode(b, "<|b|>ab<|a|>x<|a|>y<|b|>", 1, (int32_t[]){258, 256, 259, 257, 'y', 258}, 6);
    check_encode(b, "<|a|<|a|>>", 1, (int32_t[]){'<', '|', 'a', '|', 257, '>'}, 6);
    check_encode(b, "<|b|>", 0, (int32_t[]){'<', '|', 'b', '|', '>'}, 5);
    CHECK_EQ_I64(bpe_special_id(b, "<|a|>x"), 259);
    bpe_free(b);
}

// ---------------------------------------------------------------------------------------------
// loaders

static char dir[64];

static const char *path_in(const char *name) {
    static char buf[4][256];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_text(const char *name, const char *text) {
    FILE *f = fopen(path_in(name), "wb");
    fputs(text, f);
    fclose(f);
}

// The tiny vocabulary's byte tokens as JSON object members ("<byte-level char>": id, ...).
static void put_byte_tokens(FILE *f) {
    for (int b = 0; b < 256; b++) {
        uint32_t cp = bpe_byte_to_unicode((uint8_t)b);
        fputs(b ? ", \"" : "\"", f);
        if (cp == '"' || cp == '\\') fputc('\\', f);
        if (cp < 0x80)
            fputc((int)cp, f);
        else
            fprintf(f, "%c%c", 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F));
        fprintf(f, "\": %d", b);
    }
}

// encoder.json / vocab.json of the tiny vocabulary plus `extra` members.
static void write_vocab(const char *name, const char *extra) {
    FILE *f = fopen(path_in(name), "wb");
    fputs("{", f);
    put_byte_tokens(f);
    fprintf(f, ", \"ab\": 256, \"abc\": 257, \"bb\": 258, \"<|endoftext|>\": 259%s}\n", extra);
    fclose(f);
}

// tokenizer.json of the tiny vocabulary; pieces of it can be replaced.
static void write_tokenizer_json(const char *name, const char *type, const char *pre,
                                 const char *merges, const char *added) {
    FILE *f = fopen(path_in(name), "wb");
    fprintf(f,
            "{\"version\": \"1.0\", \"normalizer\": null, \"added_tokens\": %s,\n"
            " \"pre_tokenizer\": %s,\n \"model\": {\"type\": \"%s\", \"dropout\": null, "
            "\"continuing_subword_prefix\": \"\", \"vocab\": {",
            added, pre, type);
    put_byte_tokens(f);
    fprintf(f, ", \"ab\": 256, \"abc\": 257, \"bb\": 258},\n \"merges\": %s}}\n", merges);
    fclose(f);
}

static const char *const ADDED_EOT =
    "[{\"id\": 259, \"content\": \"<|endoftext|>\", \"special\": true}]";
static const char *const BYTE_LEVEL = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}";

// Loads spec and checks either success with the tiny vocabulary's ids or the expected message.
static void check_load(const char *what, const char *spec, const char *expect) {
    Bpe *b = NULL;
    ErrMsg e = {{0}};
    int rc = bpe_load(&b, spec, &e);
    if (!expect) {
        CHECK_MSG(rc == 0, "%s: %s", what, e.msg);
        if (rc == 0) {
            check_encode(b, "abbc <|endoftext|>", 1, (int32_t[]){ID_AB, 'b', 'c', ' ', ID_EOT}, 5);
            CHECK_EQ_I64(bpe_vocab_size(b), TINY_V);
        }
    } else {
        CHECK_MSG(rc < 0 && !b && strstr(e.msg, expect), "%s: rc %d, message \"%s\", want \"%s\"",
                  what, rc, rc < 0 ? e.msg : "", expect);
    }
    bpe_free(b);
}

static void test_loaders(void) {
    snprintf(dir, sizeof dir, "/tmp/test_bpe.XXXXXX");
    CHECK_TRUE(mkdtemp(dir) != NULL);
    char spec[600];
#define SPEC(a, b) (snprintf(spec, sizeof spec, "%s,%s", path_in(a), path_in(b)), spec)
    // (a) OpenAI encoder.json + vocab.bpe
    write_vocab("encoder.json", "");
    write_text("vocab.bpe", "#version: 0.2\na b\nab c\nb b\n");
    check_load("encoder.json + vocab.bpe", SPEC("encoder.json", "vocab.bpe"), NULL);
    check_load("a directory with OpenAI's files", dir, NULL);
    write_text("nohdr.bpe", "a b\nab c\nb b\n");
    check_load("no #version", SPEC("encoder.json", "nohdr.bpe"),
               "nohdr.bpe line 1: expected the header");
    write_text("nonl.bpe", "#version: 0.2\na b\nab c\nb b");
    check_load("no final newline", SPEC("encoder.json", "nonl.bpe"),
               "the last line has no newline");
    write_text("empty.bpe", "#version: 0.2\n");
    check_load("zero merges", SPEC("encoder.json", "empty.bpe"), "empty.bpe: no merges");
    write_text("unknown.bpe", "#version: 0.2\na b\nab qq\n");
    check_load("merge part not in the vocabulary", SPEC("encoder.json", "unknown.bpe"),
               "unknown.bpe line 3: merge \"ab qq\": \"qq\" is not in the vocabulary");
    write_text("joined.bpe", "#version: 0.2\na b\nb c\n");
    check_load(
        "merge result not in the vocabulary", SPEC("encoder.json", "joined.bpe"),
        "joined.bpe line 3: merge \"b\" \"c\": the joined token \"bc\" is not in the vocabulary");
    write_text("twospace.bpe", "#version: 0.2\na  b\n");
    check_load("malformed merge line", SPEC("encoder.json", "twospace.bpe"),
               "twospace.bpe line 2: expected a merge: two tokens separated by one space");
    write_text("repeat.bpe", "#version: 0.2\na b\nb b\na b\n");
    check_load("repeated merge", SPEC("encoder.json", "repeat.bpe"),
               "repeat.bpe line 4: merge \"a\" \"b\" repeats line 2");
    write_text("badchar.bpe", "#version: 0.2\na \xc5\x90\n");
    check_load("merge character outside the byte map", SPEC("encoder.json", "badchar.bpe"),
               "U+0150 is not one of GPT-2's byte-level characters");
    write_vocab("dup.json", ", \"zz\": 5");
    check_load("duplicate id", SPEC("dup.json", "vocab.bpe"), "both have id 5");
    write_vocab("gap.json", ", \"zz\": 300");
    check_load("id gap", SPEC("gap.json", "vocab.bpe"), "no token has id 260");
    write_vocab("frac.json", ", \"zz\": 1.5");
    check_load("non-integer id", SPEC("frac.json", "vocab.bpe"),
               "token \"zz\": expected a non-negative integer id, got 1.5");
    write_vocab("char.json", ", \"\xc5\x90\": 260");
    check_load("token character outside the byte map", SPEC("char.json", "vocab.bpe"),
               "(id 260): U+0150 is not one of GPT-2's byte-level characters");
    write_vocab("overlong.json", ", \"\xc1\xa1\": 260");  // 'a' spelled in two bytes
    check_load("overlong UTF-8 in a token", SPEC("overlong.json", "vocab.bpe"),
               "(id 260): byte 0xC1 is not valid UTF-8");
    write_vocab("same.json", ", \"\\u0120\": 260");  // "\u0120" is the byte ' ', already id 32
    check_load("repeated token", SPEC("same.json", "vocab.bpe"), "tokens 32 and 260 are both");
    write_text("broken.json", "{\"a\": 1,\n \"b\": }");
    check_load("invalid JSON", SPEC("broken.json", "vocab.bpe"),
               "broken.json: not valid JSON (line 2");
    write_text("array.json", "[1, 2]");
    check_load("vocabulary not an object", SPEC("array.json", "vocab.bpe"),
               "expected an object mapping each token to its id");
    write_text("short.json", "{\"a\": 0, \"b\": 1}");
    check_load("missing byte tokens", SPEC("short.json", "vocab.bpe"),
               "at least the 256 byte tokens");
    check_load("missing file", SPEC("nope.json", "vocab.bpe"), "nope.json: cannot open");
    check_load("bad spec", "a.json,", "expected VOCAB.json,MERGES");

    // (b) Hugging Face vocab.json + merges.txt: "#version" optional, CRLF accepted
    write_vocab("vocab.json", "");
    write_text("merges.txt", "a b\r\nab c\r\nb b");
    check_load("vocab.json + merges.txt", SPEC("vocab.json", "merges.txt"), NULL);
    write_text("zero.txt", "#version: 0.2\n");
    check_load("zero merges (merges.txt)", SPEC("vocab.json", "zero.txt"), "zero.txt: no merges");

    // (c) tokenizer.json: both merge styles, specials from added_tokens
    write_tokenizer_json("t1.json", "BPE", BYTE_LEVEL, "[\"a b\", \"ab c\", \"b b\"]", ADDED_EOT);
    check_load("tokenizer.json, \"a b\" merges", path_in("t1.json"), NULL);
    write_tokenizer_json("t2.json", "BPE", BYTE_LEVEL,
                         "[[\"a\", \"b\"], [\"ab\", \"c\"], [\"b\", \"b\"]]", ADDED_EOT);
    check_load("tokenizer.json, [\"a\", \"b\"] merges", path_in("t2.json"), NULL);
    write_tokenizer_json("t3.json", "WordPiece", BYTE_LEVEL, "[\"a b\"]", ADDED_EOT);
    check_load("model.type", path_in("t3.json"),
               "t3.json: model.type: expected \"BPE\", got the string \"WordPiece\"");
    write_tokenizer_json("t4.json", "BPE", "{\"type\": \"ByteLevel\", \"add_prefix_space\": true}",
                         "[\"a b\"]", ADDED_EOT);
    check_load("add_prefix_space", path_in("t4.json"), "pre_tokenizer.add_prefix_space");
    write_tokenizer_json("t5.json", "BPE", "{\"type\": \"Whitespace\"}", "[\"a b\"]", ADDED_EOT);
    check_load("pre_tokenizer", path_in("t5.json"),
               "pre_tokenizer: expected {\"type\": \"ByteLevel\"}");
    write_tokenizer_json("t6.json", "BPE", BYTE_LEVEL, "[]", ADDED_EOT);
    check_load("zero merges (tokenizer.json)", path_in("t6.json"),
               "t6.json: model.merges: no merges");
    write_tokenizer_json("t7.json", "BPE", BYTE_LEVEL, "[\"a b\", 7]", ADDED_EOT);
    check_load("bad merge item", path_in("t7.json"), "t7.json: model.merges[1]: expected \"a b\"");
    write_tokenizer_json("t8.json", "BPE", BYTE_LEVEL, "[\"a b\", \"b c\"]", ADDED_EOT);
    check_load("merge result (tokenizer.json)", path_in("t8.json"),
               "model.merges[1]: merge \"b\" \"c\": the joined token \"bc\"");
    write_tokenizer_json("t9.json", "BPE", BYTE_LEVEL, "[\"a b\"]",
                         "[{\"id\": 259, \"content\": \"<tool>\", \"special\": false}]");
    check_load("non-special added token", path_in("t9.json"),
               "concord supports only special added tokens");
    // Without added_tokens there is no special token, and "<|endoftext|>" is ordinary text.
    write_tokenizer_json("t10.json", "BPE", BYTE_LEVEL, "[\"a b\"]", "[]");
    Bpe *plain = NULL;
    ErrMsg e;
    CHECK_TRUE(bpe_load(&plain, path_in("t10.json"), &e) == 0);
    if (plain) {
        CHECK_EQ_I64(bpe_vocab_size(plain), ID_EOT);
        CHECK_EQ_I64(bpe_special_id(plain, BPE_ENDOFTEXT), -1);
        int32_t ids[32];
        CHECK_EQ_I64(bpe_encode(plain, (const uint8_t *)"<|endoftext|>", 13, 1, ids, 32, &e), 13);
    }
    bpe_free(plain);
    write_tokenizer_json("t11.json", "BPE", BYTE_LEVEL, "[\"a b\"]",
                         "[{\"id\": 262, \"content\": \"<|endoftext|>\", \"special\": true}]");
    check_load("special id leaves a gap", path_in("t11.json"), "no token has id 259");
    write_text("t12.json",
               "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, "
               "\"normalizer\": {\"type\": \"NFC\"}}");
    check_load("normalizer", path_in("t12.json"), "t12.json: normalizer: concord supports only");
    write_text("t13.json", "{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true}}");
    check_load("byte_fallback", path_in("t13.json"), "model.byte_fallback");
    write_text("t14.json", "{\"vocab\": {}}");
    check_load("not a tokenizer.json", path_in("t14.json"), "t14.json: model: expected an object");

    // directory look-up order: tokenizer.json first
    char sub[128];
    snprintf(sub, sizeof sub, "%s/tj", dir);
    mkdir(sub, 0700);
    rename(path_in("t2.json"), path_in("tj/tokenizer.json"));
    check_load("a directory with tokenizer.json", sub, NULL);
    snprintf(sub, sizeof sub, "%s/none", dir);
    mkdir(sub, 0700);
    check_load("an empty directory", sub, "no tokenizer files");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_TRUE(system(cmd) == 0);
#undef SPEC
}

int main(void) {
    test_byte_map();
    test_split();
    test_split_digits();
    test_merges();
    test_round_trip();
    test_arrays();
    test_several_specials();
    test_loaders();
    bpe_splitter_free(splitter);
    return check_report();
}
