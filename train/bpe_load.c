/* train/bpe_load.c — reading a BPE vocabulary from OpenAI's encoder.json + vocab.bpe, Hugging
   Face's vocab.json + merges.txt, or Hugging Face's tokenizer.json. Each loader turns its file into
   tokens (bytes, id) and merges (left id, right id), then builds through train/bpe_impl.h, so
   every form is validated the same way; messages name the file and the field or line.

   Token strings in these files are written in GPT-2's byte-to-unicode characters; special tokens
   are the exception: their text is stored as is ("<|endoftext|>"). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "train/bpe.h"
#include "train/bpe_impl.h"
#include "util/alloc.h"

// ---------------------------------------------------------------------------------------------
// small helpers

// Reads a whole file (NUL-terminated copy in *out, length in *len).
static int read_file(const char *path, char **out, size_t *len, ErrMsg *e) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc("bpe load", cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = xrealloc("bpe load", buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        xfree(buf);
        return err_set(e, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

// Decodes one UTF-8 character of s[0..n) into *cp; returns its length, 0 when malformed.
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || len > n) return 0;
    uint32_t v = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < least[len]) return 0;  // overlong: another spelling of a shorter character
    *cp = v;
    return len;
}

// Byte-level string -> bytes (out has room for n). Returns the byte count, or -1 with the first
// character outside GPT-2's alphabet in *bad_cp, or -2 with the first byte of malformed UTF-8.
static int64_t decode_token(const char *s, size_t n, uint8_t *out, uint32_t *bad_cp) {
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0xFFFD;
        size_t len = utf8_decode((const uint8_t *)s + i, n - i, &cp);
        int byte = len ? bpe_unicode_to_byte(cp) : -1;
        if (byte < 0) {
            *bad_cp = len ? cp : (uint8_t)s[i];
            return len ? -1 : -2;
        }
        out[k++] = (uint8_t)byte;
        i += len;
    }
    return (int64_t)k;
}

// Why decode_token refused a string (rc -1 or -2, bad from *bad_cp).
static const char *bad_char(int64_t rc, uint32_t bad, char *buf, size_t size) {
    if (rc == -2)
        snprintf(buf, size, "byte 0x%02X is not valid UTF-8", (unsigned)bad);
    else
        snprintf(buf, size, "U+%04X is not one of GPT-2's byte-level characters", (unsigned)bad);
    return buf;
}

// Describes a cJSON value for messages: its type and, for scalars, the value.
static const char *describe(const cJSON *v, char *buf, size_t size) {
    if (!v)
        snprintf(buf, size, "nothing");
    else if (cJSON_IsNumber(v))
        snprintf(buf, size, "%.17g", v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(buf, size, "the string \"%.60s\"", v->valuestring);
    else if (cJSON_IsBool(v))
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsNull(v))
        snprintf(buf, size, "null");
    else if (cJSON_IsArray(v))
        snprintf(buf, size, "an array");
    else
        snprintf(buf, size, "an object");
    return buf;
}

static int parse_json(const char *path, cJSON **root, ErrMsg *e) {
    char *text;
    size_t len;
    *root = NULL;
    if (read_file(path, &text, &len, e) != 0) return -1;
    cJSON *r = cJSON_ParseWithLength(text, len);
    if (!r) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        int line = 1;
        for (long i = 0; i < off; i++) line += text[i] == '\n';
        xfree(text);
        return err_set(e, "%s: not valid JSON (line %d, byte %ld)", path, line, off);
    }
    xfree(text);
    *root = r;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// token list: tokens as they come from a file, checked and put in id order

typedef struct {
    const char *file;  // for messages
    int32_t n, cap;
    int32_t *id;       // (cap)
    int64_t *start;    // (cap) into bytes
    int32_t *len;      // (cap)
    uint8_t *special;  // (cap)
    uint8_t *bytes;
    size_t nbytes, bytes_cap;
} TokenList;

static void list_add(TokenList *t, int32_t id, const uint8_t *bytes, size_t len, int special) {
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->id = xrealloc("bpe load", t->id, (size_t)t->cap * sizeof *t->id);
        t->start = xrealloc("bpe load", t->start, (size_t)t->cap * sizeof *t->start);
        t->len = xrealloc("bpe load", t->len, (size_t)t->cap * sizeof *t->len);
        t->special = xrealloc("bpe load", t->special, (size_t)t->cap);
    }
    if (t->nbytes + len > t->bytes_cap) {
        t->bytes_cap = t->bytes_cap ? 2 * t->bytes_cap : 1 << 16;
        while (t->nbytes + len > t->bytes_cap) t->bytes_cap *= 2;
        t->bytes = xrealloc("bpe load", t->bytes, t->bytes_cap);
    }
    memcpy(t->bytes + t->nbytes, bytes, len);
    t->id[t->n] = id;
    t->start[t->n] = (int64_t)t->nbytes;
    t->len[t->n] = (int32_t)len;
    t->special[t->n] = (uint8_t)special;
    t->n++;
    t->nbytes += len;
}

static void list_free(TokenList *t) {
    xfree(t->id);
    xfree(t->start);
    xfree(t->len);
    xfree(t->special);
    xfree(t->bytes);
}

// Index in t of the token with this id, or -1.
static int32_t list_find_id(const TokenList *t, int32_t id) {
    for (int32_t i = 0; i < t->n; i++)
        if (t->id[i] == id) return i;
    return -1;
}

// Checks that the ids run 0..V-1 once each, then builds the vocabulary.
static Bpe *list_build(const TokenList *t, const char *what, ErrMsg *e) {
    int32_t V = t->n;
    int32_t *at = xmalloc("bpe load", (size_t)(V ? V : 1) * sizeof *at);  // id -> list index
    for (int32_t i = 0; i < V; i++) at[i] = -1;
    Bpe *b = NULL;
    char q1[96], q2[96];
    for (int32_t i = 0; i < V; i++) {
        int32_t id = t->id[i];
        if (id >= V) {
            // Some id below V is then missing: name the first one.
            int32_t gap = 0;
            for (int32_t k = 0; k < V; k++) at[k] = -1;
            for (int32_t k = 0; k < V; k++)
                if (t->id[k] < V) at[t->id[k]] = k;
            while (gap < V && at[gap] >= 0) gap++;
            err_set(e,
                    "%s: no token has id %d (ids must run from 0 to %d without gaps; %s has "
                    "id %d)",
                    what, gap, V - 1,
                    bpe_quote_bytes(t->bytes + t->start[i], (size_t)t->len[i], q1, sizeof q1), id);
            goto done;
        }
        if (at[id] >= 0) {
            int32_t j = at[id];
            err_set(e, "%s: tokens %s and %s both have id %d; ids must be distinct", what,
                    bpe_quote_bytes(t->bytes + t->start[j], (size_t)t->len[j], q1, sizeof q1),
                    bpe_quote_bytes(t->bytes + t->start[i], (size_t)t->len[i], q2, sizeof q2), id);
            goto done;
        }
        at[id] = i;
    }
    int64_t *off = xmalloc("bpe load", (size_t)(V + 1) * sizeof *off);
    uint8_t *blob = xmalloc("bpe load", t->nbytes ? t->nbytes : 1);
    int32_t *specials = xmalloc("bpe load", (size_t)(V ? V : 1) * sizeof *specials);
    int32_t n_specials = 0;
    off[0] = 0;
    for (int32_t id = 0; id < V; id++) {
        int32_t i = at[id];
        memcpy(blob + off[id], t->bytes + t->start[i], (size_t)t->len[i]);
        off[id + 1] = off[id] + t->len[i];
        if (t->special[i]) specials[n_specials++] = id;
    }
    b = bpe_new_vocab(blob, off, V, specials, n_specials, what, e);
    xfree(off);
    xfree(blob);
    xfree(specials);
done:
    xfree(at);
    return b;
}

// Adds every "token": id of a JSON object. Keys equal to one of special_texts are specials kept
// as written; the others are byte-level strings. field names the object in messages ("" = root).
static int add_vocab_object(TokenList *t, const cJSON *obj, const char *field,
                            const char *const *special_texts, int n_special_texts, ErrMsg *e) {
    const char *sep = field[0] ? ": " : "";
    if (!cJSON_IsObject(obj))
        return err_set(e, "%s: %s%sexpected an object mapping each token to its id", t->file, field,
                       sep);
    size_t cap = 256;
    uint8_t *buf = xmalloc("bpe load", cap);
    char what[64];
    int rc = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, obj) {
        const char *key = item->string;
        size_t klen = strlen(key);
        double v = cJSON_IsNumber(item) ? item->valuedouble : -1;
        if (!cJSON_IsNumber(item) || v < 0 || v > 2147483646.0 || v != (double)(int64_t)v) {
            rc = err_set(e, "%s: %s%stoken \"%.80s\": expected a non-negative integer id, got %s",
                         t->file, field, sep, key, describe(item, what, sizeof what));
            break;
        }
        int special = 0;
        for (int s = 0; s < n_special_texts; s++) special |= strcmp(key, special_texts[s]) == 0;
        if (klen > cap) {
            cap = klen;
            buf = xrealloc("bpe load", buf, cap);
        }
        int64_t len;
        uint32_t bad = 0;
        if (special) {
            memcpy(buf, key, klen);
            len = (int64_t)klen;
        } else if ((len = decode_token(key, klen, buf, &bad)) < 0) {
            char why[96];
            rc = err_set(e, "%s: %s%stoken \"%.80s\" (id %d): %s", t->file, field, sep, key, (int)v,
                         bad_char(len, bad, why, sizeof why));
            break;
        }
        if (len == 0) {
            rc = err_set(e, "%s: %s%sthe empty token (id %d); every token needs bytes", t->file,
                         field, sep, (int)v);
            break;
        }
        list_add(t, (int32_t)v, buf, (size_t)len, special);
    }
    xfree(buf);
    return rc;
}

// ---------------------------------------------------------------------------------------------
// merges

typedef struct {
    int32_t n, cap;
    int32_t *pairs;  // (cap, 2)
    int32_t *lines;  // (cap)
} MergeList;

static void merges_add(MergeList *m, int32_t left, int32_t right, int32_t line) {
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->pairs = xrealloc("bpe load", m->pairs, (size_t)m->cap * 2 * sizeof *m->pairs);
        m->lines = xrealloc("bpe load", m->lines, (size_t)m->cap * sizeof *m->lines);
    }
    m->pairs[2 * m->n] = left;
    m->pairs[2 * m->n + 1] = right;
    m->lines[m->n++] = line;
}

static void merges_free(MergeList *m) {
    xfree(m->pairs);
    xfree(m->lines);
}

// Where a merge comes from, for messages (formatted only when something is wrong).
typedef struct {
    const char *source;  // "vocab.bpe" or "tokenizer.json: model.merges"
    int num;             // line number, or index in the array
    int is_line;
    const char *left, *right;  // the merge's two parts as written
    size_t left_len, right_len;
} MergeWhere;

static void where_text(const MergeWhere *w, char *buf, size_t size) {
    if (w->is_line)
        snprintf(buf, size, "%s line %d", w->source, w->num);
    else
        snprintf(buf, size, "%s[%d]", w->source, w->num);
}

// Looks up one byte-level part of a merge (the left one when left is set).
static int32_t merge_part(const Bpe *b, const MergeWhere *w, int left, const char *vocab,
                          ErrMsg *e) {
    const char *part = left ? w->left : w->right;
    size_t len = left ? w->left_len : w->right_len;
    uint8_t small[256];
    uint8_t *buf = len <= sizeof small ? small : xmalloc("bpe load", len);
    uint32_t bad = 0;
    int64_t n = decode_token(part, len, buf, &bad);
    int32_t id = n > 0 ? bpe_lookup(b, buf, (size_t)n) : -1;
    if (buf != small) xfree(buf);
    if (id >= 0) return id;
    char where[600];
    where_text(w, where, sizeof where);
    int ll = (int)(w->left_len < 100 ? w->left_len : 100);
    int rl = (int)(w->right_len < 100 ? w->right_len : 100);
    char why[96];
    if (n < 0)
        err_set(e, "%s: merge \"%.*s %.*s\": %s", where, ll, w->left, rl, w->right,
                bad_char(n, bad, why, sizeof why));
    else
        err_set(e, "%s: merge \"%.*s %.*s\": \"%.*s\" is not in the vocabulary (%s)", where, ll,
                w->left, rl, w->right, (int)(len < 100 ? len : 100), part, vocab);
    return -1;
}

// Reads merges.txt / vocab.bpe into b. need_header: OpenAI's form, whose reader skips the first
// line and drops the last, so the "#version" line and a final newline are required.
static int read_merges_text(Bpe *b, const char *path, int need_header, const char *vocab,
                            ErrMsg *e) {
    char *text;
    size_t len;
    if (read_file(path, &text, &len, e) != 0) return -1;
    MergeList m = {0};
    int rc = 0;
    if (need_header && len > 0 && text[len - 1] != '\n')
        rc = err_set(e,
                     "%s: the last line has no newline; OpenAI's vocab.bpe ends with one "
                     "(its reader drops the last line)",
                     path);
    int line = 0;
    for (size_t pos = 0; rc == 0 && pos < len;) {
        line++;
        char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, stop = end;
        if (stop > pos && text[stop - 1] == '\r') stop--;
        char *s = text + pos;
        size_t n = stop - pos;
        pos = end + 1;
        if (line == 1 && n >= 8 && memcmp(s, "#version", 8) == 0) continue;
        if (line == 1 && need_header) {
            rc = err_set(e,
                         "%s line 1: expected the header \"#version: ...\" (OpenAI's vocab.bpe "
                         "starts with it), got \"%.60s\"",
                         path, s);
            break;
        }
        char *space = memchr(s, ' ', n);
        if (n == 0 || !space || space == s || space == s + n - 1 ||
            memchr(space + 1, ' ', (size_t)(s + n - space - 1))) {
            rc = err_set(e,
                         "%s line %d: expected a merge: two tokens separated by one space, got "
                         "\"%.*s\"",
                         path, line, (int)(n < 200 ? n : 200), s);
            break;
        }
        size_t ll = (size_t)(space - s);
        MergeWhere w = {.source = path,
                        .num = line,
                        .is_line = 1,
                        .left = s,
                        .left_len = ll,
                        .right = space + 1,
                        .right_len = n - ll - 1};
        int32_t left = merge_part(b, &w, 1, vocab, e);
        int32_t right = left < 0 ? -1 : merge_part(b, &w, 0, vocab, e);
        if (left < 0 || right < 0) {
            rc = -1;
            break;
        }
        merges_add(&m, left, right, line);
    }
    xfree(text);
    if (rc == 0) rc = bpe_set_merges(b, m.pairs, m.n, path, m.lines, e);
    merges_free(&m);
    return rc;
}

// ---------------------------------------------------------------------------------------------
// the two-file forms

static int load_two_files(Bpe **out, const char *vocab_json, const char *merges_txt,
                          int need_header, ErrMsg *e) {
    *out = NULL;
    cJSON *root;
    if (parse_json(vocab_json, &root, e) != 0) return -1;
    TokenList t = {.file = vocab_json};
    static const char *const specials[] = {BPE_ENDOFTEXT};
    Bpe *b = NULL;
    if (add_vocab_object(&t, root, "", specials, 1, e) == 0) b = list_build(&t, vocab_json, e);
    list_free(&t);
    cJSON_Delete(root);
    if (!b) return -1;
    if (read_merges_text(b, merges_txt, need_header, vocab_json, e) != 0) {
        bpe_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

int bpe_load_openai(Bpe **out, const char *encoder_json, const char *vocab_bpe, ErrMsg *e) {
    return load_two_files(out, encoder_json, vocab_bpe, 1, e);
}

int bpe_load_hf(Bpe **out, const char *vocab_json, const char *merges_txt, ErrMsg *e) {
    return load_two_files(out, vocab_json, merges_txt, 0, e);
}

// ---------------------------------------------------------------------------------------------
// tokenizer.json

// A setting that must be absent, null, false, 0 or "" (the value that keeps GPT-2's algorithm).
static int require_neutral(const cJSON *obj, const char *key, const char *path, const char *field,
                           ErrMsg *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v) || (cJSON_IsNumber(v) && v->valuedouble == 0) ||
        (cJSON_IsString(v) && v->valuestring[0] == '\0'))
        return 0;
    char what[96];
    return err_set(e,
                   "%s: %s: concord supports only GPT-2's plain BPE here (null, false, 0 or "
                   "\"\"), got %s",
                   path, field, describe(v, what, sizeof what));
}

// pre_tokenizer ByteLevel: use_regex true (or absent), add_prefix_space off. field names it.
static int check_byte_level(const cJSON *pre, const char *path, const char *field, ErrMsg *e) {
    char what[96], sub[96];
    const cJSON *ptype = cJSON_GetObjectItemCaseSensitive(pre, "type");
    const cJSON *regex = cJSON_GetObjectItemCaseSensitive(pre, "use_regex");
    if (!cJSON_IsObject(pre) || !cJSON_IsString(ptype) || strcmp(ptype->valuestring, "ByteLevel") ||
        (regex && !cJSON_IsTrue(regex)))
        return err_set(
            e,
            "%s: %s: expected {\"type\": \"ByteLevel\"} with use_regex true (GPT-2's byte-level "
            "pre-tokenization), or a Sequence of Digits then ByteLevel, got %s",
            path, field,
            ptype ? describe(ptype, what, sizeof what) : describe(pre, what, sizeof what));
    snprintf(sub, sizeof sub, "%s.add_prefix_space", field);
    return require_neutral(pre, "add_prefix_space", path, sub, e);
}

// pre_tokenizer: ByteLevel alone (*digits NONE), or {"type": "Sequence", "pretokenizers":
// [{"type": "Digits", "individual_digits": b}, ByteLevel]} (SmolLM2's form).
static int check_pre_tokenizer(const cJSON *root, const char *path, BpeDigits *digits, ErrMsg *e) {
    *digits = BPE_DIGITS_NONE;
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    const cJSON *ptype = cJSON_GetObjectItemCaseSensitive(pre, "type");
    if (!cJSON_IsString(ptype) || strcmp(ptype->valuestring, "Sequence") != 0)
        return check_byte_level(pre, path, "pre_tokenizer", e);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(pre, "pretokenizers");
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    const cJSON *ftype = cJSON_GetObjectItemCaseSensitive(first, "type");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != 2 || !cJSON_IsString(ftype) ||
        strcmp(ftype->valuestring, "Digits") != 0)
        return err_set(e,
                       "%s: pre_tokenizer.pretokenizers: concord supports a Sequence of exactly "
                       "two: {\"type\": \"Digits\"} then {\"type\": \"ByteLevel\"}",
                       path);
    const cJSON *individual = cJSON_GetObjectItemCaseSensitive(first, "individual_digits");
    if (individual && !cJSON_IsBool(individual)) {
        char what[96];
        return err_set(e,
                       "%s: pre_tokenizer.pretokenizers[0].individual_digits: expected true or "
                       "false, got %s",
                       path, describe(individual, what, sizeof what));
    }
    // Hugging Face's default is false: runs of digits
    *digits = cJSON_IsTrue(individual) ? BPE_DIGITS_INDIVIDUAL : BPE_DIGITS_RUNS;
    return check_byte_level(cJSON_GetArrayItem(list, 1), path, "pre_tokenizer.pretokenizers[1]", e);
}

static int check_settings(const cJSON *root, const cJSON *model, const char *path,
                          BpeDigits *digits, ErrMsg *e) {
    char what[96];
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "BPE") != 0)
        return err_set(e, "%s: model.type: expected \"BPE\", got %s", path,
                       describe(type, what, sizeof what));
    if (require_neutral(model, "dropout", path, "model.dropout", e) ||
        require_neutral(model, "continuing_subword_prefix", path, "model.continuing_subword_prefix",
                        e) ||
        require_neutral(model, "end_of_word_suffix", path, "model.end_of_word_suffix", e) ||
        require_neutral(model, "byte_fallback", path, "model.byte_fallback", e) ||
        require_neutral(model, "ignore_merges", path, "model.ignore_merges", e) ||
        require_neutral(root, "normalizer", path, "normalizer", e))
        return -1;
    return check_pre_tokenizer(root, path, digits, e);
}

// Special added tokens: their texts (borrowed from root) and checks. Non-special added tokens are
// accepted only when they are ordinary vocabulary tokens already.
static int read_added_tokens(const cJSON *root, const char *path, const char ***texts, int *n,
                             ErrMsg *e) {
    *texts = NULL;
    *n = 0;
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!added || cJSON_IsNull(added)) return 0;
    if (!cJSON_IsArray(added))
        return err_set(e,
                       "%s: added_tokens: expected an array of {\"id\", \"content\", "
                       "\"special\"} objects",
                       path);
    int count = cJSON_GetArraySize(added);
    *texts = xcalloc("bpe load", (size_t)(count ? count : 1), sizeof **texts);
    int i = 0;
    const cJSON *tok;
    cJSON_ArrayForEach(tok, added) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(tok, "id");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(tok, "content");
        const cJSON *special = cJSON_GetObjectItemCaseSensitive(tok, "special");
        if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble > 2147483646.0 ||
            id->valuedouble != (double)(int64_t)id->valuedouble || !cJSON_IsString(content) ||
            content->valuestring[0] == '\0' || (special && !cJSON_IsBool(special))) {
            xfree(*texts);
            *texts = NULL;
            return err_set(e,
                           "%s: added_tokens[%d]: expected {\"id\": non-negative integer, "
                           "\"content\": non-empty string, \"special\": true or false}",
                           path, i);
        }
        // these change where a special token matches; SmolLM2's and GPT-2's are all false
        static const char *const flags[] = {"lstrip", "rstrip", "single_word"};
        for (int f = 0; f < 3; f++) {
            char field[64];
            snprintf(field, sizeof field, "added_tokens[%d].%s", i, flags[f]);
            if (require_neutral(tok, flags[f], path, field, e) != 0) {
                xfree(*texts);
                *texts = NULL;
                return -1;
            }
        }
        if (cJSON_IsTrue(special)) (*texts)[(*n)++] = content->valuestring;
        i++;
    }
    return 0;
}

// Adds the added_tokens that model.vocab lacks; checks the ones it has.
static int merge_added_tokens(TokenList *t, const cJSON *root, const char *path, ErrMsg *e) {
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    int i = 0;
    const cJSON *tok;
    char q[96];
    cJSON_ArrayForEach(tok, added) {
        int32_t id = (int32_t)cJSON_GetObjectItemCaseSensitive(tok, "id")->valuedouble;
        const char *content = cJSON_GetObjectItemCaseSensitive(tok, "content")->valuestring;
        int special = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tok, "special"));
        size_t len = strlen(content);
        int32_t at = list_find_id(t, id);
        if (at < 0 && special) {
            list_add(t, id, (const uint8_t *)content, len, 1);
        } else if (at < 0) {
            return err_set(e,
                           "%s: added_tokens[%d]: \"%.80s\" (id %d) is neither special nor in "
                           "model.vocab; concord supports only special added tokens",
                           path, i, content, id);
        } else if (special ? !(t->special[at] && (size_t)t->len[at] == len &&
                               memcmp(t->bytes + t->start[at], content, len) == 0)
                           : (size_t)t->len[at] != len ||
                                 memcmp(t->bytes + t->start[at], content, len) != 0) {
            return err_set(
                e, "%s: added_tokens[%d]: id %d is \"%.80s\" here but %s in model.vocab", path, i,
                id, content,
                bpe_quote_bytes(t->bytes + t->start[at], (size_t)t->len[at], q, sizeof q));
        }
        i++;
    }
    return 0;
}

static int read_json_merges(Bpe *b, const cJSON *merges, const char *path, ErrMsg *e) {
    if (!cJSON_IsArray(merges))
        return err_set(e,
                       "%s: model.merges: expected an array of \"a b\" strings or [\"a\", \"b\"] "
                       "pairs",
                       path);
    MergeList m = {0};
    int rc = 0, i = 0;
    char source[600];
    snprintf(source, sizeof source, "%s: model.merges", path);
    const cJSON *item;
    cJSON_ArrayForEach(item, merges) {
        const char *l = NULL, *r = NULL;
        size_t ll = 0, rl = 0;
        if (cJSON_IsString(item)) {
            const char *s = item->valuestring, *space = strchr(s, ' ');
            if (space && space != s && space[1] && !strchr(space + 1, ' ')) {
                l = s;
                ll = (size_t)(space - s);
                r = space + 1;
                rl = strlen(r);
            }
        } else if (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 2 &&
                   cJSON_IsString(cJSON_GetArrayItem(item, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(item, 1))) {
            l = cJSON_GetArrayItem(item, 0)->valuestring;
            r = cJSON_GetArrayItem(item, 1)->valuestring;
            ll = strlen(l);
            rl = strlen(r);
            if (ll == 0 || rl == 0) l = NULL;
        }
        if (!l) {
            rc = err_set(e,
                         "%s: model.merges[%d]: expected \"a b\" (two tokens, one space) or "
                         "[\"a\", \"b\"]",
                         path, i);
            break;
        }
        MergeWhere w = {
            .source = source, .num = i, .left = l, .left_len = ll, .right = r, .right_len = rl};
        int32_t left = merge_part(b, &w, 1, "model.vocab", e);
        int32_t right = left < 0 ? -1 : merge_part(b, &w, 0, "model.vocab", e);
        if (left < 0 || right < 0) {
            rc = -1;
            break;
        }
        merges_add(&m, left, right, i);
        i++;
    }
    if (rc == 0) rc = bpe_set_merges(b, m.pairs, m.n, source, NULL, e);
    merges_free(&m);
    return rc;
}

int bpe_load_tokenizer_json(Bpe **out, const char *path, ErrMsg *e) {
    *out = NULL;
    cJSON *root;
    if (parse_json(path, &root, e) != 0) return -1;
    Bpe *b = NULL;
    const char **specials = NULL;
    int n_specials = 0;
    TokenList t = {.file = path};
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    int rc;
    BpeDigits digits = BPE_DIGITS_NONE;
    if (!cJSON_IsObject(root) || !cJSON_IsObject(model))
        rc = err_set(e, "%s: model: expected an object (a Hugging Face tokenizer.json)", path);
    else
        rc = check_settings(root, model, path, &digits, e);
    if (rc == 0) rc = read_added_tokens(root, path, &specials, &n_specials, e);
    if (rc == 0)
        rc = add_vocab_object(&t, cJSON_GetObjectItemCaseSensitive(model, "vocab"), "model.vocab",
                              specials, n_specials, e);
    if (rc == 0) rc = merge_added_tokens(&t, root, path, e);
    if (rc == 0) {
        b = list_build(&t, path, e);
        rc = b ? 0 : -1;
    }
    if (rc == 0)
        rc = read_json_merges(b, cJSON_GetObjectItemCaseSensitive(model, "merges"), path, e);
    if (rc == 0) rc = bpe_set_digits(b, digits, e);
    if (rc != 0) {
        bpe_free(b);
        b = NULL;
    }
    xfree(specials);
    list_free(&t);
    cJSON_Delete(root);
    *out = b;
    return b ? 0 : -1;
}

// ---------------------------------------------------------------------------------------------
// bpe_load

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int bpe_load(Bpe **out, const char *spec, ErrMsg *e) {
    *out = NULL;
    const char *comma = strchr(spec, ',');
    if (comma) {
        char vocab[4096], merges[4096];
        size_t vl = (size_t)(comma - spec);
        if (vl == 0 || vl >= sizeof vocab || strlen(comma + 1) == 0 ||
            strlen(comma + 1) >= sizeof merges || strchr(comma + 1, ','))
            return err_set(e, "%s: expected VOCAB.json,MERGES (two file names, one comma)", spec);
        memcpy(vocab, spec, vl);
        vocab[vl] = '\0';
        strcpy(merges, comma + 1);
        return ends_with(merges, ".bpe") ? bpe_load_openai(out, vocab, merges, e)
                                         : bpe_load_hf(out, vocab, merges, e);
    }
    struct stat st;
    if (stat(spec, &st) != 0)
        return err_set(e, "%s: %s (expected a directory, a tokenizer.json, or VOCAB.json,MERGES)",
                       spec, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return bpe_load_tokenizer_json(out, spec, e);
    static const char *const forms[][2] = {
        {"tokenizer.json", NULL}, {"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}};
    char a[4096], b[4096];
    for (int f = 0; f < 3; f++) {
        snprintf(a, sizeof a, "%s/%s", spec, forms[f][0]);
        if (!is_file(a)) continue;
        if (!forms[f][1]) return bpe_load_tokenizer_json(out, a, e);
        snprintf(b, sizeof b, "%s/%s", spec, forms[f][1]);
        if (!is_file(b)) continue;
        return f == 1 ? bpe_load_hf(out, a, b, e) : bpe_load_openai(out, a, b, e);
    }
    return err_set(e,
                   "%s: no tokenizer files: expected tokenizer.json, vocab.json + merges.txt, "
                   "or encoder.json + vocab.bpe in it",
                   spec);
}
