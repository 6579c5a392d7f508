#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py — writes the binary seed files of the fuzz harnesses.

Usage: make_seeds.py SEEDS_DIR   (writes SEEDS_DIR/llmc, SEEDS_DIR/safetensors, SEEDS_DIR/bpe,
                                  SEEDS_DIR/hf_config, SEEDS_DIR/small)

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

hf_config: the config.json texts the importer tests write (tests/hf/test_hf.py's gpt2_config,
tests/hf/test_hf_llama.py's hf_config: the fields as transformers writes them, the variants with
SmolLM2's extra fields and with every defaulted field left out) and near misses from their
refusal cases (odd head size, rope_scaling, a mistral model_type, n_ctx against n_positions, ...).

small: ckpt/LATEST files (both name forms, the short path buffer, non-canonical names) and
metrics.jsonl files (lines as concord writes them, nulls, blank lines, a broken line) behind the
settings byte fuzz_small.c describes.
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


def gpt2_config(vocab=64, positions=16, embd=32, layers=2, heads=4):
    """As tests/hf/test_hf.py writes it."""
    return {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
            "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": positions,
            "n_embd": embd, "n_head": heads, "n_layer": layers, "n_positions": positions,
            "vocab_size": vocab, "resid_pdrop": 0.1, "bos_token_id": 50256}


def llama_config(V=61, C=32, L=2, NH=4, KV=2, F=48, theta=10000.0, eps=1e-5, tied=True, T=16,
                 drop=(), **extra):
    """As tests/hf/test_hf_llama.py writes it (transformers' LlamaConfig fields)."""
    c = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
         "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "head_dim": C // NH,
         "hidden_act": "silu", "hidden_size": C, "initializer_range": 0.02,
         "intermediate_size": F, "max_position_embeddings": T, "mlp_bias": False,
         "num_attention_heads": NH, "num_hidden_layers": L, "num_key_value_heads": KV,
         "pretraining_tp": 1, "rms_norm_eps": eps, "rope_scaling": None, "rope_theta": theta,
         "tie_word_embeddings": tied, "torch_dtype": "bfloat16", "use_cache": True,
         "vocab_size": V}
    for k in drop:
        c.pop(k)
    c.update(extra)
    return c


def write_hf_config(out):
    os.makedirs(out, exist_ok=True)
    defaults = ("num_key_value_heads", "rope_theta", "tie_word_embeddings", "hidden_act",
                "head_dim", "rope_scaling", "attention_bias", "mlp_bias", "model_type")
    seeds = {
        "gpt2.json": gpt2_config(),
        "gpt2_50257.json": gpt2_config(vocab=50257, positions=8, embd=8, layers=1, heads=2),
        "gpt2_n_ctx_only.json": {k: v for k, v in gpt2_config().items() if k != "n_positions"},
        "gpt2_ctx_disagree.json": dict(gpt2_config(), n_ctx=8),
        "gpt2_relu.json": dict(gpt2_config(), activation_function="relu"),
        "gpt2_n_inner.json": dict(gpt2_config(), n_inner=96),
        "llama_gqa_tied.json": llama_config(),
        "llama_smollm2_fields.json": llama_config(rope_interleaved=False, is_llama_config=True),
        "llama_defaults.json": llama_config(KV=4, tied=False, drop=defaults),
        "llama_untied_theta.json": llama_config(tied=False, theta=500000.0, eps=1e-6),
        "llama_smollm2_135m.json": llama_config(V=49152, C=576, L=30, NH=9, KV=3, F=1536,
                                                T=8192, theta=100000.0, rope_interleaved=False,
                                                is_llama_config=True),
        "llama_odd_head.json": llama_config(C=36),
        "llama_rope_scaling.json": llama_config(rope_scaling={"type": "linear", "factor": 2.0}),
        "llama_head_dim.json": llama_config(head_dim=16),
        "mistral.json": llama_config(model_type="mistral", architectures=["MistralForCausalLM"]),
        "llama_gpt2_both.json": dict(gpt2_config(), architectures=["LlamaForCausalLM"]),
    }
    for name, cfg in seeds.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(cfg, f, indent=2)
    with open(os.path.join(out, "not_json.json"), "w") as f:
        f.write('{"n_embd": 32,,}')


def write_small(out):
    """fuzz_small.c's settings byte: bit 0 metrics (1) or LATEST (0); LATEST: bit 1 a short path
    buffer; metrics: bits 1-2 reader (column, list, levels), bits 3-4 key (loss,
    greedy_acc_by_model, accuracy_by_level, round), bits 5-7 capacity (0 1 2 3 5 8 13 64)."""
    os.makedirs(out, exist_ok=True)

    def metrics(reader, key, cap):
        return bytes([1 | reader << 1 | key << 3 | cap << 5])

    lines = [
        {"round": 0, "phase": "sft", "greedy_acc": 0.704, "judge_acc": None,
         "accuracy_by_level": {"2": 0.704}, "loss": 0.79917093735283,
         "seconds": {"train": 39.6, "eval": 0.87}},
        {"round": 1, "phase": "round", "greedy_acc": 0.75, "loss": None,
         "greedy_acc_by_model": [0.7, None, 0.8], "accuracy_by_level": {"3": 0.5, "2": 0.9}},
        {"round": 2, "loss": 1e300, "greedy_acc_by_model": [0.71, 0.72, 0.73, 0.74, 0.75],
         "accuracy_by_level": {"10": 0.1, "-1": 0.2, "x": 0.3}},
    ]
    jsonl = "".join(json.dumps(x) + "\n" for x in lines).encode()
    seeds = {
        "latest_round.bin": b"\0round_0003.h5\n",
        "latest_step.bin": b"\0round_0003-step_00000120.h5\n",
        "latest_short_buffer.bin": b"\2round_0000.h5\n",
        "latest_not_canonical.bin": b"\0round_3.h5\n",
        "latest_path.bin": b"\0../round_0001.h5\r\n ",
        "metrics_column_loss.bin": metrics(0, 0, 7) + jsonl,
        "metrics_list_by_model.bin": metrics(1, 1, 3) + jsonl,
        "metrics_levels.bin": metrics(2, 2, 6) + jsonl,
        "metrics_column_round_cap1.bin": metrics(0, 3, 1) + jsonl + b"\n\n",
        "metrics_no_round.bin": metrics(0, 0, 7) + b'{"loss": 2}\n{"round": null}\n',
        "metrics_broken_line.bin": metrics(0, 0, 7) + jsonl + b'{"round": 3, \n',
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main():
    out = sys.argv[1]
    write_llmc(os.path.join(out, "llmc"))
    write_safetensors(os.path.join(out, "safetensors"))
    write_bpe(os.path.join(out, "bpe"))
    write_hf_config(os.path.join(out, "hf_config"))
    write_small(os.path.join(out, "small"))


if __name__ == "__main__":
    main()
