/* io/ckpt_tokenizer.h — a GPT-2 byte-level BPE tokenizer stored inside a checkpoint, so that a
   checkpoint of an imported model carries the tokenizer it was trained with (as a character
   tokenizer's charset is stored today) and needs no files beside it.
   Layout, in the checkpoint's /tokenizer group (the BPE's flat form, train/bpe.h BpeArrays):
     attribute kind = "gpt2_bpe"
     token_bytes   (n_bytes)      u8   every token's bytes, in id order
     token_offsets (V + 1)        i64  token i is token_bytes[off[i] .. off[i+1])
     merges        (n_merges, 2)  i32  left id, right id; row r has merge rank r
     special_ids   (n_specials)   i32  ids of special tokens such as <|endoftext|>
     attribute pre_split_digits   i32  BpeDigits: 0 none (GPT-2), 1 each digit a piece (SmolLM2),
                                       2 each run of digits; a file without it reads as 0
   Each dataset carries its crc32 like every other dataset of the file. A /tokenizer group without
   the kind attribute holds a character tokenizer (attribute charset) or none. */
#ifndef CONCORD_IO_CKPT_TOKENIZER_H
#define CONCORD_IO_CKPT_TOKENIZER_H

#include <hdf5.h>

#include "train/bpe.h"
#include "util/err.h"

#define CKPT_TOKENIZER_BPE_KIND    "gpt2_bpe"
#define CKPT_TOKENIZER_DIGITS_ATTR "pre_split_digits"

/* Writes b into the open group g (collective: every rank passes the same tokenizer; ranks with
   is_root == 0 write no data). Returns 0 or -1 with e filled (a full disk). */
int ckpt_tokenizer_write_bpe(hid_t g, const Bpe *b, int is_root, hid_t dxpl,
                             ErrMsg *e) WARN_UNUSED_RESULT;

/* One process: reads the BPE tokenizer of checkpoint `path` into *out (caller bpe_free()s), or
   sets *out = NULL when the checkpoint holds none. A damaged or inconsistent tokenizer is refused
   naming the file and the dataset. */
int ckpt_tokenizer_read_bpe(const char *path, Bpe **out, ErrMsg *e) WARN_UNUSED_RESULT;

/* The same on a /tokenizer group already open (path names the file in messages). */
int ckpt_tokenizer_read_bpe_group(hid_t g, const char *path, Bpe **out,
                                  ErrMsg *e) WARN_UNUSED_RESULT;

#endif
