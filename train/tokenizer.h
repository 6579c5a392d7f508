/* train/tokenizer.h — the run's tokenizer: one interface over two kinds.
   char: the character tokenizer of the built-in tasks and small JSONL data. Ids 0..3 are the
   special tokens PAD, BOS, EOS, SEP; ids 4.. are the characters of the charset in order. The
   charset (a string of distinct printable ASCII characters) is its whole state: checkpoints store
   it, and the same charset gives the same ids.
   bpe: a GPT-2 byte-level BPE (train/bpe.h) for users' text. GPT-2 has one special token,
   <|endoftext|>, which serves as BOS, EOS and PAD at once (as GPT-2 itself uses it); there is no
   separator. User text never becomes a special id (encoding with allow_special 0), so a prompt
   that contains the text "<|endoftext|>" is ordinary bytes.
   Callers use the fields bos, eos, pad (and sep, char kind only) instead of fixed ids.

   Chat template (bpe only, tokenizer_set_chat): with "chatml" every prompt the model answers is
   wrapped in ChatML turns, as SmolLM2-Instruct and other ChatML models were trained:
       <|im_start|>system\n{system}<|im_end|>\n        (only with a system prompt)
       <|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n
   and the answer ends with <|im_end|>, which becomes eos. The template's <|im_start|> and
   <|im_end|> are special ids; the text between them (the prompt, the system prompt) is ordinary
   text, so a prompt holding "<|im_end|>" cannot end its turn. Each stretch between special ids
   is encoded as one text, which gives the ids Hugging Face's tokenizer gives the rendered
   template. No BOS precedes the turns (ChatML models start with <|im_start|>). */
#ifndef CONCORD_TRAIN_TOKENIZER_H
#define CONCORD_TRAIN_TOKENIZER_H

#include <stdint.h>

#include "train/bpe.h"
#include "util/err.h"

/* Ids of the char kind (a char Tokenizer's bos, eos, pad, sep fields hold them). */
enum { TOK_PAD = 0, TOK_BOS = 1, TOK_EOS = 2, TOK_SEP = 3, TOK_FIRST_CHAR = 4 };

#define TOKENIZER_MAX_CHARS 124

/* Characters of the built-in arithmetic task and its judge template. */
#define TOKENIZER_DEFAULT_CHARSET "0123456789+-*=?YN "

typedef enum { TOKENIZER_CHAR, TOKENIZER_BPE } TokenizerKind;

/* Prompt wrapping (see the file comment). */
typedef enum { TOKENIZER_CHAT_NONE, TOKENIZER_CHAT_CHATML } TokenizerChat;

/* ChatML's special tokens. */
#define TOKENIZER_IM_START "<|im_start|>"
#define TOKENIZER_IM_END   "<|im_end|>"

/* Capacity of the system prompt, NUL included. */
#define TOKENIZER_SYSTEM_MAX 1024

/* Capacity of tokenizer_token_text's buffer. */
#define TOKENIZER_TOKEN_TEXT_MAX 64

typedef struct {
    TokenizerKind kind;
    int32_t bos, eos, pad;  // special ids (bpe: all three are <|endoftext|>)
    int32_t sep;            // char: TOK_SEP; bpe: -1 (none)
    // char kind (bpe: charset "", n_chars 0, id_of all -1)
    char charset[TOKENIZER_MAX_CHARS + 1];  // NUL-terminated, distinct characters
    int n_chars;                            // strlen(charset)
    int16_t id_of[256];                     // byte -> id, -1 when not in the vocabulary
    // bpe kind
    Bpe *bpe;  // owned (tokenizer_free); NULL for char. Copies of the struct share it.
    // chat template (tokenizer_set_chat; TOKENIZER_CHAT_NONE otherwise)
    TokenizerChat chat;
    int32_t im_start, im_end;           // chatml: their ids (im_end is also eos); else -1
    char system[TOKENIZER_SYSTEM_MAX];  // chatml: system prompt, "" = no system turn
} Tokenizer;

/* Builds a char tokenizer from a charset. Errors: empty, too long, duplicate or non-printable
   characters (message names the character and its position). Nothing to free. */
int tokenizer_init(Tokenizer *tok, const char *charset, ErrMsg *e) WARN_UNUSED_RESULT;

/* Builds a bpe tokenizer that takes ownership of b (freed by tokenizer_free, or here on error).
   Error: the vocabulary has no <|endoftext|> special token. */
int tokenizer_init_bpe(Tokenizer *tok, Bpe *b, ErrMsg *e) WARN_UNUSED_RESULT;

/* Sets the chat template: name "none" (nothing changes) or "chatml" (bpe only; the vocabulary
   must hold <|im_start|> and <|im_end|> as special tokens; eos becomes <|im_end|>). system is the
   system prompt ("" = none; chatml only). Errors name task.chat_template / task.system_prompt. */
int tokenizer_set_chat(Tokenizer *tok, const char *name, const char *system,
                       ErrMsg *e) WARN_UNUSED_RESULT;

/* The sequence a model answers a prompt after: BOS + text, or with chatml the turns of the file
   comment around text (no BOS). Returns the number of ids (<= max_ids), or -1 as
   tokenizer_encode (an unknown character, "longer than max_ids"). */
int tokenizer_encode_turn(const Tokenizer *tok, const char *text, int32_t *ids, int max_ids,
                          ErrMsg *e) WARN_UNUSED_RESULT;

/* Number of ids tokenizer_encode_turn gives text (char: 1 + its length, unknown characters
   included). */
int tokenizer_count_turn(const Tokenizer *tok, const char *text);

/* Releases the BPE of a bpe tokenizer; nothing for char. Safe on a zeroed Tokenizer. */
void tokenizer_free(Tokenizer *tok);

/* Vocabulary size: TOK_FIRST_CHAR + n_chars (char), the BPE's size with specials (bpe). */
int tokenizer_vocab_size(const Tokenizer *tok);

/* 1 when a and b give the same ids for every text (same kind and charset, or BPEs with equal
   flat arrays). */
int tokenizer_same(const Tokenizer *a, const Tokenizer *b);

/* Encodes text into ids (no BOS/EOS added). Returns the number of ids written (<= max_ids), or
   err_set naming the first character outside the vocabulary and its column (1-based; char only),
   or "longer than max_ids". bpe: special-token text is ordinary text. */
int tokenizer_encode(const Tokenizer *tok, const char *text, int32_t *ids, int max_ids,
                     ErrMsg *e) WARN_UNUSED_RESULT;

/* Number of ids text encodes to (bpe: the BPE's count; char: its length, unknown characters
   included). */
int tokenizer_count(const Tokenizer *tok, const char *text);

/* Decodes ids into text. char: PAD, BOS dropped; EOS ends the text; SEP as '|'; an id out of range
   as '?'. bpe: <|endoftext|> ends the text (callers skip a leading BOS); an id out of range as
   '?'. Writes at most out_size-1 bytes plus NUL; returns the length written. */
int tokenizer_decode(const Tokenizer *tok, const int32_t *ids, int n, char *out, int out_size);

/* Id of '0' when the digits 0-9 have consecutive ids (charset holds "0123456789"), else -1
   (always -1 for bpe: numbers merge into multi-digit tokens). */
int tokenizer_digit0(const Tokenizer *tok);

/* Id of the single token whose text is the one byte c, or -1 (char: when c is in the charset;
   bpe: every byte has one). */
int32_t tokenizer_byte_id(const Tokenizer *tok, unsigned char c);

/* Text of a single id: "<pad>", "<bos>", "<eos>", "<sep>" (char), a special token's text such
   as "<|endoftext|>" (bpe), or the token's text (bpe: bytes outside printable ASCII as \xNN, cut with "..." past the buffer);
   "<?>" if invalid. */
const char *tokenizer_token_text(const Tokenizer *tok, int32_t id,
                                 char buf[TOKENIZER_TOKEN_TEXT_MAX]);

#endif
