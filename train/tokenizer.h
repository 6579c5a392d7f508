/* train/tokenizer.h — character tokenizer for the built-in tasks and users' JSONL data.
   Ids 0..3 are the special tokens PAD, BOS, EOS, SEP; ids 4.. are the characters of the charset in
   order. The charset (a string of distinct printable ASCII characters) is the tokenizer's whole
   state: checkpoints store it, and the same charset gives the same ids. */
#ifndef CONCORD_TRAIN_TOKENIZER_H
#define CONCORD_TRAIN_TOKENIZER_H

#include <stdint.h>

#include "util/err.h"

enum { TOK_PAD = 0, TOK_BOS = 1, TOK_EOS = 2, TOK_SEP = 3, TOK_FIRST_CHAR = 4 };

#define TOKENIZER_MAX_CHARS 124

/* Characters of the built-in arithmetic task and its judge template. */
#define TOKENIZER_DEFAULT_CHARSET "0123456789+-*=?YN "

typedef struct {
    char charset[TOKENIZER_MAX_CHARS + 1];  // NUL-terminated, distinct characters
    int n_chars;                            // strlen(charset)
    int16_t id_of[256];                     // byte -> id, -1 when not in the vocabulary
} Tokenizer;

/* Builds a tokenizer from a charset. Errors: empty, too long, duplicate or non-printable
   characters (message names the character and its position). */
int tokenizer_init(Tokenizer *tok, const char *charset, ErrMsg *e) WARN_UNUSED_RESULT;

/* Vocabulary size: TOK_FIRST_CHAR + n_chars. */
int tokenizer_vocab_size(const Tokenizer *tok);

/* Encodes text into ids (no BOS/EOS added). Returns the number of ids written (<= max_ids), or
   err_set naming the first character outside the vocabulary and its column (1-based), or
   "longer than max_ids". */
int tokenizer_encode(const Tokenizer *tok, const char *text, int32_t *ids, int max_ids,
                     ErrMsg *e) WARN_UNUSED_RESULT;

/* Decodes ids into text (special tokens: PAD, BOS dropped; EOS ends the text; SEP as '|').
   Writes at most out_size-1 characters plus NUL; returns the length written. */
int tokenizer_decode(const Tokenizer *tok, const int32_t *ids, int n, char *out, int out_size);

/* Id of '0' when the digits 0-9 have consecutive ids (charset holds "0123456789"), else -1. */
int tokenizer_digit0(const Tokenizer *tok);

/* Text of a single id ("<pad>", "<bos>", "<eos>", "<sep>", or the character); "<?>" if invalid. */
const char *tokenizer_token_text(const Tokenizer *tok, int32_t id, char buf[8]);

#endif
