/* train/bpe.h — GPT-2 byte-level BPE tokenizer: loaders for the three common file forms, encode,
   decode, and a flat-array form for storing the tokenizer inside a checkpoint.

   Encoding runs in three steps, each as in GPT-2:
   1. special tokens (e.g. "<|endoftext|>") are cut out of the text when the caller allows them;
      otherwise they are ordinary text;
   2. the rest is split into pieces by GPT-2's pre-tokenization pattern (PCRE2, Unicode
      properties): contractions, letter runs, number runs, other-symbol runs, whitespace runs;
      a tokenizer that splits digits (bpe_set_digits) first cuts out every digit (or run of
      digits) as a piece of its own and applies the pattern to the text between them;
   3. each piece's bytes start as one token per byte and adjacent tokens merge, lowest merge rank
      first (leftmost first among equal ranks), until no adjacent pair is a merge.
   Every byte string encodes, including invalid UTF-8: each maximal run of bytes that is not part
   of a well-formed UTF-8 character is a piece of its own, and the valid text between such runs
   is split as if it were a whole text. decode(encode(x)) == x for any bytes x.

   A Bpe owns a per-piece cache and scratch buffers, so bpe_encode on one Bpe is not thread-safe;
   everything taking a const Bpe * is. */
#ifndef CONCORD_TRAIN_BPE_H
#define CONCORD_TRAIN_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct Bpe Bpe;

/* The special token of GPT-2's vocabulary (id 50256 there). */
#define BPE_ENDOFTEXT "<|endoftext|>"

/* Digit pre-splitting before GPT-2's pattern (Hugging Face's Digits pre-tokenizer): none, each
   digit its own piece (individual_digits true, SmolLM2), or each run of digits one piece
   (individual_digits false). A digit is a character of Unicode category N (Nd, Nl, No: Rust's
   char::is_numeric, which Hugging Face's tokenizers use). */
typedef enum { BPE_DIGITS_NONE = 0, BPE_DIGITS_INDIVIDUAL = 1, BPE_DIGITS_RUNS = 2 } BpeDigits;

/* Flat form of a tokenizer: exactly what bpe_from_arrays needs to rebuild an identical one, and
   what a checkpoint stores. Pointers from bpe_arrays are borrowed from the Bpe. */
typedef struct {
    int32_t n_tokens;              // vocabulary size V, special tokens included
    const uint8_t *token_bytes;    // (token_offsets[V]) every token's bytes, in id order
    const int64_t *token_offsets;  // (V + 1) token i is token_bytes[off[i] .. off[i+1])
    int32_t n_merges;              // number of merges
    const int32_t *merges;         // (n_merges, 2) left id, right id; row r has merge rank r
    int32_t n_specials;            // number of special tokens
    const int32_t *special_ids;    // (n_specials) ids whose bytes are a special token's text
    int32_t split_digits;          // a BpeDigits value (0 = none: GPT-2)
} BpeArrays;

/* ---- loading ---- */

/* Loads a tokenizer from `spec`, which is one of
   - a directory holding tokenizer.json, or vocab.json + merges.txt, or encoder.json + vocab.bpe
     (looked for in that order);
   - a Hugging Face tokenizer.json file;
   - "VOCAB.json,MERGES" naming the two files (MERGES ending in .bpe is read as OpenAI's vocab.bpe).
   Errors name the file, the field or line, and what was expected. */
int bpe_load(Bpe **out, const char *spec, ErrMsg *e) WARN_UNUSED_RESULT;

/* OpenAI's encoder.json (token -> id) and vocab.bpe (first line "#version: ...", then one merge
   "a b" per line). "<|endoftext|>", when in the vocabulary, is the special token. */
int bpe_load_openai(Bpe **out, const char *encoder_json, const char *vocab_bpe,
                    ErrMsg *e) WARN_UNUSED_RESULT;

/* Hugging Face's vocab.json + merges.txt: as bpe_load_openai, the "#version" line optional. */
int bpe_load_hf(Bpe **out, const char *vocab_json, const char *merges_txt,
                ErrMsg *e) WARN_UNUSED_RESULT;

/* Hugging Face tokenizer.json: model.type "BPE", model.vocab, model.merges as "a b" strings or
   ["a", "b"] pairs; added_tokens marked special are the special tokens (ids from the file).
   pre_tokenizer is ByteLevel, or a Sequence of Digits then ByteLevel (SmolLM2's: digits split
   out first, see BpeDigits). Settings that change the algorithm (a normalizer, another
   pre-tokenizer, add_prefix_space, use_regex false, dropout, subword prefixes or suffixes, byte
   fallback, ignore_merges, non-special added tokens outside the vocabulary, added tokens with
   lstrip/rstrip/single_word) are refused, naming the field. */
int bpe_load_tokenizer_json(Bpe **out, const char *path, ErrMsg *e) WARN_UNUSED_RESULT;

/* Rebuilds a tokenizer from flat arrays (copied; the caller keeps ownership). Refused: an empty
   or repeated token, a byte with no single-byte token, a merge naming an id out of range or a
   special, a merge whose joined bytes are no token, a repeated merge, zero merges, a special id
   out of range or repeated, split_digits not a BpeDigits value. */
int bpe_from_arrays(Bpe **out, const BpeArrays *arrays, ErrMsg *e) WARN_UNUSED_RESULT;

/* The flat form of b (borrowed; valid while b lives). bpe_from_arrays of it gives a tokenizer
   with the same ids for every text. */
void bpe_arrays(const Bpe *b, BpeArrays *out);

void bpe_free(Bpe *b);

/* Sets b's digit pre-splitting (the loaders set it from the file); refuses a value that is no
   BpeDigits. */
int bpe_set_digits(Bpe *b, BpeDigits digits, ErrMsg *e) WARN_UNUSED_RESULT;
BpeDigits bpe_digits(const Bpe *b);

/* ---- use ---- */

/* Vocabulary size, special tokens included. */
int32_t bpe_vocab_size(const Bpe *b);

/* Id of the special token whose text is `text`, or -1. */
int32_t bpe_special_id(const Bpe *b, const char *text);

/* Bytes of token id (length in *len), or NULL when id is out of range. */
const uint8_t *bpe_token_bytes(const Bpe *b, int32_t id, size_t *len);

/* Encodes n bytes of text into ids. With allow_special, the text of a special token becomes its
   id; without, it is encoded as ordinary text. Never more ids than bytes, so max_ids = n always
   suffices. Returns the number of ids, or -1 with "longer than max_ids" in e. */
int64_t bpe_encode(Bpe *b, const uint8_t *text, size_t n, int allow_special, int32_t *ids,
                   size_t max_ids, ErrMsg *e) WARN_UNUSED_RESULT;

/* Decodes ids into bytes: writes at most out_size bytes to out (no NUL added) and returns the full
   decoded length, so a call with out_size 0 measures. -1 with e naming the position and the id
   when an id is out of range. */
int64_t bpe_decode(const Bpe *b, const int32_t *ids, size_t n, uint8_t *out, size_t out_size,
                   ErrMsg *e) WARN_UNUSED_RESULT;

/* ---- the pieces, for tests and tools ---- */

/* GPT-2's byte-to-unicode map: the 188 printable bytes ('!'..'~', U+00A1..U+00AC,
   U+00AE..U+00FF) map to themselves, the other 68 to U+0100.. in byte order. Token strings in
   encoder.json, vocab.json, merges and tokenizer.json are written in these characters. */
uint32_t bpe_byte_to_unicode(uint8_t byte);
/* Inverse of bpe_byte_to_unicode: the byte, or -1 when cp is not in the map. */
int bpe_unicode_to_byte(uint32_t cp);

/* Pre-tokenizer on its own (GPT-2's pattern compiled with PCRE2). */
typedef struct BpeSplitter BpeSplitter;

typedef struct {
    size_t start, len;  // a piece is text[start .. start + len)
} BpeSpan;

/* A splitter with GPT-2's pattern alone (no digit pre-splitting). */
int bpe_splitter_new(BpeSplitter **out, ErrMsg *e) WARN_UNUSED_RESULT;
/* Sets the digit pre-splitting of s; refuses a value that is no BpeDigits. */
int bpe_splitter_set_digits(BpeSplitter *s, BpeDigits digits, ErrMsg *e) WARN_UNUSED_RESULT;
void bpe_splitter_free(BpeSplitter *s);

/* Splits n bytes into pieces (no special-token handling); the pieces tile the text in order.
   Returns the number written (at most n), or -1 with e when more than max_spans. */
int64_t bpe_split(BpeSplitter *s, const uint8_t *text, size_t n, BpeSpan *spans, size_t max_spans,
                  ErrMsg *e) WARN_UNUSED_RESULT;

#endif
