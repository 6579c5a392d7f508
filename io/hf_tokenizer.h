/* io/hf_tokenizer.h — a BPE tokenizer as a Hugging Face tokenizer.json, the one file form that
   says everything concord's Bpe holds: the special tokens beyond <|endoftext|> (added_tokens) and
   digit pre-splitting (a Sequence of Digits then ByteLevel, as in SmolLM2's tokenizer.json), which
   vocab.json + merges.txt cannot express. train/bpe.h bpe_load_tokenizer_json reads it back into
   a tokenizer with the same ids for every text. */
#ifndef CONCORD_IO_HF_TOKENIZER_H
#define CONCORD_IO_HF_TOKENIZER_H

#include "train/bpe.h"
#include "util/err.h"

/* The tokenizer.json text of b (caller xfree()s), or NULL with e filled when b cannot be written
   as one: a special token whose text is not valid UTF-8, or equals another token's key. Layout:
   model {type "BPE", vocab: ordinary tokens in GPT-2's byte-to-unicode characters and special
   tokens as their text, merges: "left right" in rank order}; added_tokens: the specials, each
   {id, content, special true, lstrip/rstrip/single_word/normalized false}; normalizer null;
   pre_tokenizer ByteLevel (add_prefix_space false, use_regex true), behind Digits with
   individual_digits true/false when b splits digits; post_processor and decoder ByteLevel. */
char *hf_tokenizer_json(const Bpe *b, ErrMsg *e);

#endif
