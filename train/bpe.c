/* train/bpe.c — the GPT-2 byte-level BPE core: byte map, the merge loop, encode/decode, building
   from flat arrays. Pre-tokenization is in train/bpe_split.c, file formats in train/bpe_load.c.

   Merges. A piece starts as one token per byte. The adjacent pair with the lowest merge rank
   merges first, the leftmost among equal ranks, until no adjacent pair is a merge: GPT-2's
   rule, run with a heap so a long piece costs O(n log n). Finished pieces are cached (short
   pieces only, the cache is emptied when full). */
#include "train/bpe.h"

#include <stdio.h>
#include <string.h>

#include "train/bpe_impl.h"
#include "util/alloc.h"

// ---------------------------------------------------------------------------------------------
// byte map

// GPT-2 keeps these bytes as their own code points; the other 68 go to U+0100.. in byte order.
static int byte_is_printable(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

uint32_t bpe_byte_to_unicode(uint8_t byte) {
    if (byte_is_printable(byte)) return byte;
    uint32_t k = 0;  // non-printable bytes below this one
    for (int c = 0; c < byte; c++) k += !byte_is_printable(c);
    return 256 + k;
}

int bpe_unicode_to_byte(uint32_t cp) {
    if (cp < 256) return byte_is_printable((int)cp) ? (int)cp : -1;
    uint32_t k = cp - 256;
    for (int c = 0; c < 256; c++) {
        if (byte_is_printable(c)) continue;
        if (k-- == 0) return c;
    }
    return -1;
}

const char *bpe_quote_bytes(const uint8_t *bytes, size_t len, char *buf, size_t size) {
    size_t o = 0;
    if (size < 8) {
        if (size) buf[0] = '\0';
        return buf;
    }
    buf[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        uint32_t cp = bpe_byte_to_unicode(bytes[i]);
        if (o + 2 + 4 + 1 > size) {  // room for this character, the closing quote, "..." and NUL
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (cp < 0x80) {
            buf[o++] = (char)cp;
        } else {
            buf[o++] = (char)(0xC0 | (cp >> 6));
            buf[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

// ---------------------------------------------------------------------------------------------
// hashing

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return h;
}

static uint64_t hash_pair(uint64_t key) {
    key *= 0x9E3779B97F4A7C15ull;
    return key ^ (key >> 31);
}

// Smallest power of two >= 2 * n (load factor at most one half).
static size_t table_size(size_t n) {
    size_t s = 16;
    while (s < 2 * n) s *= 2;
    return s;
}

typedef struct {
    uint64_t key;    // left id << 32 | right id; PAIR_EMPTY when free
    int32_t rank;    // merge rank
    int32_t merged;  // id of the joined token
} PairSlot;
#define PAIR_EMPTY UINT64_MAX

// Cache of finished pieces: text -> ids, both kept in arenas; emptied when any part is full.
#define CACHE_SLOTS       (1u << 16)
#define CACHE_MAX_ENTRIES (CACHE_SLOTS / 2)
#define CACHE_MAX_PIECE   64  // longer pieces are rare and are not cached
#define CACHE_TEXT_BYTES  (CACHE_MAX_ENTRIES * 16u)
#define CACHE_IDS         (CACHE_MAX_ENTRIES * 8u)

typedef struct {
    uint64_t hash;
    uint32_t text_off, ids_off;
    uint16_t text_len, n_ids;  // text_len 0: empty slot
} CacheSlot;

struct Bpe {
    // vocabulary
    int32_t V;
    uint8_t *blob;  // (off[V]) token bytes in id order
    int64_t *off;   // (V + 1)
    int32_t n_specials;
    int32_t *special_ids;  // (n_specials)
    uint8_t *is_special;   // (V)
    int32_t byte_id[256];  // single-byte token of each byte
    int32_t *token_slots;  // (token_cap) ids, -1 free
    size_t token_cap;
    // merges
    int32_t n_merges;
    int32_t *merges;  // (n_merges, 2)
    PairSlot *pairs;  // (pair_cap)
    size_t pair_cap;
    // encoding state
    BpeSplitter *splitter;
    CacheSlot *cache;     // (CACHE_SLOTS)
    uint8_t *cache_text;  // (CACHE_TEXT_BYTES)
    int32_t *cache_ids;   // (CACHE_IDS)
    uint32_t cache_entries, cache_text_used, cache_ids_used;
    size_t scratch_cap;                     // elements in each scratch array
    int32_t *sym_id, *sym_next, *sym_prev;  // (scratch_cap) the merge loop's linked list
    uint64_t *heap;                         // (3 * scratch_cap) rank << 32 | position
};

int32_t bpe_lookup(const Bpe *b, const uint8_t *bytes, size_t len) {
    size_t mask = b->token_cap - 1;
    for (size_t i = hash_bytes(bytes, len) & mask;; i = (i + 1) & mask) {
        int32_t id = b->token_slots[i];
        if (id < 0) return -1;
        size_t tl = (size_t)(b->off[id + 1] - b->off[id]);
        if (tl == len && memcmp(b->blob + b->off[id], bytes, len) == 0) return id;
    }
}

// Rank of the merge (left, right) and the joined id in *merged, or -1.
static inline int32_t pair_rank(const Bpe *b, int32_t left, int32_t right, int32_t *merged) {
    uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
    size_t mask = b->pair_cap - 1;
    for (size_t i = hash_pair(key) & mask;; i = (i + 1) & mask) {
        const PairSlot *p = &b->pairs[i];
        if (p->key == key) {
            *merged = p->merged;
            return p->rank;
        }
        if (p->key == PAIR_EMPTY) return -1;
    }
}

// ---------------------------------------------------------------------------------------------
// building

static void token_text(const Bpe *b, int32_t id, char *buf, size_t size) {
    bpe_quote_bytes(b->blob + b->off[id], (size_t)(b->off[id + 1] - b->off[id]), buf, size);
}

Bpe *bpe_new_vocab(const uint8_t *blob, const int64_t *off, int32_t V, const int32_t *specials,
                   int32_t n_specials, const char *source, ErrMsg *e) {
    if (V < 256 || !off || !blob) {
        err_set(e, "%s: %d tokens; a byte-level vocabulary needs at least the 256 byte tokens",
                source, V);
        return NULL;
    }
    if (off[0] != 0) {
        err_set(e, "%s: token offsets must start at 0, got %lld", source, (long long)off[0]);
        return NULL;
    }
    for (int32_t i = 0; i < V; i++) {
        if (off[i + 1] <= off[i]) {
            err_set(e, "%s: token %d is empty (offsets %lld..%lld); every token needs bytes",
                    source, i, (long long)off[i], (long long)off[i + 1]);
            return NULL;
        }
    }
    if (n_specials < 0 || (n_specials > 0 && !specials)) {
        err_set(e, "%s: bad special-token list (%d entries)", source, n_specials);
        return NULL;
    }
    Bpe *b = xcalloc("bpe", 1, sizeof *b);
    b->V = V;
    b->off = xmalloc("bpe", (size_t)(V + 1) * sizeof *b->off);
    memcpy(b->off, off, (size_t)(V + 1) * sizeof *off);
    b->blob = xmalloc("bpe", (size_t)off[V]);
    memcpy(b->blob, blob, (size_t)off[V]);
    b->is_special = xcalloc("bpe", (size_t)V, 1);
    b->n_specials = n_specials;
    b->special_ids = xmalloc("bpe", (size_t)(n_specials ? n_specials : 1) * sizeof(int32_t));
    for (int32_t i = 0; i < n_specials; i++) {
        int32_t id = specials[i];
        if (id < 0 || id >= V) {
            err_set(e, "%s: special token id %d is outside 0..%d", source, id, V - 1);
            goto fail;
        }
        if (b->is_special[id]) {
            err_set(e, "%s: special token id %d is listed twice", source, id);
            goto fail;
        }
        b->is_special[id] = 1;
        b->special_ids[i] = id;
    }
    b->token_cap = table_size((size_t)V);
    b->token_slots = xmalloc("bpe", b->token_cap * sizeof(int32_t));
    for (size_t i = 0; i < b->token_cap; i++) b->token_slots[i] = -1;
    for (int32_t id = 0; id < V; id++) {
        const uint8_t *bytes = b->blob + b->off[id];
        size_t len = (size_t)(b->off[id + 1] - b->off[id]);
        int32_t other = bpe_lookup(b, bytes, len);
        if (other >= 0) {
            char t[96];
            token_text(b, id, t, sizeof t);
            err_set(e, "%s: tokens %d and %d are both %s; every token must be distinct", source,
                    other, id, t);
            goto fail;
        }
        size_t mask = b->token_cap - 1, i = hash_bytes(bytes, len) & mask;
        while (b->token_slots[i] >= 0) i = (i + 1) & mask;
        b->token_slots[i] = id;
    }
    for (int c = 0; c < 256; c++) {
        uint8_t byte = (uint8_t)c;
        int32_t id = bpe_lookup(b, &byte, 1);
        if (id < 0 || b->is_special[id]) {
            char t[16];
            err_set(e,
                    "%s: no token for the byte 0x%02x (%s); a byte-level vocabulary needs all "
                    "256",
                    source, c, bpe_quote_bytes(&byte, 1, t, sizeof t));
            goto fail;
        }
        b->byte_id[c] = id;
    }
    if (bpe_splitter_new(&b->splitter, e) != 0) goto fail;
    return b;
fail:
    bpe_free(b);
    return NULL;
}

int bpe_set_merges(Bpe *b, const int32_t *pairs, int32_t n, const char *source,
                   const int32_t *lines, ErrMsg *e) {
    CHECK(b->n_merges == 0 && !b->pairs);
    if (n <= 0 || !pairs)
        return err_set(e, "%s: no merges; a BPE vocabulary needs at least one", source);
    b->pair_cap = table_size((size_t)n);
    b->pairs = xmalloc("bpe", b->pair_cap * sizeof *b->pairs);
    for (size_t i = 0; i < b->pair_cap; i++) b->pairs[i].key = PAIR_EMPTY;
    b->merges = xmalloc("bpe", (size_t)n * 2 * sizeof(int32_t));
    size_t joined_cap = 256;
    uint8_t *joined = xmalloc("bpe", joined_cap);
    int rc = 0;
    char where[600], tl[96], tr[96], tj[200];  // for messages only
    for (int32_t r = 0; r < n && rc == 0; r++) {
        int32_t l = pairs[2 * r], rt = pairs[2 * r + 1];
        int bad_id = l < 0 || l >= b->V || rt < 0 || rt >= b->V;
        int bad_special = !bad_id && (b->is_special[l] || b->is_special[rt]);
        int32_t m = -1;
        uint64_t key = (uint64_t)(uint32_t)l << 32 | (uint32_t)rt;
        size_t slot = 0;
        if (!bad_id && !bad_special) {
            size_t ll = (size_t)(b->off[l + 1] - b->off[l]);
            size_t lr = (size_t)(b->off[rt + 1] - b->off[rt]);
            if (ll + lr > joined_cap) {
                joined_cap = ll + lr;
                joined = xrealloc("bpe", joined, joined_cap);
            }
            memcpy(joined, b->blob + b->off[l], ll);
            memcpy(joined + ll, b->blob + b->off[rt], lr);
            m = bpe_lookup(b, joined, ll + lr);
            if (m >= 0 && b->is_special[m]) m = -1;
            size_t mask = b->pair_cap - 1;
            slot = hash_pair(key) & mask;
            while (b->pairs[slot].key != PAIR_EMPTY && b->pairs[slot].key != key)
                slot = (slot + 1) & mask;
            if (m >= 0 && b->pairs[slot].key != key) {
                b->pairs[slot] = (PairSlot){.key = key, .rank = r, .merged = m};
                b->merges[2 * r] = l;
                b->merges[2 * r + 1] = rt;
                continue;
            }
        }
        // A bad merge: name it.
        if (lines)
            snprintf(where, sizeof where, "%s line %d", source, lines[r]);
        else
            snprintf(where, sizeof where, "%s[%d]", source, r);
        if (bad_id) {
            rc = err_set(e, "%s: merge (%d, %d) names an id outside 0..%d", where, l, rt, b->V - 1);
            break;
        }
        token_text(b, l, tl, sizeof tl);
        token_text(b, rt, tr, sizeof tr);
        if (bad_special) {
            rc = err_set(e, "%s: merge %s %s uses a special token", where, tl, tr);
        } else if (m < 0) {
            size_t len = (size_t)(b->off[l + 1] - b->off[l] + b->off[rt + 1] - b->off[rt]);
            rc = err_set(e, "%s: merge %s %s: the joined token %s is not in the vocabulary", where,
                         tl, tr, bpe_quote_bytes(joined, len, tj, sizeof tj));
        } else {
            int32_t first = b->pairs[slot].rank;
            if (lines)
                rc = err_set(e, "%s: merge %s %s repeats line %d", where, tl, tr, lines[first]);
            else
                rc = err_set(e, "%s: merge %s %s repeats %s[%d]", where, tl, tr, source, first);
        }
    }
    xfree(joined);
    if (rc != 0) {
        xfree(b->pairs);
        xfree(b->merges);
        b->pairs = NULL;
        b->merges = NULL;
        return -1;
    }
    b->n_merges = n;
    return 0;
}

int bpe_from_arrays(Bpe **out, const BpeArrays *a, ErrMsg *e) {
    *out = NULL;
    Bpe *b = bpe_new_vocab(a->token_bytes, a->token_offsets, a->n_tokens, a->special_ids,
                           a->n_specials, "token arrays", e);
    if (!b) return -1;
    if (bpe_set_merges(b, a->merges, a->n_merges, "merges", NULL, e) != 0 ||
        bpe_set_digits(b, (BpeDigits)a->split_digits, e) != 0) {
        bpe_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void bpe_arrays(const Bpe *b, BpeArrays *out) {
    *out = (BpeArrays){.n_tokens = b->V,
                       .token_bytes = b->blob,
                       .token_offsets = b->off,
                       .n_merges = b->n_merges,
                       .merges = b->merges,
                       .n_specials = b->n_specials,
                       .special_ids = b->special_ids,
                       .split_digits = (int32_t)bpe_splitter_digits(b->splitter)};
}

int bpe_set_digits(Bpe *b, BpeDigits digits, ErrMsg *e) {
    // the piece cache stays valid: a piece's ids do not depend on how the text was split
    return bpe_splitter_set_digits(b->splitter, digits, e);
}

BpeDigits bpe_digits(const Bpe *b) { return bpe_splitter_digits(b->splitter); }

void bpe_free(Bpe *b) {
    if (!b) return;
    xfree(b->blob);
    xfree(b->off);
    xfree(b->special_ids);
    xfree(b->is_special);
    xfree(b->token_slots);
    xfree(b->merges);
    xfree(b->pairs);
    bpe_splitter_free(b->splitter);
    xfree(b->cache);
    xfree(b->cache_text);
    xfree(b->cache_ids);
    xfree(b->sym_id);
    xfree(b->sym_next);
    xfree(b->sym_prev);
    xfree(b->heap);
    xfree(b);
}

int32_t bpe_vocab_size(const Bpe *b) { return b->V; }

int32_t bpe_special_id(const Bpe *b, const char *text) {
    size_t len = strlen(text);
    for (int32_t i = 0; i < b->n_specials; i++) {
        int32_t id = b->special_ids[i];
        if ((size_t)(b->off[id + 1] - b->off[id]) == len &&
            memcmp(b->blob + b->off[id], text, len) == 0)
            return id;
    }
    return -1;
}

const uint8_t *bpe_token_bytes(const Bpe *b, int32_t id, size_t *len) {
    if (id < 0 || id >= b->V) return NULL;
    *len = (size_t)(b->off[id + 1] - b->off[id]);
    return b->blob + b->off[id];
}

// ---------------------------------------------------------------------------------------------
// the merge loop

static void heap_push(uint64_t *heap, size_t *n, uint64_t v) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap[parent] <= v) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = v;
}

static uint64_t heap_pop(uint64_t *heap, size_t *n) {
    uint64_t top = heap[0], last = heap[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && heap[c + 1] < heap[c]) c++;
        if (last <= heap[c]) break;
        heap[i] = heap[c];
        i = c;
    }
    if (*n > 0) heap[i] = last;
    return top;
}

static void ensure_scratch(Bpe *b, size_t n) {
    if (n <= b->scratch_cap) return;
    size_t cap = b->scratch_cap ? b->scratch_cap : 256;
    while (cap < n) cap *= 2;
    xfree(b->sym_id);
    xfree(b->sym_next);
    xfree(b->sym_prev);
    xfree(b->heap);
    b->sym_id = xmalloc("bpe", cap * sizeof(int32_t));
    b->sym_next = xmalloc("bpe", cap * sizeof(int32_t));
    b->sym_prev = xmalloc("bpe", cap * sizeof(int32_t));
    b->heap = xmalloc("bpe", 3 * cap * sizeof(uint64_t));  // n - 1 first pairs, 2 per merge
    b->scratch_cap = cap;
}

#define SYM_GONE (-1)

// Merges one piece of n >= 1 bytes; writes its ids to out (at most n) and returns their count.
static size_t merge_piece(Bpe *b, const uint8_t *p, size_t n, int32_t *out) {
    if (n == 1) {
        out[0] = b->byte_id[p[0]];
        return 1;
    }
    ensure_scratch(b, n);
    int32_t *id = b->sym_id, *next = b->sym_next, *prev = b->sym_prev;
    uint64_t *heap = b->heap;
    size_t hn = 0;
    int32_t merged;
    for (size_t i = 0; i < n; i++) {
        id[i] = b->byte_id[p[i]];
        prev[i] = (int32_t)i - 1;
        next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        int32_t r = pair_rank(b, id[i], id[i + 1], &merged);
        if (r >= 0) heap_push(heap, &hn, (uint64_t)r << 32 | i);
    }
    while (hn > 0) {
        uint64_t top = heap_pop(heap, &hn);
        int32_t r = (int32_t)(top >> 32), i = (int32_t)(top & 0xFFFFFFFFu);
        int32_t j = next[i];
        // Entries go stale when a neighbour merges first: the pair there must still be this merge.
        if (id[i] == SYM_GONE || j < 0 || pair_rank(b, id[i], id[j], &merged) != r) continue;
        id[i] = merged;
        id[j] = SYM_GONE;
        next[i] = next[j];
        if (next[j] >= 0) prev[next[j]] = i;
        int32_t pi = prev[i], ni = next[i];
        if (pi >= 0 && (r = pair_rank(b, id[pi], id[i], &merged)) >= 0)
            heap_push(heap, &hn, (uint64_t)r << 32 | (uint32_t)pi);
        if (ni >= 0 && (r = pair_rank(b, id[i], id[ni], &merged)) >= 0)
            heap_push(heap, &hn, (uint64_t)r << 32 | (uint32_t)i);
    }
    size_t k = 0;
    for (int32_t i = 0; i >= 0; i = next[i]) out[k++] = id[i];
    return k;
}

static void cache_clear(Bpe *b) {
    memset(b->cache, 0, CACHE_SLOTS * sizeof *b->cache);
    b->cache_entries = b->cache_text_used = b->cache_ids_used = 0;
}

// Encodes one piece through the cache; returns the number of ids written to out (<= n).
static size_t encode_piece(Bpe *b, const uint8_t *p, size_t n, int32_t *out) {
    if (n > CACHE_MAX_PIECE || n == 1) return merge_piece(b, p, n, out);
    if (!b->cache) {
        b->cache = xmalloc("bpe cache", CACHE_SLOTS * sizeof *b->cache);
        b->cache_text = xmalloc("bpe cache", CACHE_TEXT_BYTES);
        b->cache_ids = xmalloc("bpe cache", CACHE_IDS * sizeof(int32_t));
        cache_clear(b);
    }
    uint64_t h = hash_bytes(p, n);
    uint32_t mask = CACHE_SLOTS - 1, i = (uint32_t)h & mask;
    for (;; i = (i + 1) & mask) {
        CacheSlot *c = &b->cache[i];
        if (c->text_len == 0) break;
        if (c->hash == h && c->text_len == n && memcmp(b->cache_text + c->text_off, p, n) == 0) {
            memcpy(out, b->cache_ids + c->ids_off, c->n_ids * sizeof(int32_t));
            return c->n_ids;
        }
    }
    size_t k = merge_piece(b, p, n, out);
    if (b->cache_entries == CACHE_MAX_ENTRIES || b->cache_text_used + n > CACHE_TEXT_BYTES ||
        b->cache_ids_used + k > CACHE_IDS) {
        cache_clear(b);
        i = (uint32_t)h & mask;
        while (b->cache[i].text_len != 0) i = (i + 1) & mask;
    }
    CacheSlot *c = &b->cache[i];
    *c = (CacheSlot){.hash = h,
                     .text_off = b->cache_text_used,
                     .ids_off = b->cache_ids_used,
                     .text_len = (uint16_t)n,
                     .n_ids = (uint16_t)k};
    memcpy(b->cache_text + c->text_off, p, n);
    memcpy(b->cache_ids + c->ids_off, out, k * sizeof(int32_t));
    b->cache_text_used += (uint32_t)n;
    b->cache_ids_used += (uint32_t)k;
    b->cache_entries++;
    return k;
}

// ---------------------------------------------------------------------------------------------
// encode / decode

typedef struct {
    Bpe *b;
    int32_t *ids;
    size_t n, max;
} IdSink;

static int id_piece(void *ctx, const uint8_t *piece, size_t len, ErrMsg *e) {
    IdSink *k = ctx;
    if (k->max - k->n >= len) {
        k->n += encode_piece(k->b, piece, len, k->ids + k->n);
        return 0;
    }
    // Near the end of the buffer: encode aside, since a piece never has more ids than bytes.
    int32_t small[CACHE_MAX_PIECE];
    int32_t *tmp = len <= CACHE_MAX_PIECE ? small : xmalloc("bpe", len * sizeof(int32_t));
    size_t got = encode_piece(k->b, piece, len, tmp);
    int fits = k->max - k->n >= got;
    if (fits) memcpy(k->ids + k->n, tmp, got * sizeof(int32_t));
    if (tmp != small) xfree(tmp);
    if (!fits)
        return err_set(e, "bpe_encode: the text is longer than max_ids (%zu) tokens", k->max);
    k->n += got;
    return 0;
}

// First position of needle (len > 0) in text[0..n), or n.
static size_t find_bytes(const uint8_t *text, size_t n, const uint8_t *needle, size_t len) {
    for (size_t pos = 0; pos + len <= n;) {
        const uint8_t *hit = memchr(text + pos, needle[0], n - len + 1 - pos);
        if (!hit) break;
        pos = (size_t)(hit - text);
        if (memcmp(hit, needle, len) == 0) return pos;
        pos++;
    }
    return n;
}

// Where each special token next occurs, so that a text with many occurrences of one special is
// not rescanned for the others: at[s] is the first position of special s at or after where it
// was last searched from (n when none); it is searched again only once pos has passed it.
typedef struct {
    size_t small[8];
    size_t *at;  // (n_specials)
} SpecialScan;

// Earliest special token at or after pos (the longest one there): its id, position in *found;
// -1 when none is left.
static int32_t next_special(const Bpe *b, SpecialScan *scan, const uint8_t *text, size_t n,
                            size_t pos, size_t *found) {
    int32_t best = -1;
    size_t best_at = n, best_len = 0;
    for (int32_t s = 0; s < b->n_specials; s++) {
        int32_t id = b->special_ids[s];
        size_t len = (size_t)(b->off[id + 1] - b->off[id]);
        if (scan->at[s] < pos)  // consumed or overlapped: search again from pos
            scan->at[s] = pos + find_bytes(text + pos, n - pos, b->blob + b->off[id], len);
        size_t at = scan->at[s];
        if (at < n && (at < best_at || (at == best_at && len > best_len))) {
            best = id;
            best_at = at;
            best_len = len;
        }
    }
    *found = best_at;
    return best;
}

int64_t bpe_encode(Bpe *b, const uint8_t *text, size_t n, int allow_special, int32_t *ids,
                   size_t max_ids, ErrMsg *e) {
    IdSink k = {.b = b, .ids = ids, .max = ids ? max_ids : 0};
    SpecialScan scan;
    int use_specials = allow_special && b->n_specials > 0;
    if (use_specials) {
        size_t ns = (size_t)b->n_specials;
        scan.at = ns <= 8 ? scan.small : xmalloc("bpe", ns * sizeof *scan.at);
        for (size_t s = 0; s < ns; s++) {
            int32_t id = b->special_ids[s];
            size_t len = (size_t)(b->off[id + 1] - b->off[id]);
            scan.at[s] = find_bytes(text, n, b->blob + b->off[id], len);
        }
    }
    int64_t rc = 0;
    size_t pos = 0;
    while (pos < n && rc == 0) {
        size_t at = n;
        int32_t special = use_specials ? next_special(b, &scan, text, n, pos, &at) : -1;
        size_t end = special >= 0 ? at : n;
        if (bpe_split_text(b->splitter, text + pos, end - pos, id_piece, &k, e) != 0) {
            rc = -1;
            break;
        }
        pos = end;
        if (special >= 0) {
            if (k.n == k.max) {
                rc = err_set(e, "bpe_encode: the text is longer than max_ids (%zu) tokens", k.max);
                break;
            }
            k.ids[k.n++] = special;
            pos += (size_t)(b->off[special + 1] - b->off[special]);
        }
    }
    if (use_specials && scan.at != scan.small) xfree(scan.at);
    return rc < 0 ? -1 : (int64_t)k.n;
}

int64_t bpe_decode(const Bpe *b, const int32_t *ids, size_t n, uint8_t *out, size_t out_size,
                   ErrMsg *e) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= b->V)
            return err_set(e, "bpe_decode: id %d at position %zu is outside the vocabulary 0..%d",
                           id, i, b->V - 1);
        size_t len = (size_t)(b->off[id + 1] - b->off[id]);
        if (total < out_size) {
            size_t room = out_size - total;
            memcpy(out + total, b->blob + b->off[id], len < room ? len : room);
        }
        total += len;
    }
    return (int64_t)total;
}
