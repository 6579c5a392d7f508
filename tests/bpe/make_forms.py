#!/usr/bin/env python3
"""tests/bpe/make_forms.py — writes GPT-2's vocabulary, read from OpenAI's encoder.json + vocab.bpe,
in the other file forms concord reads, so a test can check that every form gives the same ids:

  OUT/hf/vocab.json + OUT/hf/merges.txt    Hugging Face's two files (vocab keys in shuffled order)
  OUT/tj_strings/tokenizer.json            model.merges as "a b" strings
  OUT/tj_pairs/tokenizer.json              model.merges as ["a", "b"] pairs; "<|endoftext|>" only
                                           in added_tokens, not in model.vocab

usage: make_forms.py ENCODER_JSON VOCAB_BPE OUT
"""
import json
import os
import random
import sys

EOT = "<|endoftext|>"


def main():
    enc_path, bpe_path, out = sys.argv[1:4]
    with open(enc_path, encoding="utf-8") as f:
        vocab = json.load(f)
    with open(bpe_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [tuple(line.split(" ")) for line in lines[1:] if line]
    keys = list(vocab)
    random.Random(7).shuffle(keys)
    for d in ("hf", "tj_strings", "tj_pairs"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    with open(os.path.join(out, "hf", "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({k: vocab[k] for k in keys}, f, ensure_ascii=False)
    with open(os.path.join(out, "hf", "merges.txt"), "w", encoding="utf-8") as f:
        f.write("".join(f"{a} {b}\n" for a, b in merges))  # no "#version" line: it is optional

    def tokenizer_json(merge_items, model_vocab):
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": vocab[EOT], "content": EOT, "single_word": False,
                              "lstrip": False, "rstrip": False, "normalized": True,
                              "special": True}],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False,
                              "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True,
                               "trim_offsets": False, "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": "", "end_of_word_suffix": "",
                      "fuse_unk": False, "byte_fallback": False, "vocab": model_vocab,
                      "merges": merge_items},
        }

    with open(os.path.join(out, "tj_strings", "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json([f"{a} {b}" for a, b in merges], vocab), f, ensure_ascii=False)
    without_eot = {k: v for k, v in vocab.items() if k != EOT}
    with open(os.path.join(out, "tj_pairs", "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json([[a, b] for a, b in merges], without_eot), f, ensure_ascii=True,
                  indent=1)


if __name__ == "__main__":
    main()
