/* train/bpe_impl.h — what the tokenizer's files share beyond the public header: the file loaders
   (train/bpe_load.c) build through the core (train/bpe.c) in two steps, so that a loader can look
   merge parts up in the vocabulary it has just built and report a bad merge by its line; the
   core encodes the pieces of the pre-tokenizer (train/bpe_split.c). */
#ifndef CONCORD_TRAIN_BPE_IMPL_H
#define CONCORD_TRAIN_BPE_IMPL_H

#include "train/bpe.h"

/* Step 1: a tokenizer with a vocabulary and no merges yet. Tokens are blob[off[i] .. off[i+1])
   for i < V; specials lists the special ids. `source` names the vocabulary in messages (a file
   name, or "token arrays"). Refuses empty or repeated tokens, missing single-byte tokens, bad or
   repeated special ids. */
Bpe *bpe_new_vocab(const uint8_t *blob, const int64_t *off, int32_t V, const int32_t *specials,
                   int32_t n_specials, const char *source, ErrMsg *e);

/* Id of the token with exactly these bytes (specials included), or -1. */
int32_t bpe_lookup(const Bpe *b, const uint8_t *bytes, size_t len);

/* Step 2: the merges, pairs[2r], pairs[2r+1] for rank r. A bad merge is named "<source> line L"
   when lines is given (lines[r] = its line), else "<source>[r]". Refuses zero merges, ids out of
   range, specials, joined bytes that are no token, repeated merges. Call once. */
int bpe_set_merges(Bpe *b, const int32_t *pairs, int32_t n, const char *source,
                   const int32_t *lines, ErrMsg *e);

/* Writes bytes as they appear in vocabulary files (byte-level characters, UTF-8), in quotes,
   shortened to fit size. Returns buf. */
const char *bpe_quote_bytes(const uint8_t *bytes, size_t len, char *buf, size_t size);

/* Pre-tokenization (train/bpe_split.c) as the encoder uses it: calls piece(ctx, ...) for each
   piece of text[0..n) in order (the pieces tile the text); stops at the first non-zero return. */
typedef int (*BpePieceFn)(void *ctx, const uint8_t *piece, size_t len, ErrMsg *e);
int bpe_split_text(BpeSplitter *s, const uint8_t *text, size_t n, BpePieceFn piece, void *ctx,
                   ErrMsg *e);
/* The splitter's digit setting. */
BpeDigits bpe_splitter_digits(const BpeSplitter *s);

#endif
