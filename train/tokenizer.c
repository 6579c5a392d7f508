/* train/tokenizer.c — the run's tokenizer, char or bpe; see tokenizer.h.
   char ids: PAD 0, BOS 1, EOS 2, SEP 3, then charset[k] -> TOK_FIRST_CHAR + k. bpe ids are the
   BPE's; <|endoftext|> is BOS, EOS and PAD. Decoding an id outside the vocabulary writes '?', so a
   corrupt sequence is still printable. */
#include "train/tokenizer.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

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
    tok->kind = TOKENIZER_CHAR;
    tok->im_start = tok->im_end = -1;
    tok->bos = TOK_BOS, tok->eos = TOK_EOS, tok->pad = TOK_PAD, tok->sep = TOK_SEP;
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

int tokenizer_init_bpe(Tokenizer *tok, Bpe *b, ErrMsg *e) {
    memset(tok, 0, sizeof *tok);
    tok->im_start = tok->im_end = -1;
    for (int c = 0; c < 256; c++) tok->id_of[c] = -1;
    int32_t end = bpe_special_id(b, BPE_ENDOFTEXT);
    if (end < 0) {
        bpe_free(b);
        return err_set(e,
                       "tokenizer: the BPE vocabulary has no special token \"%s\" (GPT-2's "
                       "BOS/EOS/PAD), expected one marked special",
                       BPE_ENDOFTEXT);
    }
    tok->kind = TOKENIZER_BPE;
    tok->bpe = b;
    tok->bos = tok->eos = tok->pad = end;
    tok->sep = -1;
    return 0;
}

int tokenizer_set_chat(Tokenizer *tok, const char *name, const char *system, ErrMsg *e) {
    if (strcmp(name, "none") == 0) {
        if (system[0])
            return err_set(e,
                           "task.system_prompt: applies to task.chat_template \"chatml\" only, "
                           "expected \"\" with \"none\"");
        return 0;
    }
    if (strcmp(name, "chatml") != 0)
        return err_set(e, "task.chat_template: expected \"none\" or \"chatml\", got \"%s\"", name);
    if (tok->kind != TOKENIZER_BPE)
        return err_set(e,
                       "task.chat_template: \"chatml\" needs tokenizer.kind \"bpe\" (its turns "
                       "are special tokens), got a character tokenizer");
    int32_t start = bpe_special_id(tok->bpe, TOKENIZER_IM_START);
    int32_t end = bpe_special_id(tok->bpe, TOKENIZER_IM_END);
    if (start < 0 || end < 0)
        return err_set(e,
                       "task.chat_template: \"chatml\" needs the special tokens %s and %s in the "
                       "BPE vocabulary (added_tokens marked special), and it lacks %s",
                       TOKENIZER_IM_START, TOKENIZER_IM_END,
                       start < 0 && end < 0 ? "both"
                       : start < 0          ? TOKENIZER_IM_START
                                            : TOKENIZER_IM_END);
    size_t n = strlen(system);
    if (n >= sizeof tok->system)
        return err_set(e, "task.system_prompt: expected at most %zu bytes, got %zu",
                       sizeof tok->system - 1, n);
    tok->chat = TOKENIZER_CHAT_CHATML;
    tok->im_start = start;
    tok->im_end = end;
    tok->eos = end;  // the answer's turn ends with <|im_end|>
    memcpy(tok->system, system, n + 1);
    return 0;
}

void tokenizer_free(Tokenizer *tok) {
    if (tok->bpe) bpe_free(tok->bpe);
    tok->bpe = NULL;
}

int tokenizer_vocab_size(const Tokenizer *tok) {
    return tok->kind == TOKENIZER_BPE ? (int)bpe_vocab_size(tok->bpe)
                                      : TOK_FIRST_CHAR + tok->n_chars;
}

int tokenizer_same(const Tokenizer *a, const Tokenizer *b) {
    if (a->kind != b->kind) return 0;
    if (a->kind == TOKENIZER_CHAR) return strcmp(a->charset, b->charset) == 0;
    BpeArrays x, y;
    bpe_arrays(a->bpe, &x);
    bpe_arrays(b->bpe, &y);
    if (x.n_tokens != y.n_tokens || x.n_merges != y.n_merges || x.n_specials != y.n_specials ||
        x.split_digits != y.split_digits)
        return 0;
    size_t nb = (size_t)x.token_offsets[x.n_tokens];
    return nb == (size_t)y.token_offsets[y.n_tokens] &&
           memcmp(x.token_offsets, y.token_offsets, (size_t)(x.n_tokens + 1) * sizeof(int64_t)) ==
               0 &&
           memcmp(x.token_bytes, y.token_bytes, nb) == 0 &&
           memcmp(x.merges, y.merges, (size_t)x.n_merges * 2 * sizeof(int32_t)) == 0 &&
           memcmp(x.special_ids, y.special_ids, (size_t)x.n_specials * sizeof(int32_t)) == 0;
}

// bpe: encodes into a scratch of one id per byte (never more), then copies what fits.
static int encode_bpe(const Tokenizer *tok, const char *text, int32_t *ids, int max_ids,
                      ErrMsg *e) {
    size_t n = strlen(text);
    int32_t *tmp = xmalloc("tokenizer.encode", (n ? n : 1) * sizeof(int32_t));
    ErrMsg inner;
    int64_t k = bpe_encode(tok->bpe, (const uint8_t *)text, n, 0, tmp, n, &inner);
    CHECKF(k >= 0, "tokenizer: bpe_encode with room for every byte failed: %s", inner.msg);
    if (k > max_ids) {
        xfree(tmp);
        return err_set(e, "text: %lld tokens is longer than max_ids (%d)", (long long)k,
                       max_ids < 0 ? 0 : max_ids);
    }
    if (k) memcpy(ids, tmp, (size_t)k * sizeof(int32_t));
    xfree(tmp);
    return (int)k;
}

int tokenizer_count(const Tokenizer *tok, const char *text) {
    if (tok->kind == TOKENIZER_CHAR) return (int)strlen(text);
    size_t n = strlen(text);
    int32_t *tmp = xmalloc("tokenizer.count", (n ? n : 1) * sizeof(int32_t));
    ErrMsg inner;
    int64_t k = bpe_encode(tok->bpe, (const uint8_t *)text, n, 0, tmp, n, &inner);
    CHECKF(k >= 0, "tokenizer: bpe_encode with room for every byte failed: %s", inner.msg);
    xfree(tmp);
    return (int)k;
}

int tokenizer_encode(const Tokenizer *tok, const char *text, int32_t *ids, int max_ids, ErrMsg *e) {
    if (tok->kind == TOKENIZER_BPE) return encode_bpe(tok, text, ids, max_ids, e);
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

// ---- the prompt turn ----

// One piece of a turn: a special id (text NULL) or head + tail encoded as one text.
typedef struct {
    int32_t id;
    const char *head, *tail;
} TurnPart;

// The parts of text's turn (at most 9); returns their number.
static int turn_parts(const Tokenizer *tok, const char *text, TurnPart *p) {
    int k = 0;
    if (tok->chat == TOKENIZER_CHAT_NONE) {
        p[k++] = (TurnPart){.id = tok->bos};
        p[k++] = (TurnPart){.id = -1, .head = "", .tail = text};
        return k;
    }
    if (tok->system[0]) {
        p[k++] = (TurnPart){.id = tok->im_start};
        p[k++] = (TurnPart){.id = -1, .head = "system\n", .tail = tok->system};
        p[k++] = (TurnPart){.id = tok->im_end};
        p[k++] = (TurnPart){.id = -1, .head = "\n", .tail = ""};
    }
    p[k++] = (TurnPart){.id = tok->im_start};
    p[k++] = (TurnPart){.id = -1, .head = "user\n", .tail = text};
    p[k++] = (TurnPart){.id = tok->im_end};
    p[k++] = (TurnPart){.id = -1, .head = "\n", .tail = ""};
    p[k++] = (TurnPart){.id = tok->im_start};
    p[k++] = (TurnPart){.id = -1, .head = "assistant\n", .tail = ""};
    return k;
}

// bpe: every part's ids into a new array (*ids, caller xfree()s); returns their number.
static int turn_ids_bpe(const Tokenizer *tok, const char *text, int32_t **ids) {
    TurnPart p[10];
    int np = turn_parts(tok, text, p);
    size_t cap = 0;
    for (int i = 0; i < np; i++) cap += p[i].id >= 0 ? 1 : strlen(p[i].head) + strlen(p[i].tail);
    int32_t *out = xmalloc("tokenizer.turn", (cap ? cap : 1) * sizeof(int32_t));
    size_t n = 0;
    for (int i = 0; i < np; i++) {
        if (p[i].id >= 0) {
            out[n++] = p[i].id;
            continue;
        }
        size_t nh = strlen(p[i].head), nt = strlen(p[i].tail);
        uint8_t *joined = xmalloc("tokenizer.turn", nh + nt + 1);
        memcpy(joined, p[i].head, nh);
        memcpy(joined + nh, p[i].tail, nt);
        ErrMsg inner;
        int64_t k = bpe_encode(tok->bpe, joined, nh + nt, 0, out + n, cap - n, &inner);
        CHECKF(k >= 0, "tokenizer: bpe_encode with room for every byte failed: %s", inner.msg);
        xfree(joined);
        n += (size_t)k;
    }
    *ids = out;
    return (int)n;
}

int tokenizer_encode_turn(const Tokenizer *tok, const char *text, int32_t *ids, int max_ids,
                          ErrMsg *e) {
    if (tok->kind == TOKENIZER_CHAR) {
        if (max_ids < 1)
            return err_set(e, "text: %zu characters and BOS is longer than max_ids (%d)",
                           strlen(text), max_ids < 0 ? 0 : max_ids);
        int n = tokenizer_encode(tok, text, ids + 1, max_ids - 1, e);
        if (n < 0) return -1;
        ids[0] = tok->bos;
        return n + 1;
    }
    int32_t *tmp;
    int n = turn_ids_bpe(tok, text, &tmp);
    if (n > max_ids) {
        xfree(tmp);
        return err_set(e, "text: %d tokens is longer than max_ids (%d)", n,
                       max_ids < 0 ? 0 : max_ids);
    }
    memcpy(ids, tmp, (size_t)n * sizeof(int32_t));
    xfree(tmp);
    return n;
}

int tokenizer_count_turn(const Tokenizer *tok, const char *text) {
    if (tok->kind == TOKENIZER_CHAR) return 1 + (int)strlen(text);
    int32_t *tmp;
    int n = turn_ids_bpe(tok, text, &tmp);
    xfree(tmp);
    return n;
}

static int decode_bpe(const Tokenizer *tok, const int32_t *ids, int n, char *out, int out_size) {
    int len = 0, vocab = tokenizer_vocab_size(tok);
    for (int i = 0; i < n && len < out_size - 1; i++) {
        if (ids[i] == tok->eos) break;
        size_t nb = 0;
        const uint8_t *b =
            ids[i] >= 0 && ids[i] < vocab ? bpe_token_bytes(tok->bpe, ids[i], &nb) : NULL;
        if (!b) {
            out[len++] = '?';
            continue;
        }
        size_t room = (size_t)(out_size - 1 - len);
        if (nb > room) nb = room;
        memcpy(out + len, b, nb);
        len += (int)nb;
    }
    out[len] = '\0';
    return len;
}

int tokenizer_decode(const Tokenizer *tok, const int32_t *ids, int n, char *out, int out_size) {
    if (out_size <= 0) return 0;
    if (tok->kind == TOKENIZER_BPE) return decode_bpe(tok, ids, n, out, out_size);
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

// bpe: the token's bytes, printable ASCII as is, others as \xNN, "..." when cut.
static const char *token_text_bpe(const Tokenizer *tok, int32_t id, char *buf) {
    size_t nb = 0;
    const uint8_t *b =
        id >= 0 && id < tokenizer_vocab_size(tok) ? bpe_token_bytes(tok->bpe, id, &nb) : NULL;
    if (!b) return "<?>";
    int len = 0;
    for (size_t i = 0; i < nb; i++) {
        if (len + 8 > TOKENIZER_TOKEN_TEXT_MAX) {
            memcpy(buf + len, "...", 4);
            return buf;
        }
        if (b[i] >= 0x20 && b[i] <= 0x7e && b[i] != '\\')
            buf[len++] = (char)b[i];
        else
            len += snprintf(buf + len, 5, "\\x%02x", b[i]);
    }
    buf[len] = '\0';
    return buf;
}

const char *tokenizer_token_text(const Tokenizer *tok, int32_t id,
                                 char buf[TOKENIZER_TOKEN_TEXT_MAX]) {
    if (tok->kind == TOKENIZER_BPE) return token_text_bpe(tok, id, buf);
    switch (id) {
        case TOK_PAD: return "<pad>";
        case TOK_BOS: return "<bos>";
        case TOK_EOS: return "<eos>";
        case TOK_SEP: return "<sep>";
        default: break;
    }
    if (id < TOK_FIRST_CHAR || id >= tokenizer_vocab_size(tok)) return "<?>";
    buf[0] = tok->charset[id - TOK_FIRST_CHAR];
    buf[1] = '\0';
    return buf;
}

int32_t tokenizer_byte_id(const Tokenizer *tok, unsigned char c) {
    if (tok->kind == TOKENIZER_CHAR) return tok->id_of[c];
    int32_t id;
    ErrMsg inner;
    uint8_t byte = c;
    // a lone byte is one piece of one byte, so it encodes to its single-byte token
    int64_t k = bpe_encode(tok->bpe, &byte, 1, 0, &id, 1, &inner);
    return k == 1 ? id : -1;
}

int tokenizer_digit0(const Tokenizer *tok) {
    if (tok->kind == TOKENIZER_BPE) return -1;
    const char *at = strstr(tok->charset, "0123456789");
    return at ? TOK_FIRST_CHAR + (int)(at - tok->charset) : -1;
}
