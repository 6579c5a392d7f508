#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py — writes the binary seed files of the fuzz harnesses.

Usage: make_seeds.py SEEDS_DIR   (writes SEEDS_DIR/llmc, SEEDS_DIR/safetensors, SEEDS_DIR/bpe)

llmc: each file is an llm.c GPT-2 model file (a 256 x int32 header, then fp32 weights; see io/llmc.h)
for a tiny model, or a near miss of one that io/llmc refuses with its own message: version 1 and
version 5 headers, a wrong magic, a file one float short or one float long, a header with a zero
size. The weights are a fixed pattern (NaN, infinities, -0 and denormals included) so the files
are the same on every run.

safetensors: tiny files with F32, F16, BF16 and I64 tensors, a scalar, an empty tensor and
__metadata__, written by the format's definition (io/safetensors.h), and near misses: a gap, an
overlap, a header length beyond the file.

bpe: tokenizer files over GPT-2's 256 byte tokens plus a few merges, in the three forms the
loaders read (tokenizer.json, also in SmolLM2's shape with digits split and ChatML specials;
vocab.json + merges.txt; encoder.json + vocab.bpe), each followed by a text to encode; fuzz_bpe.c
describes the layout.
"""
import json
import math
import os
import struct
import sys

MAGIC, VERSION = 20240326, 3


def n_params(T, V, L, NH, C, Vp):
    return Vp * C + T * C + L * (12 * C * C + 13 * C) + 2 * C


def model(T=4, V=5, L=1, NH=2, C=4, Vp=8, version=VERSION, magic=MAGIC, extra=0):
    header = [0] * 256
    header[:8] = [magic, version, T, V, L, NH, C, Vp]
    special = [float("nan"), float("inf"), -float("inf"), -0.0, 5e-45, 1.0, -2.5, 1e30]
    n = max(0, n_params(T, V, L, NH, C, Vp) + extra)
    weights = [special[k % len(special)] if k % 7 == 0 else math.sin(k) for k in range(n)]
    return struct.pack("<256i", *header) + struct.pack("<%df" % n, *weights)


def write_llmc(out):
    os.makedirs(out, exist_ok=True)
    seeds = {
        "valid_l1.bin": model(),
        "valid_l2_nh1.bin": model(L=2, NH=1, T=3, V=6, Vp=6),
        "version1.bin": model(version=1),
        "version5_bf16.bin": model(version=5),
        "wrong_magic.bin": model(magic=20240327),
        "one_float_short.bin": model(extra=-1),
        "one_float_long.bin": model(extra=1),
        "zero_heads.bin": model(NH=0)[:1024],
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def safetensors(entries, metadata=None, pad=True, extra=b"", header_len=None):
    """entries: (name, dtype, shape, raw bytes) in data order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-(8 + len(text)) % 8)
    n = len(text) if header_len is None else header_len
    return struct.pack("<Q", n) + text + data + extra


def write_safetensors(out):
    os.makedirs(out, exist_ok=True)
    f32 = struct.pack("<6f", 1.0, -2.0, float("nan"), float("inf"), 5e-45, -0.0)
    f16 = struct.pack("<4H", 0x3C00, 0x7C00, 0x0001, 0xFE00)
    bf16 = struct.pack("<3H", 0x3F80, 0x7F80, 0x8001)
    i64 = struct.pack("<2q", 7, -1)
    good = [("h.0.w", "F32", [2, 3], f32), ("h.0.b", "F16", [4], f16),
            ("ln.w", "BF16", [3], bf16), ("steps", "I64", [2], i64),
            ("scalar", "F32", [], struct.pack("<f", 3.5)), ("empty", "F32", [0, 4], b"")]
    seeds = {
        "mixed.safetensors": safetensors(good, {"format": "pt"}),
        "unpadded.safetensors": safetensors(good[:2], pad=False),
        "trailing_bytes.safetensors": safetensors(good[:1], extra=b"\0" * 4),
        "header_beyond_file.safetensors": safetensors(good[:1], header_len=1 << 20),
        "no_tensors.safetensors": safetensors([], {"format": "pt"}),
    }
    gap = safetensors(good[:2])
    seeds["gap.safetensors"] = gap.replace(b'"data_offsets": [24, 32]', b'"data_offsets": [28, 32]')
    seeds["overlap.safetensors"] = gap.replace(b'"data_offsets": [24, 32]',
                                               b'"data_offsets": [20, 28]')
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def byte_to_unicode():
    """GPT-2's map of the 256 bytes to printable code points."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + \
        list(range(0xAE, 0x100))
    cps, n = list(keep), 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            cps.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(keep, cps)}


def write_bpe(out):
    os.makedirs(out, exist_ok=True)
    m = byte_to_unicode()
    vocab = {m[b]: b for b in range(256)}
    merges = []
    for a, b in [("h", "e"), ("l", "l"), ("he", "ll"), (m[32], "w"), ("o", "r")]:
        merges.append((a, b))
        vocab[a + b] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    sep = b"\n=====\n"
    text = "hello world <|endoftext|> \u00e9\xff".encode("utf-8", "surrogateescape")
    vocab_json = json.dumps(vocab).encode()
    merges_txt = ("#version: 0.2\n" + "".join("%s %s\n" % p for p in merges)).encode()
    tok_json = json.dumps({
        "model": {"type": "BPE", "vocab": vocab, "merges": ["%s %s" % p for p in merges]},
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
        "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>",
                          "special": True}]}).encode()
    # SmolLM2's shape: digits split one by one before ByteLevel, ChatML special tokens
    chat_vocab = dict(vocab)
    for name in ["<|im_start|>", "<|im_end|>"]:
        chat_vocab[name] = len(chat_vocab)
    smol_json = json.dumps({
        "model": {"type": "BPE", "vocab": chat_vocab, "merges": ["%s %s" % p for p in merges]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}]},
        "added_tokens": [{"id": chat_vocab[t], "content": t, "special": True}
                         for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]]}).encode()
    chat_text = "<|im_start|>user\nhello 123 \u00b2\u0663<|im_end|>\n\xff42".encode(
        "utf-8", "surrogateescape")
    seeds = {
        "tokenizer_json.bin": bytes([0]) + tok_json + sep + sep + text,
        "tokenizer_json_digits.bin": bytes([0 | 4]) + smol_json + sep + sep + chat_text,
        "hf_vocab_merges.bin": bytes([1]) + vocab_json + sep + merges_txt + sep + text,
        "openai_encoder_vocab.bin": bytes([2 | 4]) + vocab_json + sep + merges_txt + sep + text,
        "no_merges.bin": bytes([1]) + vocab_json + sep + b"#version: 0.2\n" + sep + text,
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main():
    out = sys.argv[1]
    write_llmc(os.path.join(out, "llmc"))
    write_safetensors(os.path.join(out, "safetensors"))
    write_bpe(os.path.join(out, "bpe"))


if __name__ == "__main__":
    main()
