/* train/tokenizer.c — character tokenizer; see tokenizer.h.
   Ids: PAD 0, BOS 1, EOS 2, SEP 3, then charset[k] -> TOK_FIRST_CHAR + k. Decoding an id outside
   the vocabulary writes '?', so a corrupt sequence is still printable. */
#include "train/tokenizer.h"

#include <stdio.h>
#include <string.h>

static int is_printable(unsigned char c) { return c >= 0x20 && c <= 0x7e; }

// "'x'" for a printable character, "byte 0x09" otherwise (for messages).
static const char *describe_char(char buf[16], unsigned char c) {
    if (is_printable(c))
        buf[0] = '\'', buf[1] = (char)c, buf[2] = '\'', buf[3] = '\0';
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

int tokenizer_init(Tokenizer *tok, const char *charset, ErrMsg *e) {
    memset(tok, 0, sizeof *tok);
    for (int b = 0; b < 256; b++) tok->id_of[b] = -1;
    if (!charset || !charset[0])
        return err_set(e,
                       "tokenizer charset: expected at least one character, got an empty string");
    size_t len = strlen(charset);
    if (len > TOKENIZER_MAX_CHARS)
        return err_set(e, "tokenizer charset: expected at most %d characters, got %zu",
                       TOKENIZER_MAX_CHARS, len);
    char what[16];
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)charset[k];
        if (!is_printable(c)) {
            int pos = (int)k + 1;
            memset(tok->id_of, 0xff, sizeof tok->id_of);
            return err_set(e,
                           "tokenizer charset: %s at position %d is not printable ASCII "
                           "(expected 0x20..0x7e)",
                           describe_char(what, c), pos);
        }
        if (tok->id_of[c] >= 0) {
            int pos = (int)k + 1, first = tok->id_of[c] - TOK_FIRST_CHAR + 1;
            memset(tok->id_of, 0xff, sizeof tok->id_of);
            return err_set(e,
                           "tokenizer charset: %s at position %d duplicates position %d "
                           "(characters must be distinct)",
                           describe_char(what, c), pos, first);
        }
        tok->id_of[c] = (int16_t)(TOK_FIRST_CHAR + k);
    }
    memcpy(tok->charset, charset, len + 1);
    tok->n_chars = (int)len;
    return 0;
}

int tokenizer_vocab_size(const Tokenizer *tok) { return TOK_FIRST_CHAR + tok->n_chars; }

int tokenizer_encode(const Tokenizer *tok, const char *text, int32_t *ids, int max_ids, ErrMsg *e) {
    size_t n = 0;
    char what[16];
    // Unknown characters are reported before length, wherever they are.
    for (const unsigned char *s = (const unsigned char *)text; *s; s++, n++) {
        int id = tok->id_of[*s];
        if (id < 0)
            return err_set(e, "text: %s at column %zu is not in the tokenizer charset \"%s\"",
                           describe_char(what, *s), n + 1, tok->charset);
        if ((long long)n < max_ids) ids[n] = id;
    }
    if ((long long)n > max_ids)
        return err_set(e, "text: %zu characters is longer than max_ids (%d)", n,
                       max_ids < 0 ? 0 : max_ids);
    return (int)n;
}

int tokenizer_decode(const Tokenizer *tok, const int32_t *ids, int n, char *out, int out_size) {
    if (out_size <= 0) return 0;
    int len = 0, vocab = tokenizer_vocab_size(tok);
    for (int i = 0; i < n && len < out_size - 1; i++) {
        int32_t id = ids[i];
        if (id == TOK_EOS) break;
        if (id == TOK_PAD || id == TOK_BOS) continue;
        if (id == TOK_SEP)
            out[len++] = '|';
        else if (id >= TOK_FIRST_CHAR && id < vocab)
            out[len++] = tok->charset[id - TOK_FIRST_CHAR];
        else
            out[len++] = '?';
    }
    out[len] = '\0';
    return len;
}

const char *tokenizer_token_text(const Tokenizer *tok, int32_t id, char buf[8]) {
    switch (id) {
        case TOK_PAD:
            return "<pad>";
        case TOK_BOS:
            return "<bos>";
        case TOK_EOS:
            return "<eos>";
        case TOK_SEP:
            return "<sep>";
        default:
            break;
    }
    if (id < TOK_FIRST_CHAR || id >= tokenizer_vocab_size(tok)) return "<?>";
    buf[0] = tok->charset[id - TOK_FIRST_CHAR];
    buf[1] = '\0';
    return buf;
}

int tokenizer_digit0(const Tokenizer *tok) {
    const char *at = strstr(tok->charset, "0123456789");
    return at ? TOK_FIRST_CHAR + (int)(at - tok->charset) : -1;
}
