"""llama_ref.py — a LLaMA-family decoder (LlamaForCausalLM's math) written out in PyTorch for the
tests: RMSNorm, rotary position embeddings in Hugging Face's rotate-half layout, grouped-query
attention, SwiGLU MLP, no biases, tied or untied LM head. No Hugging Face library is needed.

Weights are a dict keyed by Hugging Face's tensor names ("model.layers.0.self_attn.q_proj.weight",
...), so a test can save them as a safetensors file that `concord import-hf` reads, and
`to_concord` / `from_concord` convert them to and from concord's table (train/params.h: q/k/v rows
fused into qkv_w, gate/up rows into gate_up_w, per-layer tensors stacked on a leading L).

cfg keys: V (vocab rows), C (hidden), L (layers), NH (heads), KV (key/value heads), F (MLP width),
theta (rope base), eps (RMSNorm epsilon), tied (bool).
"""
import torch

CONCORD_ORDER = ["wte", "attn_norm_w", "qkv_w", "attn_proj_w", "mlp_norm_w", "gate_up_w",
                 "down_w", "norm_w", "lm_head"]


def hf_names(cfg):
    """Every Hugging Face tensor name of the model with its shape."""
    C, F, hs = cfg["C"], cfg["F"], cfg["C"] // cfg["NH"]
    names = {"model.embed_tokens.weight": (cfg["V"], C), "model.norm.weight": (C,)}
    for l in range(cfg["L"]):
        p = f"model.layers.{l}."
        names.update({
            p + "input_layernorm.weight": (C,),
            p + "self_attn.q_proj.weight": (cfg["NH"] * hs, C),
            p + "self_attn.k_proj.weight": (cfg["KV"] * hs, C),
            p + "self_attn.v_proj.weight": (cfg["KV"] * hs, C),
            p + "self_attn.o_proj.weight": (C, C),
            p + "post_attention_layernorm.weight": (C,),
            p + "mlp.gate_proj.weight": (F, C),
            p + "mlp.up_proj.weight": (F, C),
            p + "mlp.down_proj.weight": (C, F),
        })
    if not cfg["tied"]:
        names["lm_head.weight"] = (cfg["V"], C)
    return names


def random_weights(cfg, seed=0, dtype=torch.float64):
    """Random weights, norms around 1, so no term of the model is trivially zero or one."""
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, shape in hf_names(cfg).items():
        t = torch.randn(shape, generator=g, dtype=dtype)
        w[name] = 1.0 + 0.1 * t if name.endswith("norm.weight") or "layernorm" in name else 0.1 * t
    return w


def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope_cos_sin(S, hs, theta, dtype, start=0):
    """(S, hs) cos and sin for positions start..start+S-1; frequency i (< hs/2) is theta^(-2i/hs),
    repeated for both halves (rotate-half layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, hs, 2, dtype=torch.float64) / hs))
    pos = torch.arange(start, start + S, dtype=torch.float64)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def forward(cfg, w, tokens):
    """Logits (B, S, V) of tokens (B, S) (a LongTensor)."""
    B, S = tokens.shape
    C, NH, KV = cfg["C"], cfg["NH"], cfg["KV"]
    hs, rep = C // NH, NH // KV
    x = w["model.embed_tokens.weight"][tokens]
    cos, sin = rope_cos_sin(S, hs, cfg["theta"], x.dtype)
    mask = torch.full((S, S), float("-inf"), dtype=x.dtype).triu(1)
    for l in range(cfg["L"]):
        p = f"model.layers.{l}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], cfg["eps"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(B, S, NH, hs).transpose(1, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(B, S, KV, hs).transpose(1, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(B, S, KV, hs).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(rep, dim=1)  # query head h reads key/value head h // rep
        v = v.repeat_interleave(rep, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / hs ** 0.5 + mask, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, S, C)
        x = x + y @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg["eps"])
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], cfg["eps"])
    head = w["model.embed_tokens.weight"] if cfg["tied"] else w["lm_head.weight"]
    return x @ head.T


def to_concord(cfg, w, Vp=None):
    """concord's tensors {name: tensor} (train/params.h shapes) from Hugging Face-named weights;
    wte and lm_head get zero rows up to Vp."""
    Vp = Vp or cfg["V"]

    def pad(t):
        return torch.cat([t, t.new_zeros(Vp - t.shape[0], t.shape[1])]) if Vp > t.shape[0] else t

    def stack(fmt):
        return torch.stack([fmt(f"model.layers.{l}.") for l in range(cfg["L"])])

    out = {
        "wte": pad(w["model.embed_tokens.weight"]),
        "attn_norm_w": stack(lambda p: w[p + "input_layernorm.weight"]),
        "qkv_w": stack(lambda p: torch.cat([w[p + "self_attn.q_proj.weight"],
                                            w[p + "self_attn.k_proj.weight"],
                                            w[p + "self_attn.v_proj.weight"]])),
        "attn_proj_w": stack(lambda p: w[p + "self_attn.o_proj.weight"]),
        "mlp_norm_w": stack(lambda p: w[p + "post_attention_layernorm.weight"]),
        "gate_up_w": stack(lambda p: torch.cat([w[p + "mlp.gate_proj.weight"],
                                                w[p + "mlp.up_proj.weight"]])),
        "down_w": stack(lambda p: w[p + "mlp.down_proj.weight"]),
        "norm_w": w["model.norm.weight"],
    }
    if not cfg["tied"]:
        out["lm_head"] = pad(w["lm_head.weight"])
    return out


def from_concord(cfg, t):
    """Hugging Face-named weights from concord's tensors (inverse of to_concord, padding dropped)."""
    C, F, V = cfg["C"], cfg["F"], cfg["V"]
    hs = C // cfg["NH"]
    nq, nkv = cfg["NH"] * hs, cfg["KV"] * hs
    w = {"model.embed_tokens.weight": t["wte"][:V], "model.norm.weight": t["norm_w"]}
    for l in range(cfg["L"]):
        p = f"model.layers.{l}."
        qkv, gu = t["qkv_w"][l], t["gate_up_w"][l]
        w.update({
            p + "input_layernorm.weight": t["attn_norm_w"][l],
            p + "self_attn.q_proj.weight": qkv[:nq],
            p + "self_attn.k_proj.weight": qkv[nq:nq + nkv],
            p + "self_attn.v_proj.weight": qkv[nq + nkv:],
            p + "self_attn.o_proj.weight": t["attn_proj_w"][l],
            p + "post_attention_layernorm.weight": t["mlp_norm_w"][l],
            p + "mlp.gate_proj.weight": gu[:F],
            p + "mlp.up_proj.weight": gu[F:],
            p + "mlp.down_proj.weight": t["down_w"][l],
        })
    if not cfg["tied"]:
        w["lm_head.weight"] = t["lm_head"][:V]
    return w


def _self_test():
    cfg = dict(V=11, C=16, L=2, NH=4, KV=2, F=24, theta=10000.0, eps=1e-5, tied=False)
    w = random_weights(cfg, seed=1)
    back = from_concord(cfg, to_concord(cfg, w, Vp=16))
    assert all(torch.equal(w[k], back[k]) for k in w), "to_concord/from_concord do not round-trip"
    tokens = torch.randint(0, cfg["V"], (2, 7), generator=torch.Generator().manual_seed(2))
    full = forward(cfg, w, tokens)
    prefix = forward(cfg, w, tokens[:, :4])  # causal: a prefix's logits do not see the rest
    assert torch.allclose(full[:, :4], prefix, atol=1e-12), "attention is not causal"
    print("llama_ref self-test: ok")


if __name__ == "__main__":
    _self_test()
