#!/usr/bin/python3
"""torch_parity.py — checks concord's forward (GPT-2 or LLaMA), sequence log-probs, DPO loss and
gradients against an exact float64 PyTorch recomputation. The LLaMA model is llama_ref.forward
(tests/parity/llama_ref.py), fed concord's fused table through llama_ref.from_concord.

Usage:
  torch_parity.py IN.bin [--tol 1e-4]   compare the file written by concord's C parity test
  torch_parity.py --self-test           check this script itself (no C side needed)

IN.bin layout (little-endian; all counts in elements):
  int32   header[24]: magic 0x434F4E43, version 2, V, Vp, T, C, L, NH, B, S, n_pairs, n_params,
                      position (0 learned, 1 none = NoPE: wpe has zero rows, 2 abacus = digit
                      positions; 0 for llama), digit0 (abacus: ids digit0..digit0+9 are digits,
                      else 0), arch (0 gpt2, 1 llama), then for llama KV (key/value heads), F (MLP
                      width), untied (0: the LM head is wte, 1: a separate lm_head), rope_theta and
                      norm_eps (float32 bit patterns), all five 0 for gpt2, then 4 reserved zeros
                      (B = 2*n_pairs sequences, padded to length S)
  float32 beta
  float32 params[n_params], ref_params[n_params]   (train/params.h table order and shapes of arch)
  int32   tokens[B*S], resp_start[B], len[B]
  int32   shift[B]                                  (abacus only: the policy rows' digit shifts)
  float32 logits[B*S*Vp], logp[B], ref_logp[B], loss[1], grads[n_params]   (concord's outputs)

Error measure per quantity: max|concord - ref| / max(max|ref|, TINY) (normwise relative error, see
README.md). Exit status: 0 all within --tol, 1 some quantity failed, 2 bad input file or usage.
Run with /usr/bin/python3 (Debian python3-torch); another python3 on PATH may lack torch.
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

import llama_ref  # tests/parity/llama_ref.py, beside this script

MAGIC = 0x434F4E43
VERSION = 2
HEADER_INTS = 24
POS_LEARNED, POS_NONE, POS_ABACUS = 0, 1, 2  # header[12]: the position encoding (train/params.h GPTPosition)
ARCH_GPT2, ARCH_LLAMA = 0, 1  # header[14]: the architecture (train/params.h ModelArch)
TINY = 1e-30  # floor of the error denominator; only matters when the reference is exactly zero
LN_EPS = 1e-5

TENSOR_NAMES = ["wte", "wpe", "ln1_w", "ln1_b", "qkv_w", "qkv_b", "attn_proj_w", "attn_proj_b",
                "ln2_w", "ln2_b", "fc_w", "fc_b", "fc_proj_w", "fc_proj_b", "lnf_w", "lnf_b"]
# LLaMA's table: llama_ref.CONCORD_ORDER, lm_head only when the head is untied


class BadInput(Exception):
    """The input file is not a valid parity dump (reported with exit status 2)."""


# ---------------------------------------------------------------------------------------------
# Parameter table (train/params.h)

def is_llama(cfg):
    return cfg.get("arch", ARCH_GPT2) == ARCH_LLAMA


def tensor_names(cfg):
    """Names of the table's tensors in slab order, as in train/params.h."""
    if is_llama(cfg):
        return llama_ref.CONCORD_ORDER[:9 if cfg["untied"] else 8]
    return TENSOR_NAMES


def tensor_shapes(cfg):
    """Shapes of the table's tensors in slab order, as in train/params.h."""
    Vp, T, C, L = cfg["Vp"], cfg["T"], cfg["C"], cfg["L"]
    if is_llama(cfg):
        W, F = (cfg["NH"] + 2 * cfg["KV"]) * (C // cfg["NH"]), cfg["F"]
        shapes = [(Vp, C), (L, C), (L, W, C), (L, C, C), (L, C), (L, 2 * F, C), (L, C, F), (C,)]
        return shapes + [(Vp, C)] if cfg["untied"] else shapes
    T = 0 if cfg.get("position", 0) == POS_NONE else T  # NoPE: wpe has zero rows
    return [(Vp, C), (T, C), (L, C), (L, C), (L, 3 * C, C), (L, 3 * C), (L, C, C), (L, C),
            (L, C), (L, C), (L, 4 * C, C), (L, 4 * C), (L, C, 4 * C), (L, C), (C,), (C,)]


def param_count(cfg):
    return sum(math.prod(s) for s in tensor_shapes(cfg))


def split_params(flat, cfg):
    """Splits a flat 1-D tensor into the named tensors (views), in table order."""
    out, off = {}, 0
    for name, shape in zip(tensor_names(cfg), tensor_shapes(cfg)):
        n = math.prod(shape)
        out[name] = flat[off:off + n].view(shape)
        off += n
    assert off == flat.numel()
    return out


# ---------------------------------------------------------------------------------------------
# Exact reference model, written out from the formulas (independent of nn.* modules)

def layer_norm(x, w, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased variance, as llm.c
    return (x - mean) / torch.sqrt(var + LN_EPS) * w + b


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def abacus_rows(tokens, shift, cfg):
    """Abacus wpe rows (B, S): the p-th digit of a run gets p + shift[b] (capped at T-1), others 0."""
    B, S = tokens.shape
    d0, rows = cfg["digit0"], torch.zeros(B, S, dtype=torch.long)
    for b in range(B):
        run = 0
        for t in range(S):
            run = run + 1 if d0 <= int(tokens[b, t]) < d0 + 10 else 0
            rows[b, t] = min(run + int(shift[b]), cfg["T"] - 1) if run else 0
    return rows


def gpt_forward(p, tokens, cfg, shift=None):
    """Logits (B, S, Vp) of GPT-2 for tokens (B, S) (int64) with the named tensors p; shift (B):
    abacus digit-row shifts (None: 0)."""
    if shift is None:
        shift = [0] * tokens.shape[0]
    B, S = tokens.shape
    C, L, NH = cfg["C"], cfg["L"], cfg["NH"]
    hs = C // NH
    x = p["wte"][tokens]
    if cfg.get("position", 0) == POS_ABACUS:
        x = x + p["wpe"][abacus_rows(tokens, shift, cfg)]
    elif cfg.get("position", 0) != POS_NONE:
        x = x + p["wpe"][:S]
    causal = torch.ones(S, S, dtype=torch.bool).tril()
    for l in range(L):
        h = layer_norm(x, p["ln1_w"][l], p["ln1_b"][l])
        qkv = h @ p["qkv_w"][l].T + p["qkv_b"][l]
        q, k, v = qkv.split(C, dim=-1)
        q = q.view(B, S, NH, hs).transpose(1, 2)
        k = k.view(B, S, NH, hs).transpose(1, 2)
        v = v.view(B, S, NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, S, C)
        x = x + y @ p["attn_proj_w"][l].T + p["attn_proj_b"][l]
        h = layer_norm(x, p["ln2_w"][l], p["ln2_b"][l])
        h = gelu_tanh(h @ p["fc_w"][l].T + p["fc_b"][l])
        x = x + h @ p["fc_proj_w"][l].T + p["fc_proj_b"][l]
    x = layer_norm(x, p["lnf_w"], p["lnf_b"])
    return x @ p["wte"].T


def llama_forward(p, tokens, cfg):
    """Logits (B, S, Vp) of LLaMA with concord's named tensors p: llama_ref.forward on the Hugging
    Face weights that llama_ref.from_concord slices out of the fused tensors (views, so autograd
    maps the gradients back onto p). The vocabulary is taken as Vp so that every padded row of
    wte / lm_head gives its logit, as concord computes them."""
    rc = {"V": cfg["Vp"], "C": cfg["C"], "L": cfg["L"], "NH": cfg["NH"], "KV": cfg["KV"],
          "F": cfg["F"], "theta": cfg["rope_theta"], "eps": cfg["norm_eps"],
          "tied": not cfg["untied"]}
    return llama_ref.forward(rc, llama_ref.from_concord(rc, p), tokens)


def model_forward(p, tokens, cfg, shift=None):
    return llama_forward(p, tokens, cfg) if is_llama(cfg) else gpt_forward(p, tokens, cfg, shift)


def seq_logp(logits, tokens, resp_start, lens, V):
    """logp[b] = sum_{t in [resp_start[b], len[b])} log_softmax(logits[b, t-1, :V])[tokens[b, t]]."""
    B, S = tokens.shape
    lsm = torch.log_softmax(logits[:, :-1, :V], dim=-1)              # (B, S-1, V)
    tok_lp = lsm.gather(-1, tokens[:, 1:].unsqueeze(-1)).squeeze(-1)  # (B, S-1): predicts t = pos+1
    t = torch.arange(1, S).unsqueeze(0)
    mask = (t >= resp_start.unsqueeze(1)) & (t < lens.unsqueeze(1))
    return (tok_lp * mask).sum(-1)


def dpo_loss(logp, ref_logp, beta):
    h = (logp[0::2] - logp[1::2]) - (ref_logp[0::2] - ref_logp[1::2])
    return torch.nn.functional.softplus(-beta * h).mean()


def reference(d, dtype):
    """Recomputes logits, logp, ref_logp, loss and the policy gradient in dtype."""
    cfg = d["cfg"]
    tokens = torch.from_numpy(d["tokens_safe"]).long()
    rs = torch.from_numpy(d["resp_start"]).long()
    ln = torch.from_numpy(d["len"]).long()
    flat = torch.from_numpy(d["params"]).to(dtype).requires_grad_(True)
    p = split_params(flat, cfg)
    logits = model_forward(p, tokens, cfg, d.get("shift"))
    logp = seq_logp(logits, tokens, rs, ln, cfg["V"])
    with torch.no_grad():
        rp = split_params(torch.from_numpy(d["ref_params"]).to(dtype), cfg)
        ref_logp = seq_logp(model_forward(rp, tokens, cfg), tokens, rs, ln, cfg["V"])
    loss = dpo_loss(logp, ref_logp, d["beta"])
    (grad,) = torch.autograd.grad(loss, flat)
    return {"logits": logits.detach().numpy(), "logp": logp.detach().numpy(),
            "ref_logp": ref_logp.numpy(), "loss": loss.detach().numpy().reshape(1),
            "grads": grad.numpy()}


# ---------------------------------------------------------------------------------------------
# File format

def dump_size(cfg, B, S, n_params):
    n_f32 = 1 + 2 * n_params + B * S * cfg["Vp"] + 2 * B + 1 + n_params
    n_i32 = HEADER_INTS + B * S + 2 * B + (B if cfg.get("position", 0) == POS_ABACUS else 0)
    return 4 * (n_f32 + n_i32)


def read_dump(path):
    """Reads and validates a parity dump; raises BadInput with one sentence on any problem."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as ex:
        raise BadInput(f"{path}: cannot read file: {ex.strerror}")
    if len(raw) < 4 * HEADER_INTS:
        raise BadInput(f"{path}: truncated header: expected {4 * HEADER_INTS} bytes, found {len(raw)}")
    hdr = np.frombuffer(raw, dtype="<i4", count=HEADER_INTS)
    magic = int(hdr[0]) & 0xFFFFFFFF
    if magic != MAGIC:
        raise BadInput(f"{path}: header.magic: expected 0x{MAGIC:08X}, found 0x{magic:08X}")
    if hdr[1] != VERSION:
        raise BadInput(f"{path}: header.version: expected {VERSION}, found {int(hdr[1])}")
    keys = ["V", "Vp", "T", "C", "L", "NH", "B", "S", "n_pairs", "n_params"]
    h = {k: int(hdr[2 + i]) for i, k in enumerate(keys)}
    for k in keys:
        if h[k] <= 0:
            raise BadInput(f"{path}: header.{k}: expected a positive value, found {h[k]}")
    if int(hdr[12]) not in (POS_LEARNED, POS_NONE, POS_ABACUS):
        raise BadInput(f"{path}: header.position: expected 0 (learned), 1 (none) or 2 (abacus), "
                       f"found {int(hdr[12])}")
    abacus = int(hdr[12]) == POS_ABACUS
    if abacus and not 0 <= int(hdr[13]) <= h["V"] - 10:
        raise BadInput(f"{path}: header.digit0: expected 0..V-10={h['V'] - 10} with abacus "
                       f"positions, found {int(hdr[13])}")
    if not abacus and int(hdr[13]) != 0:
        raise BadInput(f"{path}: header.digit0: expected 0 without abacus positions, found {int(hdr[13])}")
    arch = int(hdr[14])
    if arch not in (ARCH_GPT2, ARCH_LLAMA):
        raise BadInput(f"{path}: header.arch: expected 0 (gpt2) or 1 (llama), found {arch}")
    llama_fields = {"KV": int(hdr[15]), "F": int(hdr[16]), "untied": int(hdr[17]),
                    "rope_theta": float(hdr[18:19].view("<f4")[0]),
                    "norm_eps": float(hdr[19:20].view("<f4")[0])}
    if arch == ARCH_GPT2 and any(int(x) != 0 for x in hdr[15:20]):
        raise BadInput(f"{path}: header.KV..norm_eps: expected 5 zeros for gpt2, found {hdr[15:20].tolist()}")
    if arch == ARCH_LLAMA:
        if int(hdr[12]) != POS_LEARNED:
            raise BadInput(f"{path}: header.position: expected 0 for llama (rotary positions), "
                           f"found {int(hdr[12])}")
        if llama_fields["KV"] <= 0 or h["NH"] % llama_fields["KV"] != 0:
            raise BadInput(f"{path}: header.KV: expected a divisor of NH={h['NH']}, found {llama_fields['KV']}")
        if llama_fields["F"] <= 0:
            raise BadInput(f"{path}: header.F: expected a positive value, found {llama_fields['F']}")
        if llama_fields["untied"] not in (0, 1):
            raise BadInput(f"{path}: header.untied: expected 0 or 1, found {llama_fields['untied']}")
        for k in ("rope_theta", "norm_eps"):
            if not (math.isfinite(llama_fields[k]) and llama_fields[k] > 0):
                raise BadInput(f"{path}: header.{k}: expected a finite value > 0, found {llama_fields[k]}")
        if h["C"] % h["NH"] != 0 or (h["C"] // h["NH"]) % 2 != 0:
            raise BadInput(f"{path}: header.NH: expected C/NH to be an even head size for llama, "
                           f"found C={h['C']}, NH={h['NH']}")
    if any(int(r) != 0 for r in hdr[20:24]):
        raise BadInput(f"{path}: header.reserved: expected 4 zeros, found {hdr[20:24].tolist()}")
    if h["Vp"] < h["V"]:
        raise BadInput(f"{path}: header.Vp: expected >= V={h['V']}, found {h['Vp']}")
    if h["C"] % h["NH"] != 0:
        raise BadInput(f"{path}: header.NH: expected a divisor of C={h['C']}, found {h['NH']}")
    if h["B"] != 2 * h["n_pairs"]:
        raise BadInput(f"{path}: header.B: expected 2*n_pairs={2 * h['n_pairs']}, found {h['B']}")
    if h["S"] < 2 or h["S"] > h["T"]:
        raise BadInput(f"{path}: header.S: expected 2 <= S <= T={h['T']}, found {h['S']}")
    cfg = {k: h[k] for k in ["V", "Vp", "T", "C", "L", "NH"]}
    cfg["position"] = int(hdr[12])
    cfg["digit0"] = int(hdr[13])
    cfg["arch"] = arch
    if arch == ARCH_LLAMA:
        cfg.update(llama_fields)
    n = param_count(cfg)
    if h["n_params"] != n:
        raise BadInput(f"{path}: header.n_params: expected {n} for this config, found {h['n_params']}")
    B, S = h["B"], h["S"]
    want = dump_size(cfg, B, S, n)
    if len(raw) != want:
        what = "truncated" if len(raw) < want else "has trailing bytes"
        raise BadInput(f"{path}: file {what}: expected {want} bytes for the header's sizes, found {len(raw)}")

    off = 4 * HEADER_INTS

    def take(dtype, count):
        nonlocal off
        a = np.frombuffer(raw, dtype=dtype, count=count, offset=off)
        off += 4 * count
        return a

    d = {"cfg": cfg, "B": B, "S": S, "n_pairs": h["n_pairs"], "n_params": n}
    d["beta"] = float(take("<f4", 1)[0])
    d["params"] = take("<f4", n).astype(np.float32)
    d["ref_params"] = take("<f4", n).astype(np.float32)
    d["tokens"] = take("<i4", B * S).reshape(B, S).astype(np.int32)
    d["resp_start"] = take("<i4", B).astype(np.int32)
    d["len"] = take("<i4", B).astype(np.int32)
    if abacus:
        d["shift"] = take("<i4", B).astype(np.int32)
    d["logits"] = take("<f4", B * S * cfg["Vp"]).reshape(B, S, cfg["Vp"]).astype(np.float32)
    d["logp"] = take("<f4", B).astype(np.float32)
    d["ref_logp"] = take("<f4", B).astype(np.float32)
    d["loss"] = take("<f4", 1).astype(np.float32)
    d["grads"] = take("<f4", n).astype(np.float32)
    assert off == len(raw)

    if not math.isfinite(d["beta"]) or d["beta"] <= 0:
        raise BadInput(f"{path}: beta: expected a finite positive value, found {d['beta']}")
    for name in ("params", "ref_params"):
        if not np.all(np.isfinite(d[name])):
            raise BadInput(f"{path}: {name}: expected finite weights, found NaN or Inf")
    for b in range(B):
        ln, rs = int(d["len"][b]), int(d["resp_start"][b])
        if not 2 <= ln <= S:
            raise BadInput(f"{path}: len[{b}]: expected 2 <= len <= S={S}, found {ln}")
        if not 1 <= rs <= ln:
            raise BadInput(f"{path}: resp_start[{b}]: expected 1 <= resp_start <= len={ln}, found {rs}")
        bad = np.nonzero((d["tokens"][b, :ln] < 0) | (d["tokens"][b, :ln] >= cfg["V"]))[0]
        if bad.size:
            t = int(bad[0])
            raise BadInput(f"{path}: tokens[{b}][{t}]: expected a token in [0, V={cfg['V']}), "
                           f"found {int(d['tokens'][b, t])}")
    # Padding positions cannot influence valid ones (causal model); make them valid indices.
    safe = d["tokens"].copy()
    for b in range(B):
        safe[b, d["len"][b]:] = 0
    d["tokens_safe"] = safe
    return d


def write_dump(path, cfg, beta, params, ref_params, tokens, resp_start, lens, out, shift=None):
    """Writes a parity dump (used by --self-test; the format the C test writes)."""
    B, S = tokens.shape
    llama = is_llama(cfg)
    bits = lambda x: int(np.array([x], dtype="<f4").view("<u4")[0])  # float32 bit pattern
    hdr = np.array([MAGIC, VERSION, cfg["V"], cfg["Vp"], cfg["T"], cfg["C"], cfg["L"], cfg["NH"],
                    B, S, B // 2, params.size, cfg.get("position", 0), cfg.get("digit0", 0),
                    cfg.get("arch", ARCH_GPT2)] +
                   ([cfg["KV"], cfg["F"], cfg["untied"], bits(cfg["rope_theta"]),
                     bits(cfg["norm_eps"])] if llama else [0] * 5) + [0] * 4,
                   dtype=np.uint32).astype("<u4")
    with open(path, "wb") as f:
        f.write(hdr.tobytes())
        f.write(np.array([beta], dtype="<f4").tobytes())
        parts = [(params, "<f4"), (ref_params, "<f4"), (tokens, "<i4"), (resp_start, "<i4"),
                 (lens, "<i4")] + ([(shift, "<i4")] if shift is not None else []) + \
                [(out["logits"], "<f4"), (out["logp"], "<f4"), (out["ref_logp"], "<f4"),
                 (out["loss"], "<f4"), (out["grads"], "<f4")]
        for a, dt in parts:
            f.write(np.ascontiguousarray(a, dtype=dt).tobytes())


# ---------------------------------------------------------------------------------------------
# Comparison

def rel_err(got, ref):
    """Normwise relative error max|got-ref| / max(max|ref|, TINY); inf if got has NaN/Inf."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.size == 0:
        return 0.0, 0.0
    if not np.all(np.isfinite(got)):
        return math.inf, float(np.max(np.abs(ref)))
    scale = float(np.max(np.abs(ref)))
    return float(np.max(np.abs(got - ref))) / max(scale, TINY), scale


def compare(d, ref, tol, out=sys.stdout):
    """Prints one line per quantity and returns the number of failures."""
    cfg = d["cfg"]
    valid = np.zeros((d["B"], d["S"]), dtype=bool)
    for b in range(d["B"]):
        valid[b, :d["len"][b]] = True
    rows = [("logits", d["logits"][valid], ref["logits"][valid]),
            ("logp", d["logp"], ref["logp"]),
            ("ref_logp", d["ref_logp"], ref["ref_logp"]),
            ("loss", d["loss"], ref["loss"])]
    g_got = split_params(torch.from_numpy(d["grads"]), cfg)
    g_ref = split_params(torch.from_numpy(ref["grads"]), cfg)
    rows += [("grad." + k, g_got[k].numpy(), g_ref[k].numpy()) for k in tensor_names(cfg)]
    n_fail = 0
    for name, got, want in rows:
        err, scale = rel_err(got, want)
        ok = err <= tol
        n_fail += not ok
        print(f"{name:18s} rel_err {err:10.3e}  (max|ref| {scale:10.3e}, n={got.size})  "
              f"{'OK' if ok else 'FAIL'}", file=out)
    print(f"{len(rows) - n_fail} passed, {n_fail} failed", file=out)
    return n_fail


def run_file(path, tol):
    try:
        d = read_dump(path)
    except BadInput as ex:
        print(f"torch_parity: {ex}", file=sys.stderr)
        return 2
    c = d["cfg"]
    model = (f"arch=llama KV={c['KV']} F={c['F']} untied={c['untied']} theta={c['rope_theta']:g} "
             f"eps={c['norm_eps']:g}" if is_llama(c) else
             f"arch=gpt2 position={['learned', 'none', 'abacus'][c['position']]}")
    print(f"torch_parity: {path}: V={c['V']} Vp={c['Vp']} T={c['T']} C={c['C']} L={c['L']} "
          f"NH={c['NH']} {model} B={d['B']} S={d['S']} n_params={d['n_params']} "
          f"beta={d['beta']:g} tol={tol:g}")
    ref = reference(d, torch.float64)
    return 1 if compare(d, ref, tol) else 0


# ---------------------------------------------------------------------------------------------
# Self-test: generate dumps with float32 torch outputs and check that the checker behaves

def make_case(path, seed=1, position=POS_LEARNED, llama_untied=None):
    """Writes a random dump whose outputs come from torch in float32; returns its config.
    llama_untied 0 or 1 makes it a LLaMA model (GQA, NH=4 KV=2, F=40) with that head."""
    cfg = {"V": 50, "Vp": 64, "T": 24, "C": 32, "L": 2, "NH": 4, "position": position,
           "digit0": 3 if position == POS_ABACUS else 0}
    if llama_untied is not None:
        cfg.update(arch=ARCH_LLAMA, KV=2, F=40, untied=llama_untied, rope_theta=10000.0,
                   norm_eps=float(np.float32(1e-5)))
    n_pairs, S, beta = 3, 20, 0.1
    g = np.random.default_rng(seed)
    n = param_count(cfg)
    params = np.zeros(n, dtype=np.float32)
    pv = split_params(torch.from_numpy(params), cfg)
    for k, t in pv.items():  # GPT-2-like init, norm weights/biases perturbed so they matter
        if k.startswith("ln") or k.endswith("norm_w"):
            base = 1.0 if k.endswith("_w") else 0.0
            t.copy_(torch.from_numpy(base + 0.1 * g.standard_normal(t.shape).astype(np.float32)))
        elif k.endswith("_b"):
            t.copy_(torch.from_numpy(0.02 * g.standard_normal(t.shape).astype(np.float32)))
        else:
            t.copy_(torch.from_numpy(0.08 * g.standard_normal(t.shape).astype(np.float32)))
    ref_params = params + 0.01 * g.standard_normal(n).astype(np.float32)
    B = 2 * n_pairs
    lens = g.integers(6, S + 1, size=B).astype(np.int32)
    lens[0] = S
    resp_start = np.array([g.integers(1, ln) for ln in lens], dtype=np.int32)
    tokens = g.integers(0, cfg["V"], size=(B, S)).astype(np.int32)
    for b in range(B):  # garbage in padding, as the C side may leave
        tokens[b, lens[b]:] = -7
    d = {"cfg": cfg, "beta": beta, "params": params, "ref_params": ref_params,
         "resp_start": resp_start, "len": lens,
         "tokens_safe": np.where(tokens < 0, 0, tokens).astype(np.int32)}
    if position == POS_ABACUS:  # mostly digits, so that runs are long
        d["tokens_safe"] = np.where(g.random((B, S)) < 0.7, g.integers(3, 13, size=(B, S)),
                                    d["tokens_safe"]).astype(np.int32)
        tokens = np.where(tokens < 0, tokens, d["tokens_safe"]).astype(np.int32)
        d["shift"] = g.integers(0, 6, size=B).astype(np.int32)
    out = reference(d, torch.float32)
    logits = out["logits"].copy()
    for b in range(B):  # padding logits are garbage by design
        logits[b, lens[b]:] = np.nan if b % 2 else 1e30
    out["logits"] = logits
    write_dump(path, cfg, beta, params, ref_params, tokens, resp_start, lens, out, d.get("shift"))
    return cfg


def self_test():
    """Checks: a float32 dump passes; a perturbed gradient tensor or logit fails; bad files exit 2."""
    failures = []

    def expect(name, cond):
        print(f"self-test {name:40s} {'OK' if cond else 'FAIL'}")
        if not cond:
            failures.append(name)

    def run(path, *extra):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), path, *extra],
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    with tempfile.TemporaryDirectory(prefix="torch_parity_") as tmp:
        good = os.path.join(tmp, "good.bin")
        cfg = make_case(good)
        raw = open(good, "rb").read()
        rc, text = run(good)
        expect("float32 outputs pass", rc == 0 and "20 passed, 0 failed" in text)
        if rc != 0:
            print(text)
        nope = os.path.join(tmp, "nope.bin")
        make_case(nope, seed=2, position=POS_NONE)
        rc, text = run(nope)
        expect("NoPE float32 outputs pass", rc == 0 and "20 passed, 0 failed" in text and
               "grad.wpe           rel_err  0.000e+00" in text and "position=none" in text)
        if rc != 0:
            print(text)
        abacus = os.path.join(tmp, "abacus.bin")
        make_case(abacus, seed=3, position=POS_ABACUS)
        rc, text = run(abacus)
        expect("abacus float32 outputs pass", rc == 0 and "20 passed, 0 failed" in text and
               "position=abacus" in text)
        if rc != 0:
            print(text)
        for untied in (0, 1):
            llama = os.path.join(tmp, f"llama{untied}.bin")
            make_case(llama, seed=4 + untied, llama_untied=untied)
            rc, text = run(llama)
            n = 13 if untied else 12
            expect(f"llama untied={untied} float32 outputs pass",
                   rc == 0 and f"{n} passed, 0 failed" in text and "arch=llama" in text)
            if rc != 0:
                print(text)
        d = read_dump(good)
        ref64 = reference(d, torch.float64)
        worst = max(rel_err(d["grads"], ref64["grads"])[0], rel_err(d["logp"], ref64["logp"])[0])
        expect("float32 error well below tol (< 1e-5)", worst < 1e-5)

        # Perturb one gradient tensor (fc_w) by 1e-3 of its scale at a single element.
        n_before = sum(math.prod(s) for s in tensor_shapes(cfg)[:TENSOR_NAMES.index("fc_w")])
        grads_off = len(raw) - 4 * d["n_params"]
        g = np.frombuffer(raw, dtype="<f4", count=d["n_params"], offset=grads_off).copy()
        scale = np.max(np.abs(g[n_before:n_before + math.prod(tensor_shapes(cfg)[10])]))
        g[n_before + 5] += 1e-3 * scale
        bad = os.path.join(tmp, "bad_grad.bin")
        with open(bad, "wb") as f:
            f.write(raw[:grads_off] + g.astype("<f4").tobytes())
        rc, text = run(bad)
        fails = [ln.split()[0] for ln in text.splitlines() if ln.endswith("FAIL")]
        expect("perturbed grad.fc_w fails (exit 1)", rc == 1 and fails == ["grad.fc_w"])
        rc, _ = run(bad, "--tol", "1e-2")
        expect("same passes with --tol 1e-2", rc == 0)

        # NaN in a valid logit must fail even though NaN in padding is ignored.
        lg_off = 4 * (HEADER_INTS + 1 + 2 * d["n_params"] + d["B"] * d["S"] + 2 * d["B"])
        buf = bytearray(raw)
        buf[lg_off:lg_off + 4] = np.array([np.nan], dtype="<f4").tobytes()
        p = os.path.join(tmp, "nan_logit.bin")
        open(p, "wb").write(bytes(buf))
        rc, text = run(p)
        fails = [ln.split()[0] for ln in text.splitlines() if ln.endswith("FAIL")]
        expect("NaN in a valid logit fails", rc == 1 and fails == ["logits"])

        # Malformed files: exit 2 with a message.
        cases = {"bad magic": b"XXXX" + raw[4:], "bad version": raw[:4] + b"\x01\0\0\0" + raw[8:],
                 "bad arch": raw[:56] + b"\x07\0\0\0" + raw[60:],
                 "truncated": raw[:-3], "trailing bytes": raw + b"\0\0\0\0",
                 "short header": raw[:20], "empty": b""}
        for name, blob in cases.items():
            p = os.path.join(tmp, name.replace(" ", "_") + ".bin")
            open(p, "wb").write(blob)
            rc, text = run(p)
            expect(f"{name} -> exit 2", rc == 2 and "torch_parity:" in text)
        rc, text = run(os.path.join(tmp, "missing.bin"))
        expect("missing file -> exit 2", rc == 2)
    print(f"self-test: {len(failures)} failed" + (f": {', '.join(failures)}" if failures else ""))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", nargs="?", help="parity dump written by concord's C test")
    ap.add_argument("--tol", type=float, default=1e-4, help="max normwise relative error (1e-4)")
    ap.add_argument("--self-test", action="store_true", help="check this script and exit")
    a = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    if a.self_test:
        return self_test()
    if a.input is None:
        ap.error("IN.bin is required unless --self-test is given")
    if not (a.tol > 0 and math.isfinite(a.tol)):
        ap.error(f"--tol: expected a finite positive number, found {a.tol}")
    return run_file(a.input, a.tol)


if __name__ == "__main__":
    sys.exit(main())
