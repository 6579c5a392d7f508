/* tests/smol_tokenizer_fixture.h — a tiny tokenizer.json with the structure of SmolLM2's (which
   the tests cannot download): special tokens <|endoftext|> 0, <|im_start|> 1, <|im_end|> 2 in
   added_tokens and model.vocab, the 256 byte tokens at 3..258, a few merges, pre_tokenizer a
   Sequence of Digits (individual_digits as asked) then ByteLevel, ByteLevel post_processor and
   decoder, no normalizer. Shared by tests/test_smol_tokenizer.c and tests/test_hf_tokenizer.c. */
#ifndef CONCORD_TESTS_SMOL_TOKENIZER_FIXTURE_H
#define CONCORD_TESTS_SMOL_TOKENIZER_FIXTURE_H

#include <stdio.h>

#include "train/bpe.h"

enum {
    SMOL_EOT = 0,
    SMOL_IM_START = 1,
    SMOL_IM_END = 2,
    SMOL_BYTE0 = 3,  // byte b has id SMOL_BYTE0 + b
    SMOL_AB = 259,
    SMOL_ABC,
    SMOL_12,
    SMOL_SP_X,
    SMOL_US,
    SMOL_USE,
    SMOL_USER,
    SMOL_V
};

/* pre_tokenizer values for smol_write_tokenizer_json. */
#define SMOL_PRE_DIGITS(individual)                                                \
    "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", "         \
    "\"individual_digits\": " individual                                           \
    "}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": " \
    "true, \"use_regex\": true}]}"
#define SMOL_PRE_PLAIN                                                                \
    "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, " \
    "\"use_regex\": true}"

/* Writes the tokenizer.json to path with the given pre_tokenizer JSON and added_tokens entries
   (the special flags of the three; NULL = all three special as in SmolLM2). 0, or -1 when the
   file cannot be written. */
static int smol_write_tokenizer_json(const char *path, const char *pre, const char *added) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    static const char *const std_added =
        "[{\"id\": 0, \"content\": \"<|endoftext|>\", \"single_word\": false, \"lstrip\": false, "
        "\"rstrip\": false, \"normalized\": false, \"special\": true},"
        " {\"id\": 1, \"content\": \"<|im_start|>\", \"single_word\": false, \"lstrip\": false, "
        "\"rstrip\": false, \"normalized\": false, \"special\": true},"
        " {\"id\": 2, \"content\": \"<|im_end|>\", \"single_word\": false, \"lstrip\": false, "
        "\"rstrip\": false, \"normalized\": false, \"special\": true}]";
    fprintf(f,
            "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null,\n"
            " \"added_tokens\": %s,\n \"normalizer\": null,\n \"pre_tokenizer\": %s,\n"
            " \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, "
            "\"trim_offsets\": false, \"use_regex\": true},\n"
            " \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, "
            "\"trim_offsets\": true, \"use_regex\": true},\n"
            " \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, "
            "\"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": "
            "false, \"byte_fallback\": false, \"ignore_merges\": false,\n  \"vocab\": {"
            "\"<|endoftext|>\": 0, \"<|im_start|>\": 1, \"<|im_end|>\": 2",
            added ? added : std_added, pre);
    for (int b = 0; b < 256; b++) {
        uint32_t cp = bpe_byte_to_unicode((uint8_t)b);
        fputs(", \"", f);
        if (cp == '"' || cp == '\\') fputc('\\', f);
        if (cp < 0x80)
            fputc((int)cp, f);
        else
            fprintf(f, "%c%c", 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F));
        fprintf(f, "\": %d", SMOL_BYTE0 + b);
    }
    fprintf(f,
            ", \"ab\": %d, \"abc\": %d, \"12\": %d, \"\xc4\xa0x\": %d, \"us\": %d, \"use\": %d, "
            "\"user\": %d},\n  \"merges\": [\"a b\", \"ab c\", \"1 2\", \"\xc4\xa0 x\", "
            "\"u s\", \"us e\", \"use r\"]}}\n",
            SMOL_AB, SMOL_ABC, SMOL_12, SMOL_SP_X, SMOL_US, SMOL_USE, SMOL_USER);
    return fclose(f) == 0 ? 0 : -1;
}

#endif
