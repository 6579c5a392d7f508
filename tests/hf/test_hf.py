#!/usr/bin/python3
"""tests/hf/test_hf.py — `concord import-hf` and `concord export-hf` end to end.

A small GPT-2 written here in PyTorch with Hugging Face's module names (Conv1D weights stored
(in, out), LM head tied to wte) gets random weights; its state dict is written as a Hugging Face
directory (config.json + model.safetensors) by the safetensors format itself (8-byte little-endian
header length, JSON header, raw little-endian data), as F32, F16 and BF16, with and without the
"transformer." prefix, with and without lm_head and the attention mask buffers. Then:
  * import-hf of each; concord's logits (test_safetensors logits) against this model's float64
    forward on the same (rounded) weights: normwise relative error <= 1e-5;
  * export-hf of the import: the safetensors file re-read and checked here (F32, sorted keys,
    __metadata__ format pt, 8-byte aligned, contiguous), every tensor equal to the source's,
    config.json's fields right; a fresh model built from the exported config and loaded with the
    exported tensors gives the reference logits; import of the export is bit-identical to the
    first import (h5diff of /model);
  * V = 50257 exports bos/eos_token_id 50256; other V do not; NoPE checkpoints are refused;
  * bad directories and files: each exits 2 with exactly one "error:" line naming the problem,
    nothing on stdout, no crash and no output file.

Usage: test_hf.py CONCORD TEST_SAFETENSORS [--bad-only]
  --bad-only runs only the bad-input cases (tests/test_asan.sh runs them on the ASan build).
Prints "N passed, N failed"; exit status 0 when nothing failed.
Run with /usr/bin/python3 (Debian python3-torch); another python3 on PATH may lack torch.
"""
import json
import math
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch
from torch import nn

TOL = 1e-5  # normwise relative error allowed between concord's float32 logits and float64 ones
V, T, C, L, NH = 61, 16, 32, 2, 4  # a tiny GPT-2; V is not a multiple of the padding
TOKENS = [0, 5, 60, 17, 33, 2, 59, 11, 8, 40, 1, 3, 7, 0, 9, 44]  # T tokens: every wpe row used

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# GPT-2 in Hugging Face's module layout (state dict names as GPT2LMHeadModel's)

class Conv1D(nn.Module):
    """Hugging Face's Conv1D: weight (in, out), y = x @ W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class Attention(nn.Module):
    def __init__(self, c, nh):
        super().__init__()
        self.nh = nh
        self.c_attn = Conv1D(c, 3 * c)
        self.c_proj = Conv1D(c, c)

    def forward(self, x):
        B, S, Cx = x.shape
        hs = Cx // self.nh
        q, k, v = self.c_attn(x).split(Cx, dim=-1)
        q, k, v = (t.view(B, S, self.nh, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        causal = torch.ones(S, S, dtype=torch.bool).tril()
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(B, S, Cx))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = Conv1D(c, 4 * c)
        self.c_proj = Conv1D(4 * c, c)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c, nh, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c, eps=eps)
        self.attn = Attention(c, nh)
        self.ln_2 = nn.LayerNorm(c, eps=eps)
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, eps = cfg["n_embd"], cfg["layer_norm_epsilon"]
        self.wte = nn.Embedding(cfg["vocab_size"], c)
        self.wpe = nn.Embedding(cfg["n_positions"], c)
        self.h = nn.ModuleList(Block(c, cfg["n_head"], eps) for _ in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(c, eps=eps)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.h:
            x = block(x)
        return self.ln_f(x)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transformer = GPT2Model(cfg)
        self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied

    def forward(self, ids):
        return self.lm_head(self.transformer(ids))


def gpt2_config(vocab=V, positions=T, embd=C, layers=L, heads=NH):
    return {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
            "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": positions,
            "n_embd": embd, "n_head": heads, "n_layer": layers, "n_positions": positions,
            "vocab_size": vocab, "resid_pdrop": 0.1, "bos_token_id": 50256}


def random_weights(cfg, seed):
    """State dict (float32, names without prefix) of a GPT-2 with weights large enough that the
    logits spread over several units."""
    torch.manual_seed(seed)
    model = GPT2Model(cfg)
    sd = {}
    for name, p in model.state_dict().items():
        if name.endswith("weight") and p.dim() == 1:  # LayerNorm scales around 1
            sd[name] = 1.0 + 0.1 * torch.randn(p.shape)
        else:
            sd[name] = 0.2 * torch.randn(p.shape)
    return sd


def reference_logits(sd, cfg, ids):
    """float64 logits (S, V) of the weights sd (names without prefix) for one sequence."""
    model = GPT2LMHeadModel(cfg).double()
    model.transformer.load_state_dict({k: v.double() for k, v in sd.items()}, strict=True)
    with torch.no_grad():
        return model(torch.tensor([ids]))[0].numpy()


# ---------------------------------------------------------------------------------------------
# safetensors by the format

ST_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2),
             "I32": (torch.int32, 4), "U8": (torch.uint8, 1)}


def tensor_bytes(t):
    """Raw little-endian bytes of a contiguous tensor (bfloat16 through its int16 view)."""
    t = t.contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def layout(entries):
    """entries: name -> (dtype, shape, bytes). Returns (header dict, data bytes): data in name
    order, offsets contiguous, __metadata__ first."""
    header, data, at = {"__metadata__": {"format": "pt"}}, bytearray(), 0
    for name in sorted(entries):
        dtype, shape, raw = entries[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        data += raw
        at += len(raw)
    return header, bytes(data)


def file_bytes(header_text, data, declared=None):
    """A safetensors file: length (declared, or the header's), header padded to 8, data."""
    h = header_text.encode() if isinstance(header_text, str) else header_text
    h += b" " * ((-8 - len(h)) % 8)
    n = len(h) if declared is None else declared
    return struct.pack("<Q", n) + h + data


def entries_of(sd, dtype):
    tdtype = ST_DTYPES[dtype][0]
    return {k: (dtype, tuple(v.shape), tensor_bytes(v.to(tdtype))) for k, v in sd.items()}


def read_safetensors(path):
    """(header, tensors as float32 torch tensors, problems): problems lists every way the file
    breaks the format or the writer's promises (F32, sorted keys, alignment, contiguity)."""
    raw = open(path, "rb").read()
    problems = []
    n = struct.unpack("<Q", raw[:8])[0]
    if (8 + n) % 8:
        problems.append(f"header length {n}: data not 8-byte aligned")
    text = raw[8:8 + n].decode()
    header = json.loads(text)
    keys = list(header)
    if keys[0] != "__metadata__" or header["__metadata__"] != {"format": "pt"}:
        problems.append(f"__metadata__ not first or not {{'format': 'pt'}}: {keys[:2]}")
    names = [k for k in keys if k != "__metadata__"]
    if names != sorted(names):
        problems.append("tensor keys not sorted")
    data, at, out = raw[8 + n:], 0, {}
    for name in sorted(names, key=lambda k: header[k]["data_offsets"]):
        e = header[name]
        b, en = e["data_offsets"]
        if e["dtype"] != "F32":
            problems.append(f"{name}: dtype {e['dtype']}")
        if b != at or en - b != 4 * math.prod(e["shape"]):
            problems.append(f"{name}: offsets {b, en} not contiguous/consistent")
        at = en
        out[name] = torch.from_numpy(np.frombuffer(data[b:en], dtype="<f4").copy()).view(e["shape"])
    if at != len(data):
        problems.append(f"data section {len(data)} bytes, tensors cover {at}")
    return header, out, problems


def write_hf_dir(d, cfg, entries, header=None, data=None, raw=None):
    """A Hugging Face directory: config.json (dict or raw text) and model.safetensors."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(cfg if isinstance(cfg, str) else json.dumps(cfg, indent=2))
    if raw is None:
        if header is None:
            header, data = layout(entries)
        raw = file_bytes(json.dumps(header), data)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(raw)


# ---------------------------------------------------------------------------------------------
# Running concord

def run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    err = "\n".join(l for l in p.stderr.splitlines() if "WARNING: OpenBLAS" not in l)
    return p.returncode, p.stdout, err


def no_crash(err):
    return not any(s in err for s in ("AddressSanitizer", "runtime error", "Segmentation",
                                      "core dumped", "HDF5-DIAG"))


class Env:
    def __init__(self, concord, helper, work):
        self.concord, self.helper, self.work = concord, helper, work

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def import_ok(self, d, out, *extra):
        rc, so, se = run([self.concord, "import-hf", d, out, *extra])
        check(rc == 0 and no_crash(se), f"import-hf {d}: exit {rc}: {se}")
        return so

    def logits(self, ckpt, ids):
        out = ckpt + ".logits"
        rc, _, se = run([self.helper, "logits", ckpt, out, ",".join(map(str, ids))])
        check(rc == 0, f"logits of {ckpt}: {se}")
        return np.fromfile(out, dtype="<f4").reshape(len(ids), -1) if rc == 0 else None

    def refused(self, name, args, needles, out=None):
        """concord args must exit 2 with one error line holding every needle, no stdout, no
        crash, and create neither out nor out.tmp."""
        if out:
            for p in (out, out + ".tmp"):
                if os.path.exists(p):
                    os.remove(p)
        rc, so, se = run([self.concord, *args])
        lines = [l for l in se.splitlines() if l.strip()]
        errs = [l for l in lines if l.startswith("error:")]
        check(rc == 2, f"{name}: exit {rc}, expected 2: {se}")
        check(len(errs) == 1 and lines and lines[0].startswith("error:"),
              f"{name}: expected one leading 'error:' line, got: {se!r}")
        for n in needles:
            check(n in se, f"{name}: message lacks {n!r}: {se}")
        check(no_crash(se), f"{name}: crashed: {se}")
        check(so == "", f"{name}: unexpected stdout: {so!r}")
        if out:
            check(not os.path.exists(out) and not os.path.exists(out + ".tmp"),
                  f"{name}: output {out} created")


def normwise(a, ref):
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-30))


# ---------------------------------------------------------------------------------------------
# Good models: import, logits, export, re-import

def prefixed(sd, prefix):
    return {prefix + k: v for k, v in sd.items()}


def test_good(env):
    cfg = gpt2_config()
    sd = random_weights(cfg, 1)
    mask = torch.ones(1, 1, T, T).tril()
    variants = [  # dtype, prefix, extra tensors
        ("F32", "transformer.", ("lm_head", "attn.bias")),
        ("F32", "", ()),
        ("F16", "", ("attn.masked_bias",)),
        ("BF16", "transformer.", ("lm_head",)),
    ]
    worst = {}
    for dtype, prefix, extra in variants:
        tag = f"{dtype}{'-prefixed' if prefix else ''}"
        rounded = {k: v.to(ST_DTYPES[dtype][0]).float() for k, v in sd.items()}
        entries = entries_of(prefixed(sd, prefix), dtype)
        if "lm_head" in extra:
            entries["lm_head.weight"] = entries[prefix + "wte.weight"]
        for l in range(L):
            if "attn.bias" in extra:
                entries[f"{prefix}h.{l}.attn.bias"] = ("U8", (1, 1, T, T),
                                                       tensor_bytes(mask.to(torch.uint8)))
            if "attn.masked_bias" in extra:
                entries[f"{prefix}h.{l}.attn.masked_bias"] = ("F32", (), tensor_bytes(
                    torch.tensor(-1e4)))
        d, ck = env.path(tag), env.path(tag + ".h5")
        write_hf_dir(d, cfg, entries)
        so = env.import_ok(d, ck)
        check(f"V={V} Vp=128 T={T} C={C} L={L} NH={NH}" in so, f"{tag}: import summary: {so}")
        ref = reference_logits(rounded, cfg, TOKENS)
        got = env.logits(ck, TOKENS)
        if got is None:
            continue
        err = normwise(got, ref)
        worst[tag] = err
        check(err <= TOL, f"{tag}: logits normwise relative error {err:.3g} > {TOL}")

        # export, check the files, re-import bit-identically
        ex = env.path(tag + "-export")
        rc, so, se = run([env.concord, "export-hf", ck, ex])
        check(rc == 0 and no_crash(se), f"{tag}: export-hf exit {rc}: {se}")
        check(sorted(os.listdir(ex)) == ["config.json", "model.safetensors"],
              f"{tag}: export dir holds {os.listdir(ex)}")
        header, tensors, problems = read_safetensors(os.path.join(ex, "model.safetensors"))
        check(not problems, f"{tag}: exported safetensors: {problems}")
        check(sorted(tensors) == sorted(sd), f"{tag}: exported names {sorted(tensors)[:5]}...")
        for k in sd:
            if k in tensors:
                check(tensors[k].shape == rounded[k].shape and torch.equal(tensors[k], rounded[k]),
                      f"{tag}: exported {k} differs from the source")
        xcfg = json.load(open(os.path.join(ex, "config.json")))
        want = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V,
                "n_positions": T, "n_ctx": T, "n_embd": C, "n_layer": L, "n_head": NH,
                "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new",
                "tie_word_embeddings": True}
        for k, v in want.items():
            check(xcfg.get(k) == v, f"{tag}: exported config {k} = {xcfg.get(k)!r}, expected {v!r}")
        check("bos_token_id" not in xcfg and "eos_token_id" not in xcfg,
              f"{tag}: bos/eos written for V={V}")
        # as a loader would: a model from the exported config, the tensors into its transformer
        if not problems and sorted(tensors) == sorted(sd):
            again = reference_logits(tensors, xcfg, TOKENS)
            check(np.array_equal(again, ref), f"{tag}: exported model's logits differ")
        ck2 = env.path(tag + "-again.h5")
        env.import_ok(ex, ck2)
        rc, so, se = run(["h5diff", ck, ck2, "/model", "/model"])
        check(rc == 0, f"{tag}: import of the export differs from the import: {so}{se}")
    print("logits normwise relative error vs float64 PyTorch: " +
          ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))

    # --vocab-pad-to
    so = env.import_ok(env.path("F32"), env.path("pad64.h5"), "--vocab-pad-to", "64")
    check(f"V={V} Vp=64 " in so, f"--vocab-pad-to 64: {so}")


def test_gpt2_vocab(env):
    """V = 50257: the export names GPT-2's <|endoftext|> as bos and eos."""
    cfg = gpt2_config(vocab=50257, positions=8, embd=8, layers=1, heads=2)
    d = env.path("v50257")
    write_hf_dir(d, cfg, entries_of(random_weights(cfg, 2), "F32"))
    so = env.import_ok(d, env.path("v50257.h5"))
    check("V=50257 Vp=50304 " in so, f"GPT-2 vocabulary padded like llm.c: {so}")
    rc, so, se = run([env.concord, "export-hf", env.path("v50257.h5"), env.path("v50257-ex")])
    check(rc == 0, f"export of V=50257: {se}")
    if rc == 0:
        x = json.load(open(env.path("v50257-ex", "config.json")))
        check(x.get("bos_token_id") == 50256 and x.get("eos_token_id") == 50256,
              f"V=50257 export: bos/eos {x.get('bos_token_id')}/{x.get('eos_token_id')}")


def byte_to_unicode():
    """GPT-2's byte-to-unicode map, written out from its definition."""
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


def small_bpe():
    """A small GPT-2-style vocabulary: the 256 byte tokens, 4 merges, <|endoftext|> last."""
    m = byte_to_unicode()
    vocab = [m[b] for b in range(256)]
    merges = [("\u0120", "t"), ("h", "e"), ("\u0120t", "he"), ("i", "n")]
    vocab += [a + b for a, b in merges] + ["<|endoftext|>"]
    return vocab, merges


def test_tokenizer(env):
    """The BPE beside the weights goes into the checkpoint (h5dump shows it) and comes back out
    of export-hf as the same vocab.json and merges.txt; a vocabulary of another size is refused."""
    vocab, merges = small_bpe()
    cfg = gpt2_config(vocab=len(vocab), positions=8, embd=8, layers=1, heads=2)
    d = env.path("bpe")
    write_hf_dir(d, cfg, entries_of(random_weights(cfg, 3), "F32"))
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    h5 = env.path("bpe.h5")
    env.import_ok(d, h5)
    rc, so, se = run(["h5dump", "-H", h5])
    rc2, so2, _ = run(["h5dump", "-a", "/tokenizer/kind", h5])
    check(rc == 0 and rc2 == 0 and "gpt2_bpe" in so2 and "token_bytes" in so and "merges" in so,
          f"h5dump shows the stored BPE: {so[-400:]} {se}")
    rc, so, se = run(["h5dump", "-d", "/tokenizer/merges", h5])
    check(rc == 0 and "(0,0): 32, 116," in so, f"merge 0 is (Ġ = byte 32, t = 116): {so[-300:]}")
    ex = env.path("bpe-ex")
    rc, so, se = run([env.concord, "export-hf", h5, ex])
    check(rc == 0, f"export with a tokenizer: {se}")
    if rc == 0:
        got = json.load(open(os.path.join(ex, "vocab.json"), encoding="utf-8"))
        check(got == {t: i for i, t in enumerate(vocab)}, "exported vocab.json equals the input")
        lines = open(os.path.join(ex, "merges.txt"), encoding="utf-8").read().splitlines()
        check(lines == ["#version: 0.2"] + [f"{a} {b}" for a, b in merges],
              f"exported merges.txt equals the input: {lines[:6]}")
        h5b = env.path("bpe-again.h5")
        env.import_ok(ex, h5b)
        rc, so, se = run(["h5diff", h5, h5b, "/tokenizer"])
        check(rc == 0, f"re-imported tokenizer identical: {so} {se}")
    # a tokenizer of another size than the model's vocabulary
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab[:-1])}, f, ensure_ascii=False)
    env.refused("import: tokenizer size", ["import-hf", d, env.path("bpe-bad.h5")],
                ["260 tokens", "vocab_size is 261"], env.path("bpe-bad.h5"))


# ---------------------------------------------------------------------------------------------
# Bad inputs

def test_bad(env):
    cfg = gpt2_config()
    sd = prefixed(random_weights(cfg, 3), "transformer.")
    good = entries_of(sd, "F32")
    out = env.path("bad-out.h5")
    d = env.path("bad")

    def case(name, needles, cfg_=cfg, entries=None, header=None, data=None, raw=None, extra=()):
        write_hf_dir(d, cfg_, entries if entries is not None else good, header, data, raw)
        env.refused(name, ["import-hf", d, out, *extra], needles, out)

    header, data = layout(good)
    ok_raw = file_bytes(json.dumps(header), data)
    case("truncated data", ["model.safetensors", "out of range", "truncated"], raw=ok_raw[:-100])
    case("truncated header", ["model.safetensors", "past the end"], raw=ok_raw[:40])
    case("header length past the end", ["header length", "past the end"],
         raw=file_bytes(json.dumps(header), data, declared=len(ok_raw)))
    case("header not JSON", ["not valid JSON"], raw=file_bytes("{\"a\": nope}", data))
    case("header not an object", ["expected a JSON object"], raw=file_bytes("[1, 2]", b""))

    def tampered(fn):
        h = json.loads(json.dumps(header))
        fn(h)
        return h

    def shift(h, name, by):
        h[name]["data_offsets"] = [x + by for x in h[name]["data_offsets"]]

    names = sorted(good)  # data order
    case("overlapping offsets", [names[1], "overlap", names[0]],
         header=tampered(lambda h: shift(h, names[1], -4)), data=data)
    case("out-of-range offsets", [names[-1], "out of range"],
         header=tampered(lambda h: shift(h, names[-1], 8)), data=data)

    def gap(h):
        for n in names[1:]:
            shift(h, n, 4)
    first = len(good[names[0]][2])
    case("gap between tensors", [names[1], "gap of 4", names[0]], header=tampered(gap),
         data=data[:first] + b"\0" * 4 + data[first:])
    case("unknown dtype", ["transformer.wpe.weight", "unknown dtype \"F33\""],
         header=tampered(lambda h: h["transformer.wpe.weight"].update(dtype="F33")), data=data)
    case("shape/bytes mismatch", ["transformer.wpe.weight", f"shape [{T}, {C + 1}]", "needs"],
         header=tampered(lambda h: h["transformer.wpe.weight"].update(shape=[T, C + 1])), data=data)
    case("__metadata__ not strings", ["__metadata__"],
         header=tampered(lambda h: h.update(__metadata__={"format": 1})), data=data)
    text = json.dumps(header)
    dup = (text[:-1] + ', "transformer.ln_f.bias": ' + json.dumps(header["transformer.ln_f.bias"])
           + "}")
    case("duplicate tensor name", ["transformer.ln_f.bias", "twice"], raw=file_bytes(dup, data))

    def without(name):
        return {k: v for k, v in good.items() if k != name}

    def replaced(name, dtype, shape, raw):
        e = dict(good)
        e[name] = (dtype, shape, raw)
        return e
    case("missing tensor", ["missing tensor \"transformer.h.1.mlp.c_fc.bias\""],
         entries=without("transformer.h.1.mlp.c_fc.bias"))
    case("missing wte", ["missing tensor \"wte.weight\""],
         entries=without("transformer.wte.weight"))
    w = sd["transformer.h.0.attn.c_attn.weight"]
    case("Conv1D weight not transposed", ["transformer.h.0.attn.c_attn.weight",
                                          f"shape [{3 * C}, {C}], expected [{C}, {3 * C}]",
                                          "transposed"],
         entries=replaced("transformer.h.0.attn.c_attn.weight", "F32", (3 * C, C),
                          tensor_bytes(w.t())))
    case("wrong wte rows", ["transformer.wte.weight", f"expected [{V}, {C}]"],
         entries=replaced("transformer.wte.weight", "F32", (V + 1, C),
                          tensor_bytes(torch.zeros(V + 1, C))))
    case("integer weights", ["transformer.h.0.ln_1.weight", "dtype I32"],
         entries=replaced("transformer.h.0.ln_1.weight", "I32", (C,),
                          tensor_bytes(torch.ones(C, dtype=torch.int32))))
    e = dict(good)
    e["transformer.h.2.ln_1.weight"] = good["transformer.h.1.ln_1.weight"]
    case("tensor of a layer past n_layer", ["unexpected tensor \"transformer.h.2.ln_1.weight\""],
         entries=e)
    e = dict(good)
    e["wte.weight"] = good["transformer.wte.weight"]
    case("both prefixes", ["both", "wte.weight"], entries=e)
    e = dict(good)
    e["lm_head.weight"] = ("F32", (V, C), tensor_bytes(sd["transformer.wte.weight"] + 1))
    case("untied lm_head", ["lm_head.weight", "differs", "ties"], entries=e)

    def cfg_with(**kw):
        c = dict(cfg)
        for k, v in kw.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c
    case("config: missing n_head", ["config.json", "missing field \"n_head\""],
         cfg_=cfg_with(n_head=None))
    case("config: missing context length", ["config.json", "n_positions", "n_ctx"],
         cfg_=cfg_with(n_positions=None, n_ctx=None))
    case("config: n_ctx disagrees", ["n_positions", "n_ctx", "disagree"],
         cfg_=cfg_with(n_ctx=T * 2))
    case("config: epsilon", ["config.json", "layer_norm_epsilon", "1e-06"],
         cfg_=cfg_with(layer_norm_epsilon=1e-6))
    case("config: activation", ["config.json", "activation_function", "\"relu\""],
         cfg_=cfg_with(activation_function="relu"))
    case("config: n_embd not divisible by n_head", ["config.json", "n_embd", "n_head", "divisible"],
         cfg_=cfg_with(n_head=5))
    case("config: model_type", ["config.json", "model_type", "\"llama\""],
         cfg_=cfg_with(model_type="llama"))
    case("config: vocab_size a string", ["config.json", "vocab_size", "a string"],
         cfg_=cfg_with(vocab_size="61"))
    case("config: n_inner", ["config.json", "n_inner"], cfg_=cfg_with(n_inner=3 * C))
    case("config: scale_attn_by_inverse_layer_idx", ["scale_attn_by_inverse_layer_idx"],
         cfg_=cfg_with(scale_attn_by_inverse_layer_idx=True))
    case("config: not JSON", ["config.json", "not valid JSON"], cfg_="{\"n_embd\": 32,,}")
    case("config: vocab mismatch with wte", ["transformer.wte.weight", f"expected [{V - 1}, {C}]"],
         cfg_=cfg_with(vocab_size=V - 1))

    write_hf_dir(d, cfg, good)
    os.remove(os.path.join(d, "config.json"))
    env.refused("no config.json", ["import-hf", d, out], ["config.json"], out)
    write_hf_dir(d, cfg, good)
    os.remove(os.path.join(d, "model.safetensors"))
    env.refused("no model.safetensors", ["import-hf", d, out], ["model.safetensors"], out)
    open(os.path.join(d, "pytorch_model.bin"), "wb").close()
    env.refused("pytorch_model.bin only", ["import-hf", d, out],
                ["model.safetensors", "HINT: ", "pytorch_model.bin"], out)
    env.refused("no directory", ["import-hf", env.path("nowhere"), out], ["nowhere"], out)
    env.refused("usage: one argument", ["import-hf", d], ["expected 2 arguments"], out)
    env.refused("usage: unknown option", ["import-hf", d, out, "--pad"], ["--pad"], out)
    env.refused("usage: --vocab-pad-to 0", ["import-hf", d, out, "--vocab-pad-to", "0"],
                ["--vocab-pad-to"], out)

    # export-hf
    nope = env.path("nope.h5")
    rc, _, se = run([env.helper, "write-nope", nope])
    check(rc == 0, f"writing a NoPE checkpoint: {se}")
    ex = env.path("nope-export")
    env.refused("export: NoPE", ["export-hf", nope, ex], ["nope.h5", "\"none\"", "wpe"])
    check(not os.path.exists(os.path.join(ex, "model.safetensors")), "NoPE export wrote a model")
    env.refused("export: missing checkpoint", ["export-hf", env.path("none.h5"), ex], ["none.h5"])
    write_hf_dir(d, cfg, good)
    env.refused("export: not a checkpoint", ["export-hf", os.path.join(d, "model.safetensors"), ex],
                ["model.safetensors"])
    env.refused("export: usage", ["export-hf", nope], ["expected 2 arguments"])
    write_hf_dir(d, cfg, good)
    learned = env.path("learned.h5")
    env.import_ok(d, learned)
    env.refused("export: DIR is a file", ["export-hf", learned, os.path.join(d, "config.json")],
                ["cannot create", "config.json"])


def main():
    args = [a for a in sys.argv[1:] if a != "--bad-only"]
    if len(args) != 2:
        print(__doc__.split("\n\n")[-3], file=sys.stderr)
        return 2
    env = Env(os.path.abspath(args[0]), os.path.abspath(args[1]), os.path.abspath("test_hf.d"))
    shutil.rmtree(env.work, ignore_errors=True)
    os.makedirs(env.work)
    if "--bad-only" not in sys.argv:
        test_good(env)
        test_gpt2_vocab(env)
        test_tokenizer(env)
    test_bad(env)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
