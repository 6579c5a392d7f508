#!/usr/bin/python3
"""torch_ref.py — PyTorch baseline for concord's benchmark: the same models in float32, GPT-2 (llm.c
layout) and, for smollm2-135m, LLaMA (LlamaForCausalLM's math: RMSNorm, rotary positions, grouped-
query attention, SwiGLU, no biases, tied head), written with the same kinds of torch calls.

Usage: torch_ref.py [--threads N] [--config tiny|small|gpt2-124m|smollm2-135m|all] [--repeats K]
                    [--check]

Measurements (one JSON line each, keys: impl what config params batch_pairs seq threads s_per_step
tokens_per_s gflops peak_gflops):
  dpo_step  policy forward+backward on 2*batch_pairs sequences (first half prompt, second half
            response), reference forward under no_grad on the same sequences, DPO loss, AdamW step.
            tokens_per_s = 2*batch_pairs*seq / s; gflops = (6*flop_params*policy_tokens +
            2*flop_params*ref_tokens) / s / 1e9, flop_params = the weights a token is multiplied
            by (params less GPT-2's wpe and an untied LLaMA's wte: lookup-only tables), as in
            bench/bench.c.
  sample    16 sequences, prompt of seq/2 tokens, 32 new tokens, temperature sampling
            with a hand-written KV cache, under no_grad. tokens_per_s = new tokens / s;
            gflops = 2*flop_params*(16*(seq/2+32)) / s / 1e9.
  decode1   one sequence, a 16-token prompt, 64 greedy new tokens with the same KV cache.
Every line also has peak_rss_mb (the process's peak resident memory so far) and flop_params.
"all" configs are tiny and small; gpt2-124m (GPT-2 small's shape) and smollm2-135m (SmolLM2-135M's
shape) run when named.
peak_gflops is the best GFLOP/s of a 2048^3 float32 matmul on the same thread count.
Timing: 2 warm-up steps, then the median of --repeats steps (time.perf_counter).
--check first verifies the KV-cache decoder against the full forward (and, for LLaMA, the full
forward against tests/parity/llama_ref.py) and exits 1 on mismatch.
Run with /usr/bin/python3 (Debian python3-torch 1.13).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    "tiny": dict(V=64, Vp=64, T=128, C=128, L=4, NH=4, batch_pairs=8, seq=64),
    "small": dict(V=64, Vp=64, T=256, C=384, L=6, NH=6, batch_pairs=8, seq=128),
    "gpt2-124m": dict(V=50257, Vp=50304, T=1024, C=768, L=12, NH=12, batch_pairs=2, seq=256),
    # LlamaForCausalLM of SmolLM2-135M; T only sizes the rotary tables (no position embedding)
    "smollm2-135m": dict(arch="llama", V=49152, Vp=49152, T=512, C=576, L=30, NH=9, KV=3, F=1536,
                         theta=100000.0, eps=1e-5, tied=True, batch_pairs=2, seq=256),
}
ALL_CONFIGS = ["tiny", "small"]
SAMPLE_SEQS = 16
NEW_TOKENS = 32
BETA = 0.1
TEMPERATURE = 1.0


class Block(nn.Module):
    def __init__(self, C, NH, T):
        super().__init__()
        self.NH, self.hs = NH, C // NH
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.qkv = nn.Linear(C, 3 * C)          # fused q, k, v (llm.c qkv_w (3C, C))
        self.attn_proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.fc = nn.Linear(C, 4 * C)
        self.fc_proj = nn.Linear(4 * C, C)
        # additive causal mask (T, T): 0 on and below the diagonal, -inf above
        self.register_buffer("mask", torch.full((T, T), float("-inf")).triu(1), persistent=False)

    def attention(self, x, cache=None, pos=0):
        """Causal attention of x (B, S, C) at positions pos..pos+S-1. With cache=(k, v), each
        (B, NH, Tmax, hs), the new k/v are stored at [pos, pos+S) and the query attends to [0, pos+S)."""
        B, S, C = x.shape
        # one copy into (3, B, NH, S, hs): q, k, v come out contiguous per head
        q, k, v = self.qkv(x).view(B, S, 3, self.NH, self.hs).permute(2, 0, 3, 1, 4).contiguous()
        if cache is not None:
            kc, vc = cache
            kc[:, :, pos:pos + S] = k
            vc[:, :, pos:pos + S] = v
            k, v = kc[:, :, :pos + S], vc[:, :, :pos + S]
        scale = 1.0 / math.sqrt(self.hs)
        if S == 1:  # decoding one token: every cached position is visible
            att = torch.matmul(q, k.transpose(-2, -1)).mul_(scale)
        else:  # (B, NH, S, pos+S) = mask + scale * q k^T, one fused kernel
            mask = self.mask[pos:pos + S, :pos + S]
            att = torch.baddbmm(mask.expand(B * self.NH, S, pos + S),
                                q.reshape(B * self.NH, S, self.hs),
                                k.reshape(B * self.NH, pos + S, self.hs).transpose(1, 2),
                                alpha=scale).view(B, self.NH, S, pos + S)
        y = torch.matmul(att.softmax(dim=-1), v)
        return self.attn_proj(y.transpose(1, 2).reshape(B, S, C))

    def forward(self, x, cache=None, pos=0):
        x = x + self.attention(self.ln1(x), cache, pos)
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, V, Vp, T, C, L, NH):
        super().__init__()
        self.V, self.T, self.C, self.L, self.NH = V, T, C, L, NH
        self.wte = nn.Embedding(Vp, C)
        self.wpe = nn.Embedding(T, C)
        self.blocks = nn.ModuleList(Block(C, NH, T) for _ in range(L))
        self.lnf = nn.LayerNorm(C, eps=1e-5)
        self._init(L)

    def _init(self, L):
        """GPT-2 init as train/params.h: N(0, 0.02), residual projections 0.02/sqrt(2L)."""
        for name, p in self.named_parameters():
            if p.dim() == 1:
                nn.init.ones_(p) if "ln" in name and name.endswith("weight") else nn.init.zeros_(p)
            else:
                std = 0.02 / math.sqrt(2 * L) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, caches=None, pos=0):
        """Logits (B, S, Vp) for idx (B, S) at positions pos..pos+S-1 (tied head, all Vp rows)."""
        S = idx.shape[1]
        x = self.wte(idx) + self.wpe.weight[pos:pos + S]
        for l, blk in enumerate(self.blocks):
            x = blk(x, None if caches is None else caches[l], pos)
        return F.linear(self.lnf(x), self.wte.weight)

    def new_caches(self, B, Tmax):
        hs = self.C // self.NH
        return [(torch.empty(B, self.NH, Tmax, hs), torch.empty(B, self.NH, Tmax, hs))
                for _ in range(self.L)]


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class RMSNorm(nn.Module):
    def __init__(self, C, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(C))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class LlamaBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, self.NH, self.KV, self.F = c["C"], c["NH"], c["KV"], c["F"]
        self.hs, self.rep = C // self.NH, self.NH // self.KV
        self.attn_norm = RMSNorm(C, c["eps"])
        # fused q, k, v rows (concord's qkv_w ((NH+2KV)hs, C)), no biases
        self.qkv = nn.Linear(C, (self.NH + 2 * self.KV) * self.hs, bias=False)
        self.attn_proj = nn.Linear(C, C, bias=False)
        self.mlp_norm = RMSNorm(C, c["eps"])
        self.gate_up = nn.Linear(C, 2 * self.F, bias=False)  # gate rows, then up (gate_up_w)
        self.down_proj = nn.Linear(self.F, C, bias=False)
        self.register_buffer("mask", torch.full((c["T"], c["T"]), float("-inf")).triu(1),
                             persistent=False)

    def attention(self, x, cos, sin, cache=None, pos=0):
        """Causal grouped-query attention of x (B, S, C) at positions pos..pos+S-1; cos/sin (S, hs).
        Query head h reads key/value head h // rep. The rep query heads of a group are stacked
        as rows of one (rep*S, hs) matrix, so k and v are never copied per query head. With
        cache=(k, v), each (B, KV, Tmax, hs), as GPT's Block.attention."""
        B, S, C = x.shape
        NH, KV, hs, rep = self.NH, self.KV, self.hs, self.rep
        qkv = self.qkv(x).view(B, S, NH + 2 * KV, hs).transpose(1, 2)  # (B, NH+2KV, S, hs)
        qk = qkv[:, :NH + KV]
        qk = qk * cos + rotate_half(qk) * sin  # rotary embedding of q and k (rotate-half layout)
        q, k = qk[:, :NH], qk[:, NH:]
        v = qkv[:, NH + KV:]
        if cache is not None:
            kc, vc = cache
            kc[:, :, pos:pos + S] = k
            vc[:, :, pos:pos + S] = v
            k, v = kc[:, :, :pos + S], vc[:, :, :pos + S]
        else:
            k, v = k.contiguous(), v.contiguous()
        q = q.reshape(B * KV, rep * S, hs)  # heads h = g*rep + r of group g, then positions
        kt = k.reshape(B * KV, pos + S, hs).transpose(1, 2)
        scale = 1.0 / math.sqrt(hs)
        if S == 1:  # decoding one token: every cached position is visible
            att = torch.bmm(q, kt).mul_(scale)
        else:  # (B*KV, rep*S, pos+S) = mask + scale * q k^T, one fused kernel
            mask = self.mask[pos:pos + S, :pos + S].repeat(rep, 1)
            att = torch.baddbmm(mask.expand(B * KV, rep * S, pos + S), q, kt, alpha=scale)
        y = torch.bmm(att.softmax(dim=-1), v.reshape(B * KV, pos + S, hs))  # (B*KV, rep*S, hs)
        return self.attn_proj(y.view(B, NH, S, hs).transpose(1, 2).reshape(B, S, C))

    def forward(self, x, cos, sin, cache=None, pos=0):
        x = x + self.attention(self.attn_norm(x), cos, sin, cache, pos)
        gate, up = self.gate_up(self.mlp_norm(x)).split(self.F, dim=-1)
        return x + self.down_proj(F.silu(gate) * up)


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.V, self.C, self.L, self.NH, self.KV = c["V"], c["C"], c["L"], c["NH"], c["KV"]
        self.wte = nn.Embedding(c["Vp"], c["C"])
        self.blocks = nn.ModuleList(LlamaBlock(c) for _ in range(c["L"]))
        self.norm = RMSNorm(c["C"], c["eps"])
        self.lm_head = None if c["tied"] else nn.Linear(c["C"], c["Vp"], bias=False)
        hs = c["C"] // c["NH"]
        inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, hs, 2, dtype=torch.float64) / hs))
        freqs = torch.outer(torch.arange(c["T"], dtype=torch.float64), inv_freq)
        emb = torch.cat([freqs, freqs], dim=-1)  # (T, hs)
        self.register_buffer("cos", emb.cos().float(), persistent=False)
        self.register_buffer("sin", emb.sin().float(), persistent=False)
        for name, p in self.named_parameters():  # train/params.h's init, as GPT._init
            if "norm" in name:
                nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * c["L"]) if "proj" in name else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, caches=None, pos=0):
        """Logits (B, S, Vp) for idx (B, S) at positions pos..pos+S-1."""
        S = idx.shape[1]
        x = self.wte(idx)
        cos, sin = self.cos[pos:pos + S], self.sin[pos:pos + S]
        for l, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[l], pos)
        head = self.wte.weight if self.lm_head is None else self.lm_head.weight
        return F.linear(self.norm(x), head)

    def new_caches(self, B, Tmax):
        hs = self.C // self.NH
        return [(torch.empty(B, self.KV, Tmax, hs), torch.empty(B, self.KV, Tmax, hs))
                for _ in range(self.L)]

    def hf_weights(self, c):
        """Hugging Face-named weights (tests/parity/llama_ref.py's names) of this model."""
        hs, F_ = c["C"] // c["NH"], c["F"]
        nq, nkv = c["NH"] * hs, c["KV"] * hs
        w = {"model.embed_tokens.weight": self.wte.weight[:c["V"]],
             "model.norm.weight": self.norm.weight}
        for l, blk in enumerate(self.blocks):
            p, qkv, gu = f"model.layers.{l}.", blk.qkv.weight, blk.gate_up.weight
            w.update({p + "input_layernorm.weight": blk.attn_norm.weight,
                      p + "self_attn.q_proj.weight": qkv[:nq],
                      p + "self_attn.k_proj.weight": qkv[nq:nq + nkv],
                      p + "self_attn.v_proj.weight": qkv[nq + nkv:],
                      p + "self_attn.o_proj.weight": blk.attn_proj.weight,
                      p + "post_attention_layernorm.weight": blk.mlp_norm.weight,
                      p + "mlp.gate_proj.weight": gu[:F_], p + "mlp.up_proj.weight": gu[F_:],
                      p + "mlp.down_proj.weight": blk.down_proj.weight})
        if self.lm_head is not None:
            w["lm_head.weight"] = self.lm_head.weight[:c["V"]]
        return w


def is_llama(c):
    return c.get("arch") == "llama"


def param_count(c):
    """Total floats in train/params.h's table layout (GPT-2: Vp rows of wte, T rows of wpe)."""
    C, L = c["C"], c["L"]
    if is_llama(c):
        hs = C // c["NH"]
        W = (c["NH"] + 2 * c["KV"]) * hs
        head = 0 if c["tied"] else c["Vp"] * C
        return c["Vp"] * C + L * (2 * C + W * C + C * C + 3 * c["F"] * C) + C + head
    return c["Vp"] * C + c["T"] * C + L * (12 * C * C + 13 * C) + 2 * C


def flop_params(c):
    """The weights a token is multiplied by: params less the lookup-only tables (GPT-2's wpe, an
    untied LLaMA's wte), as bench/bench.c counts them."""
    if is_llama(c):
        return param_count(c) - (0 if c["tied"] else c["Vp"] * c["C"])
    return param_count(c) - c["T"] * c["C"]


def response_logp(logits, tokens, prompt_len, V):
    """Summed log-prob (B,) of tokens[:, prompt_len:] (log-softmax over the first V logits only)."""
    lp = torch.log_softmax(logits[:, prompt_len - 1:-1, :V], dim=-1)
    return lp.gather(-1, tokens[:, prompt_len:].unsqueeze(-1)).squeeze(-1).sum(-1)


def dpo_loss(logp, ref_logp, beta):
    h = (logp[0::2] - logp[1::2]) - (ref_logp[0::2] - ref_logp[1::2])
    return F.softplus(-beta * h).mean()


def new_model(c):
    return Llama(c) if is_llama(c) else GPT(c["V"], c["Vp"], c["T"], c["C"], c["L"], c["NH"])


def build(c):
    torch.manual_seed(1234)
    policy = new_model(c)
    ref = new_model(c)
    ref.load_state_dict(policy.state_dict())
    ref.requires_grad_(False)
    n = sum(p.numel() for p in policy.parameters())
    assert n == param_count(c), (n, param_count(c))
    return policy, ref


def make_optimizer(policy):
    decay = [p for p in policy.parameters() if p.dim() >= 2]  # matrices and embeddings
    no_decay = [p for p in policy.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=1e-5, betas=(0.9, 0.95), eps=1e-8, foreach=True)


def dpo_step(policy, ref, opt, tokens, prompt_len, V):
    with torch.no_grad():
        ref_logp = response_logp(ref(tokens), tokens, prompt_len, V)
    logp = response_logp(policy(tokens), tokens, prompt_len, V)
    loss = dpo_loss(logp, ref_logp, BETA)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss)


@torch.no_grad()
def sample(model, prompts, n_new, gen, greedy=False):
    """Appends n_new sampled (or greedy) tokens to prompts (B, P) using a KV cache; returns
    (B, P+n_new)."""
    B, P = prompts.shape
    caches = model.new_caches(B, P + n_new)
    out = torch.empty(B, P + n_new, dtype=torch.long)
    out[:, :P] = prompts
    logits = model(prompts, caches, 0)[:, -1, :model.V]  # prefill
    for i in range(n_new):
        if greedy:
            nxt = logits.argmax(-1, keepdim=True)  # (B, 1)
        else:
            probs = torch.softmax(logits / TEMPERATURE, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=gen)  # (B, 1)
        out[:, P + i] = nxt[:, 0]
        if i + 1 < n_new:
            logits = model(nxt, caches, P + i)[:, -1, :model.V]
    return out


@torch.no_grad()
def check_kv_cache(c):
    """The cached decoder's logits must match a full forward of the same sequence."""
    model, _ = build(c)
    g = torch.Generator().manual_seed(7)
    B, P = 4, c["seq"] // 2
    prompts = torch.randint(0, c["V"], (B, P), generator=g)
    seqs = sample(model, prompts, 8, g)
    caches = model.new_caches(B, P + 8)
    steps = [model(seqs[:, :P], caches, 0)[:, -1]]
    for i in range(7):
        steps.append(model(seqs[:, P + i:P + i + 1], caches, P + i)[:, -1])
    full = model(seqs[:, :P + 7])[:, P - 1:]
    err = (torch.stack(steps, 1) - full).abs().max().item()
    if is_llama(c):  # the module's full forward against the test suite's reference LLaMA
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                        "parity"))
        import llama_ref
        rc = dict(V=c["V"], C=c["C"], L=c["L"], NH=c["NH"], KV=c["KV"], F=c["F"],
                  theta=c["theta"], eps=c["eps"], tied=c["tied"])
        ref_logits = llama_ref.forward(rc, model.hf_weights(c), seqs[:, :P + 7])
        err = max(err, (ref_logits - model(seqs[:, :P + 7])[..., :c["V"]]).abs().max().item())
    return err


def timed(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def peak_gflops(n=2048, tries=3):
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    torch.mm(a, b, out=out)
    best = math.inf
    for _ in range(tries):
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best / 1e9


def record(base, what, s, tokens_per_s, gflops, peak):
    """One measurement with the keys in the documented order."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    base = dict(base)
    fp = base.pop("flop_params")
    return dict(impl="torch", what=what, **base, s_per_step=s, tokens_per_s=tokens_per_s,
                gflops=gflops, peak_gflops=peak, peak_rss_mb=round(rss, 1), flop_params=fp)


def bench_config(name, c, repeats, threads, peak):
    policy, ref = build(c)
    opt = make_optimizer(policy)
    g = torch.Generator().manual_seed(42)
    B, S, P = 2 * c["batch_pairs"], c["seq"], c["seq"] // 2
    tokens = torch.randint(0, c["V"], (B, S), generator=g)
    n = flop_params(c)
    base = dict(config=name, params=param_count(c), batch_pairs=c["batch_pairs"], seq=S,
                threads=threads, flop_params=n)

    # smallest footprint first, so each line's peak_rss_mb is its own measurement's peak
    policy.eval()
    one = tokens[:1, :16].contiguous()
    s = timed(lambda: sample(policy, one, 64, g, greedy=True), repeats)
    yield record(base, "decode1", s, 64 / s, 2 * n * (16 + 64) / s / 1e9, peak)

    prompts = torch.randint(0, c["V"], (SAMPLE_SEQS, P), generator=g)
    s = timed(lambda: sample(policy, prompts, NEW_TOKENS, g), repeats)
    flops = 2 * n * SAMPLE_SEQS * (P + NEW_TOKENS)
    yield record(base, "sample", s, SAMPLE_SEQS * NEW_TOKENS / s, flops / s / 1e9, peak)

    policy.train()
    s = timed(lambda: dpo_step(policy, ref, opt, tokens, P, c["V"]), repeats)
    flops = 6 * n * B * S + 2 * n * B * S
    yield record(base, "dpo_step", s, B * S / s, flops / s / 1e9, peak)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (2)")
    ap.add_argument("--config", choices=list(CONFIGS) + ["all"], default="all")
    ap.add_argument("--repeats", type=int, default=5, help="timed steps; the median is reported (5)")
    ap.add_argument("--check", action="store_true", help="verify the KV cache first")
    a = ap.parse_args()
    if a.threads < 1:
        ap.error(f"--threads: expected >= 1, found {a.threads}")
    if a.repeats < 1:
        ap.error(f"--repeats: expected >= 1, found {a.repeats}")
    torch.set_num_threads(a.threads)
    names = ALL_CONFIGS if a.config == "all" else [a.config]
    if a.check:
        for name in names:
            err = check_kv_cache(CONFIGS[name])
            print(f"# kv-cache check {name}: max abs diff {err:.3e}", file=sys.stderr)
            if not err < 1e-4:
                print("torch_ref: KV-cache decoder disagrees with the full forward", file=sys.stderr)
                return 1
    peak = peak_gflops()
    for name in names:
        for rec in bench_config(name, CONFIGS[name], a.repeats, a.threads, peak):
            print(json.dumps(rec), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
