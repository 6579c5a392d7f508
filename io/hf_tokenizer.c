/* io/hf_tokenizer.c — writing a BPE tokenizer as a Hugging Face tokenizer.json; see
   hf_tokenizer.h. */
#include "io/hf_tokenizer.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "io/hf_common.h"
#include "util/alloc.h"

// 1 when s[0..n) is well-formed UTF-8 without NUL (what a JSON string key can carry as is).
static int valid_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t len = c < 0x80                 ? 1
                     : c >= 0xC2 && c <= 0xDF ? 2
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4
                                              : 0;
        if (c == 0 || len == 0 || i + len > n) return 0;
        uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7F >> len));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
        i += len;
    }
    return 1;
}

// {"type": "ByteLevel", ...} with trim_offsets as given (offsets only: no effect on ids).
static cJSON *byte_level(int trim_offsets) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "ByteLevel");
    cJSON_AddBoolToObject(o, "add_prefix_space", 0);
    cJSON_AddBoolToObject(o, "trim_offsets", trim_offsets);
    cJSON_AddBoolToObject(o, "use_regex", 1);
    return o;
}

static cJSON *pre_tokenizer(BpeDigits digits) {
    if (digits == BPE_DIGITS_NONE) return byte_level(1);
    cJSON *seq = cJSON_CreateObject(), *list = cJSON_CreateArray(), *d = cJSON_CreateObject();
    cJSON_AddStringToObject(seq, "type", "Sequence");
    cJSON_AddStringToObject(d, "type", "Digits");
    cJSON_AddBoolToObject(d, "individual_digits", digits == BPE_DIGITS_INDIVIDUAL);
    cJSON_AddItemToArray(list, d);
    cJSON_AddItemToArray(list, byte_level(1));
    cJSON_AddItemToObject(seq, "pretokenizers", list);
    return seq;
}

char *hf_tokenizer_json(const Bpe *b, ErrMsg *e) {
    BpeArrays a;
    bpe_arrays(b, &a);
    uint8_t *special = xcalloc("hf.tokenizer_json", (size_t)a.n_tokens, 1);
    for (int32_t s = 0; s < a.n_specials; s++) special[a.special_ids[s]] = 1;
    char **text = xcalloc("hf.tokenizer_json", (size_t)a.n_tokens, sizeof *text);
    int rc = 0;
    for (int32_t i = 0; i < a.n_tokens && rc == 0; i++) {
        const uint8_t *bytes = a.token_bytes + a.token_offsets[i];
        size_t n = (size_t)(a.token_offsets[i + 1] - a.token_offsets[i]);
        text[i] = xmalloc("hf.tokenizer_json", 2 * n + 1);
        if (!special[i]) {
            hf_byte_level_text(text[i], bytes, n);
        } else if (valid_utf8(bytes, n)) {  // Hugging Face keys added tokens by their text
            memcpy(text[i], bytes, n);
            text[i][n] = '\0';
        } else {
            rc = err_set(e,
                         "tokenizer.json: special token %d (%zu bytes) is not valid UTF-8 "
                         "text without NUL, which a tokenizer.json cannot hold",
                         i, n);
        }
    }
    // a special's text may read like another token's byte-level key ("Ġ" against " "): refuse
    for (int32_t s = 0; s < a.n_specials && rc == 0; s++) {
        int32_t id = a.special_ids[s];
        for (int32_t i = 0; i < a.n_tokens && rc == 0; i++)
            if (i != id && strcmp(text[i], text[id]) == 0)
                rc = err_set(e,
                             "tokenizer.json: special token %d \"%.80s\" has the same text as "
                             "token %d in byte-level characters; a tokenizer.json vocabulary "
                             "cannot hold both",
                             id, text[id], i);
    }
    char *out = NULL;
    if (rc == 0) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "version", "1.0");
        cJSON_AddNullToObject(root, "truncation");
        cJSON_AddNullToObject(root, "padding");
        cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
        for (int32_t s = 0; s < a.n_specials; s++) {
            int32_t id = a.special_ids[s];
            cJSON *t = cJSON_CreateObject();
            cJSON_AddNumberToObject(t, "id", id);
            cJSON_AddStringToObject(t, "content", text[id]);
            cJSON_AddBoolToObject(t, "single_word", 0);
            cJSON_AddBoolToObject(t, "lstrip", 0);
            cJSON_AddBoolToObject(t, "rstrip", 0);
            cJSON_AddBoolToObject(t, "normalized", 0);
            cJSON_AddBoolToObject(t, "special", 1);
            cJSON_AddItemToArray(added, t);
        }
        cJSON_AddNullToObject(root, "normalizer");
        cJSON_AddItemToObject(root, "pre_tokenizer", pre_tokenizer(bpe_digits(b)));
        cJSON_AddItemToObject(root, "post_processor", byte_level(0));
        cJSON_AddItemToObject(root, "decoder", byte_level(1));
        cJSON *model = cJSON_AddObjectToObject(root, "model");
        cJSON_AddStringToObject(model, "type", "BPE");
        cJSON_AddNullToObject(model, "dropout");
        cJSON_AddNullToObject(model, "unk_token");
        cJSON_AddNullToObject(model, "continuing_subword_prefix");
        cJSON_AddNullToObject(model, "end_of_word_suffix");
        cJSON_AddBoolToObject(model, "fuse_unk", 0);
        cJSON_AddBoolToObject(model, "byte_fallback", 0);
        cJSON_AddBoolToObject(model, "ignore_merges", 0);
        cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
        for (int32_t i = 0; i < a.n_tokens; i++) cJSON_AddNumberToObject(vocab, text[i], i);
        cJSON *merges = cJSON_AddArrayToObject(model, "merges");
        size_t cap = 64;
        char *m = xmalloc("hf.tokenizer_json", cap);
        for (int32_t r = 0; r < a.n_merges; r++) {
            const char *l = text[a.merges[2 * r]], *rt = text[a.merges[2 * r + 1]];
            size_t need = strlen(l) + strlen(rt) + 2;
            if (need > cap) m = xrealloc("hf.tokenizer_json", m, cap = 2 * need);
            snprintf(m, cap, "%s %s", l, rt);  // byte-level text never holds a space
            cJSON_AddItemToArray(merges, cJSON_CreateString(m));
        }
        xfree(m);
        out = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        if (!out) err_set(e, "tokenizer.json: cannot format the JSON text (out of memory)");
    }
    for (int32_t i = 0; i < a.n_tokens; i++) xfree(text[i]);
    xfree(text);
    xfree(special);
    if (!out) return NULL;
    // cJSON's buffer comes from its own allocator: hand back one the caller frees with xfree
    char *copy = xstrdup("hf.tokenizer_json", out);
    cJSON_free(out);
    return copy;
}
