/* io/hf_common.h — what the Hugging Face importers and exporters (hf_gpt2, hf_llama,
   hf_tokenizer) share: paths, JSON type names in messages, config.json's integer and boolean
   fields, atomic text files, GPT-2's byte-to-unicode token text, and the checkpoint an import
   writes. */
#ifndef CONCORD_IO_HF_COMMON_H
#define CONCORD_IO_HF_COMMON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "train/params.h"
#include "util/err.h"

#define HF_PATH_MAX 4096  // longest directory or file path handled

/* "an object", "an array", "a string", "a number", "a boolean" or "null": what a field holds,
   for messages. */
const char *hf_json_kind(const cJSON *v);

/* dflt of hf_get_size: the field must be present. */
#define HF_REQUIRED 0

/* config.json's positive integer field (at most INT_MAX) into *out. When absent: *out = dflt if
   dflt >= 1, otherwise (dflt = HF_REQUIRED) refused as missing, the message naming the field,
   what it is, and when of is not NULL, " of " of (the kind of config expected). Returns 0 or -1
   with e naming path and the field. */
int hf_get_size(const char *path, const cJSON *root, const char *field, const char *what,
                const char *of, int dflt, int *out, ErrMsg *e) WARN_UNUSED_RESULT;

/* config.json's optional boolean field into *out (1 or 0); dflt when absent. Returns 0 or -1
   with e naming path and the field when it is not a boolean. */
int hf_get_bool(const char *path, const cJSON *root, const char *field, int dflt, int *out,
                ErrMsg *e) WARN_UNUSED_RESULT;

/* Writes text to exactly path through path.tmp (fsync, rename). Returns 0 or -1 with e naming
   the file. */
int hf_write_text(const char *path, const char *text, ErrMsg *e) WARN_UNUSED_RESULT;

/* A token's bytes in GPT-2's byte-to-unicode characters as UTF-8 (vocab.json / tokenizer.json
   keys); out holds 2 bytes per byte + 1. */
void hf_byte_level_text(char *out, const uint8_t *bytes, size_t n);

/* Writes w as a complete concord checkpoint at exactly out_h5 (round 0, phase sft, no optimizer
   state), with the tokenizer files of dir (if any; their vocabulary must have w's V tokens) and
   an import note naming dir as its config. Frees w. Returns 0 or -1 with e filled. */
int hf_import_checkpoint(const char *dir, const char *out_h5, ParamSlab *w,
                         ErrMsg *e) WARN_UNUSED_RESULT;

#endif
