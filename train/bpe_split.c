/* train/bpe_split.c — pre-tokenization of the GPT-2 byte-level BPE: the text cut into pieces
   that merge independently (train/bpe.c encodes each).

   GPT-2's pattern is
       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
   Regex engines disagree on what \s means outside ASCII: ECMAScript (the JavaScript encoders
   concord is checked against, tests/bpe/) counts U+FEFF and not U+0085; PCRE2 with PCRE2_UCP
   counts U+0085 and U+180E and not U+FEFF. So \s is spelled out below as ECMAScript's set, and
   concord splits every valid text exactly as those encoders do. \p{L} and \p{N} come from
   PCRE2's Unicode tables (Unicode 14 in Debian 12's PCRE2 10.42): a letter or digit assigned in a
   later Unicode version counts as "other" here.

   Digits. A tokenizer may split digits out first (Hugging Face's Digits pre-tokenizer in a
   Sequence before ByteLevel, as SmolLM2's tokenizer.json does): every digit, or every run of
   digits, is a piece of its own, and GPT-2's pattern runs on the text between digits alone (so
   "abc 12 x" is "abc", " ", "1", "2", " x"). See DIGITS_INDIVIDUAL_PATTERN for what a digit is.

   Invalid UTF-8. The text is cut into maximal well-formed stretches and maximal runs of bytes
   that belong to no well-formed character (checked here, Unicode's definition: no overlong forms,
   no surrogates, nothing above U+10FFFF). PCRE2 runs on each stretch alone with
   PCRE2_NO_UTF_CHECK; each invalid run is one piece. A stretch splits exactly as it would as a
   whole text, because no part of the pattern can match across an invalid byte (the same result as
   PCRE2_MATCH_INVALID_UTF on the whole text); this is what lets tests/bpe check invalid lines
   against string-only encoders stretch by stretch. */
#include "train/bpe.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "train/bpe_impl.h"
#include "util/alloc.h"

// ---------------------------------------------------------------------------------------------
// UTF-8

// Length (1..4) of the well-formed UTF-8 character starting at s, or 0 when none starts there.
static size_t utf8_char_len(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c == 0xE0)
        len = 3, lo = 0xA0;  // no overlong forms
    else if (c == 0xED)
        len = 3, hi = 0x9F;  // no surrogates
    else if (c >= 0xE1 && c <= 0xEF)
        len = 3;
    else if (c == 0xF0)
        len = 4, lo = 0x90;  // no overlong forms
    else if (c == 0xF4)
        len = 4, hi = 0x8F;  // nothing above U+10FFFF
    else if (c >= 0xF1 && c <= 0xF3)
        len = 4;
    else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

// End of the well-formed stretch starting at s[0] (0 when s[0] starts an invalid run).
static size_t utf8_valid_prefix(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = utf8_char_len(s + i, n - i);
        if (len == 0) break;
        i += len;
    }
    return i;
}

// End of the invalid run starting at s[0].
static size_t utf8_invalid_prefix(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n && utf8_char_len(s + i, n - i) == 0) i++;
    return i;
}

// ---------------------------------------------------------------------------------------------
// pre-tokenization

// ECMAScript's \s: see the file comment.
#define WS                                                                               \
    "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}" \
    "\\x{205F}\\x{3000}\\x{FEFF}"
static const char GPT2_PATTERN[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS
                                   "\\p{L}\\p{N}]+|[" WS "]+(?![^" WS "])|[" WS "]+";

// Digit pre-splitting (Hugging Face's Digits pre-tokenizer, run before the GPT-2 pattern): a
// digit is what Rust's char::is_numeric accepts, the general categories Nd, Nl and No, which is
// PCRE2's \p{N} (so '7', '\u0663' and '\u00B2' all count; Unicode versions may differ for
// characters assigned after Unicode 14). Group 1 is set when the piece is digits.
static const char DIGITS_INDIVIDUAL_PATTERN[] = "(\\p{N})|\\P{N}+";
static const char DIGITS_RUNS_PATTERN[] = "(\\p{N}+)|\\P{N}+";

struct BpeSplitter {
    pcre2_code *code;
    pcre2_match_data *match;
    BpeDigits digits;        // BPE_DIGITS_NONE: GPT-2's pattern alone
    pcre2_code *digit_code;  // (digits != NONE) one of the DIGITS_*_PATTERNs
    pcre2_match_data *digit_match;
};

// Compiles a pre-tokenization pattern (UTF, Unicode properties, anchored: every piece starts
// where the last one ended, and each pattern here matches any character).
static int compile_pattern(const char *pattern, pcre2_code **out, ErrMsg *e) {
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                      PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        return err_set(e,
                       "bpe: PCRE2 cannot compile the pre-tokenization pattern at offset %zu: %s",
                       (size_t)erroff, (const char *)msg);
    }
    // JIT is a speed-up only: without it (PCRE2 built without JIT) matching is the same.
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    *out = code;
    return 0;
}

int bpe_splitter_new(BpeSplitter **out, ErrMsg *e) {
    *out = NULL;
    pcre2_code *code;
    if (compile_pattern(GPT2_PATTERN, &code, e) != 0) return -1;
    BpeSplitter *s = xcalloc("bpe", 1, sizeof *s);
    s->code = code;
    s->match = pcre2_match_data_create_from_pattern(code, NULL);
    if (!s->match) die("bpe: out of memory creating PCRE2 match data");
    *out = s;
    return 0;
}

int bpe_splitter_set_digits(BpeSplitter *s, BpeDigits digits, ErrMsg *e) {
    if (digits != BPE_DIGITS_NONE && digits != BPE_DIGITS_INDIVIDUAL && digits != BPE_DIGITS_RUNS)
        return err_set(e,
                       "bpe: digit splitting %d: expected 0 (none), 1 (each digit) or 2 (runs "
                       "of digits)",
                       (int)digits);
    pcre2_match_data_free(s->digit_match);
    pcre2_code_free(s->digit_code);
    s->digit_match = NULL;
    s->digit_code = NULL;
    s->digits = BPE_DIGITS_NONE;
    if (digits == BPE_DIGITS_NONE) return 0;
    const char *pattern =
        digits == BPE_DIGITS_INDIVIDUAL ? DIGITS_INDIVIDUAL_PATTERN : DIGITS_RUNS_PATTERN;
    if (compile_pattern(pattern, &s->digit_code, e) != 0) return -1;
    s->digit_match = pcre2_match_data_create_from_pattern(s->digit_code, NULL);
    if (!s->digit_match) die("bpe: out of memory creating PCRE2 match data");
    s->digits = digits;
    return 0;
}

void bpe_splitter_free(BpeSplitter *s) {
    if (!s) return;
    pcre2_match_data_free(s->match);
    pcre2_code_free(s->code);
    pcre2_match_data_free(s->digit_match);
    pcre2_code_free(s->digit_code);
    xfree(s);
}

// Length of the piece of `code` at the start of a valid stretch text[0..n) (n > 0), or -1 with
// e. *group1 (when given) is set to whether capture group 1 took part in the match.
static int64_t split_one(pcre2_code *code, pcre2_match_data *match, const uint8_t *text, size_t n,
                         int *group1, ErrMsg *e) {
    int rc = pcre2_match(code, (PCRE2_SPTR)text, n, 0, PCRE2_NO_UTF_CHECK, match, NULL);
    if (group1) *group1 = rc >= 2;
    if (rc > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match);
        if (ov[0] == 0 && ov[1] > 0 && ov[1] <= n) return (int64_t)ov[1];
    }
    if (rc == PCRE2_ERROR_NOMATCH || rc > 0) {
        // Cannot happen (every character is a letter, a number, whitespace or other); keep the
        // character as a piece of its own rather than lose it.
        size_t len = utf8_char_len(text, n);
        return (int64_t)(len ? len : 1);
    }
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    return err_set(e, "bpe: PCRE2 match failed: %s", (const char *)msg);
}

// Calls piece(ctx, start, len) for every piece of text[0..n) in order; stops at the first error.

// GPT-2's pattern over a valid stretch text[0..n).
static int split_gpt2(BpeSplitter *s, const uint8_t *text, size_t n, BpePieceFn piece, void *ctx,
                      ErrMsg *e) {
    for (size_t pos = 0; pos < n;) {
        int64_t len = split_one(s->code, s->match, text + pos, n - pos, NULL, e);
        if (len < 0) return -1;
        if (piece(ctx, text + pos, (size_t)len, e) != 0) return -1;
        pos += (size_t)len;
    }
    return 0;
}

// A valid stretch: with digit splitting, digits (one each, or runs) are pieces of their own and
// the text between them goes through GPT-2's pattern alone, as in Hugging Face's Sequence of
// Digits then ByteLevel; without, GPT-2's pattern over all of it.
static int split_valid(BpeSplitter *s, const uint8_t *text, size_t n, BpePieceFn piece, void *ctx,
                       ErrMsg *e) {
    if (s->digits == BPE_DIGITS_NONE) return split_gpt2(s, text, n, piece, ctx, e);
    for (size_t pos = 0; pos < n;) {
        int digits;
        int64_t len = split_one(s->digit_code, s->digit_match, text + pos, n - pos, &digits, e);
        if (len < 0) return -1;
        int rc = digits ? piece(ctx, text + pos, (size_t)len, e)
                        : split_gpt2(s, text + pos, (size_t)len, piece, ctx, e);
        if (rc != 0) return -1;
        pos += (size_t)len;
    }
    return 0;
}

int bpe_split_text(BpeSplitter *s, const uint8_t *text, size_t n, BpePieceFn piece, void *ctx,
                   ErrMsg *e) {
    size_t pos = 0;
    while (pos < n) {
        size_t valid = utf8_valid_prefix(text + pos, n - pos);
        if (valid > 0 && split_valid(s, text + pos, valid, piece, ctx, e) != 0) return -1;
        pos += valid;
        if (pos < n) {
            size_t bad = utf8_invalid_prefix(text + pos, n - pos);
            if (piece(ctx, text + pos, bad, e) != 0) return -1;
            pos += bad;
        }
    }
    return 0;
}

typedef struct {
    BpeSpan *spans;
    size_t n, max;
    const uint8_t *base;
} SpanSink;

static int span_piece(void *ctx, const uint8_t *piece, size_t len, ErrMsg *e) {
    SpanSink *k = ctx;
    if (k->n == k->max) return err_set(e, "bpe_split: more than max_spans (%zu) pieces", k->max);
    k->spans[k->n++] = (BpeSpan){.start = (size_t)(piece - k->base), .len = len};
    return 0;
}

int64_t bpe_split(BpeSplitter *s, const uint8_t *text, size_t n, BpeSpan *spans, size_t max_spans,
                  ErrMsg *e) {
    SpanSink k = {.spans = spans, .max = max_spans, .base = text};
    if (bpe_split_text(s, text, n, span_piece, &k, e) != 0) return -1;
    return (int64_t)k.n;
}

BpeDigits bpe_splitter_digits(const BpeSplitter *s) { return s->digits; }
