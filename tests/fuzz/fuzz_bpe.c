/* tests/fuzz/fuzz_bpe.c — libFuzzer harness of the GPT-2 BPE tokenizer loaders (train/bpe.h) and
   of encoding with what they accept.
   Input: one settings byte, then the first file, SEP, the second file, SEP, a text (SEP =
   "\n=====\n"). Settings bits 0-1 pick the form: 0 tokenizer.json (the first file; the second is
   ignored), 1 Hugging Face vocab.json + merges.txt, 2 or 3 OpenAI encoder.json + vocab.bpe; bit 2
   lets the text's special tokens become their ids.
   The loader must accept or refuse without crashing and refuse with a message. With an accepted
   tokenizer: the text encodes in at most one id per byte, decoding gives the text's bytes back,
   and the tokenizer rebuilt from its flat arrays (what a checkpoint stores) encodes the text to
   the same ids. Seeds (tests/fuzz/seeds/bpe) are written by make_seeds.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "train/bpe.h"

#define SEP "\n=====\n"

static char first_path[600], second_path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init("bpe");
    fuzz_path(first_path, sizeof first_path, "vocab.json");
    fuzz_path(second_path, sizeof second_path, "merges.txt");
    return 0;
}

static void check_text(Bpe *b, const uint8_t *text, size_t n, int allow_special) {
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids), *ids2 = malloc((n ? n : 1) * sizeof *ids2);
    uint8_t *back = malloc(n ? n : 1);
    ErrMsg e = {{0}};
    int64_t k = bpe_encode(b, text, n, allow_special, ids, n, &e);
    fuzz_expect(k >= 0 && (size_t)k <= n, "%zu bytes encode to %lld ids: %s", n, (long long)k,
                e.msg);
    int64_t m = bpe_decode(b, ids, (size_t)k, back, n, &e);
    fuzz_expect(m == (int64_t)n && memcmp(back, text, n) == 0,
                "decode(encode(text)) differs from the text (%lld of %zu bytes)", (long long)m, n);
    BpeArrays a;
    bpe_arrays(b, &a);
    Bpe *again = NULL;
    fuzz_expect(bpe_from_arrays(&again, &a, &e) == 0, "its own flat arrays are refused: %s", e.msg);
    int64_t k2 = bpe_encode(again, text, n, allow_special, ids2, n, &e);
    fuzz_expect(k2 == k && memcmp(ids, ids2, (size_t)k * sizeof *ids) == 0,
                "the tokenizer rebuilt from its arrays encodes differently");
    bpe_free(again);
    free(back);
    free(ids2);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t settings = data[0];
    data++, size--;
    size_t len1, len2, len3;
    size_t at2 = fuzz_split(data, size, SEP, &len1);
    size_t at3 = at2 + fuzz_split(data + at2, size - at2, SEP, &len2);
    len3 = size - at3;
    fuzz_write_file(first_path, data, len1);
    fuzz_write_file(second_path, data + at2, len2);

    Bpe *b = NULL;
    ErrMsg e = {{0}};
    int form = settings & 3, rc;
    if (form == 0)
        rc = bpe_load_tokenizer_json(&b, first_path, &e);
    else if (form == 1)
        rc = bpe_load_hf(&b, first_path, second_path, &e);
    else
        rc = bpe_load_openai(&b, first_path, second_path, &e);
    if (rc != 0) {
        fuzz_expect(rc < 0 && b == NULL, "a refused tokenizer was returned (rc %d)", rc);
        fuzz_check_message(&e, "bpe_load");
        return 0;
    }
    fuzz_expect(bpe_vocab_size(b) >= 256, "vocabulary of %d tokens", bpe_vocab_size(b));
    check_text(b, data + at3, len3, (settings >> 2) & 1);
    bpe_free(b);
    return 0;
}
