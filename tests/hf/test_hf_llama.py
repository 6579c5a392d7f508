#!/usr/bin/python3
"""tests/hf/test_hf_llama.py — `concord import-hf` / `export-hf` of LLaMA models (LlamaForCausalLM)
end to end.

tests/parity/llama_ref.py gives the model (Hugging Face tensor names, random weights, the float64
forward, the conversion to concord's fused table); tests/hf/test_hf.py gives the safetensors
writer and reader (the format itself, no Hugging Face library) and the refusal checks. A small
LLaMA with grouped-query attention (NH 4, KV 2) is written as a Hugging Face directory in several
variants: tied and untied heads, F32, BF16 and F16 weights, config fields left to their defaults,
a tied model that carries lm_head.weight, older files' rotary_emb.inv_freq buffers, and weights
split over two shards with model.safetensors.index.json. For each:
  * import-hf: the summary line shows the config read (KV, F, theta, eps, tied/untied);
  * the checkpoint's /model (read with h5py) equals llama_ref.to_concord of the (rounded) weights
    exactly: q/k/v and gate/up fused in the right row order, wte/lm_head padded with zero rows;
  * concord's logits (test_safetensors logits) against llama_ref.forward in float64 on the same
    weights: normwise relative error <= 1e-4;
  * export-hf: the safetensors file is well formed (F32, sorted, aligned, contiguous), holds
    exactly llama_ref.hf_names of the model, each tensor equal to the source; config.json has
    every field; the exported files loaded back into llama_ref give the reference logits
    exactly; import of the export is bit-identical (h5diff of /model).
  * the BPE beside the weights goes into the checkpoint and back out of export-hf.
Bad inputs: every refusal of io/hf_llama.h (config fields, tensors, shards) and a llm.c LLaMA 3
file given to import-llmc exit 2 with exactly one "error:" line naming the problem, nothing on
stdout, no crash and no output file.

Usage: test_hf_llama.py CONCORD TEST_SAFETENSORS [--bad-only]
  --bad-only runs only the bad-input cases (tests/test_asan.sh runs them on the ASan build).
Prints "N passed, N failed"; exit status 0 when nothing failed.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
import llama_ref  # noqa: E402
import test_hf as hf  # noqa: E402  (its check() counters are the ones this test reports)

TOL = 1e-4  # normwise relative error allowed between concord's float32 logits and float64 ones
BASE = dict(V=61, C=32, L=2, NH=4, KV=2, F=48, theta=10000.0, eps=1e-5, tied=True)
T = 16  # max_position_embeddings
VP = 128  # the default padding of 61 rows
TOKENS = [0, 5, 60, 17, 33, 2, 59, 11, 8, 40, 1, 3, 7, 0, 9, 44]
TORCH_DTYPE = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}

check = hf.check


def model_cfg(**kw):
    c = dict(BASE)
    c.update(kw)
    return c


def hf_config(cfg, drop=(), **extra):
    """config.json of cfg as transformers writes it; drop removes fields, extra adds/overrides."""
    c = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
         "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "head_dim":
         cfg["C"] // cfg["NH"], "hidden_act": "silu", "hidden_size": cfg["C"],
         "initializer_range": 0.02, "intermediate_size": cfg["F"], "max_position_embeddings": T,
         "mlp_bias": False, "num_attention_heads": cfg["NH"], "num_hidden_layers": cfg["L"],
         "num_key_value_heads": cfg["KV"], "pretraining_tp": 1, "rms_norm_eps": cfg["eps"],
         "rope_scaling": None, "rope_theta": cfg["theta"], "tie_word_embeddings": cfg["tied"],
         "torch_dtype": "bfloat16", "use_cache": True, "vocab_size": cfg["V"]}
    for k in drop:
        c.pop(k)
    c.update(extra)
    return c


def cfg_of_json(x):
    """llama_ref's cfg from a config.json dict (as a loader reads it, with LlamaConfig's defaults)."""
    return dict(V=x["vocab_size"], C=x["hidden_size"], L=x["num_hidden_layers"],
                NH=x["num_attention_heads"], KV=x.get("num_key_value_heads", x["num_attention_heads"]),
                F=x["intermediate_size"], theta=float(x.get("rope_theta", 10000.0)),
                eps=float(x["rms_norm_eps"]), tied=bool(x.get("tie_word_embeddings", False)))


def rounded(w, dtype):
    """The weights as the file holds them (rounded to dtype), back in float64."""
    return {k: v.to(TORCH_DTYPE[dtype]).double() for k, v in w.items()}


def entries(w, dtype):
    return hf.entries_of({k: v.float() for k, v in w.items()}, dtype)


def read_model(h5):
    with h5py.File(h5, "r") as f:
        return {k: torch.from_numpy(f["model"][k][()]) for k in f["model"]}


def write_sharded(d, cfg_json, ents, shards=2, index=None):
    """ents split over model-0000i-of-0000n.safetensors in name order, with the index (or the
    given index dict)."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg_json, f)
    names = sorted(ents)
    files = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
    weight_map = {}
    for i, fn in enumerate(files):
        part = {n: ents[n] for n in names[i::shards]}
        header, data = hf.layout(part)
        with open(os.path.join(d, fn), "wb") as f:
            f.write(hf.file_bytes(json.dumps(header), data))
        weight_map.update({n: fn for n in part})
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump(index if index is not None else
                  {"metadata": {"total_size": 0}, "weight_map": weight_map}, f)
    return weight_map


# ---------------------------------------------------------------------------------------------
# Good models

def summary_text(cfg, vp=VP):
    return (f"LLaMA with V={cfg['V']} Vp={vp} T={T} C={cfg['C']} L={cfg['L']} NH={cfg['NH']} "
            f"KV={cfg['KV']} F={cfg['F']} rope_theta={cfg['theta']:g} norm_eps={cfg['eps']:g} "
            f"{'tied' if cfg['tied'] else 'untied'} head")


def check_import(env, tag, cfg, src, ck, logits):
    """The checkpoint ck against the float64 weights src (already rounded): /model and logits.
    Returns the normwise error (None when no logits came back)."""
    want = llama_ref.to_concord(cfg, src, Vp=VP)
    got = read_model(ck)
    check(sorted(got) == sorted(want), f"{tag}: /model holds {sorted(got)}, expected {sorted(want)}")
    for k, v in want.items():
        if k in got:
            check(got[k].shape == v.shape and torch.equal(got[k].double(), v),
                  f"{tag}: /model/{k} differs from llama_ref.to_concord (shape {tuple(got[k].shape)}"
                  f" vs {tuple(v.shape)})")
    if not logits:
        return None
    ref = llama_ref.forward(cfg, src, torch.tensor([TOKENS]))[0].numpy()
    out = env.logits(ck, TOKENS)
    if out is None:
        return None
    err = hf.normwise(out, ref)
    check(err <= TOL, f"{tag}: logits normwise relative error {err:.3g} > {TOL}")
    return err


def check_export(env, tag, cfg, src, ck):
    ex = env.path(tag + "-export")
    rc, so, se = hf.run([env.concord, "export-hf", ck, ex])
    check(rc == 0 and hf.no_crash(se), f"{tag}: export-hf exit {rc}: {se}")
    check(f"LLaMA with V={cfg['V']} T={T}" in so, f"{tag}: export summary: {so}")
    if rc != 0:
        return
    check(sorted(os.listdir(ex)) == ["config.json", "model.safetensors"],
          f"{tag}: export dir holds {os.listdir(ex)}")
    _, tensors, problems = hf.read_safetensors(os.path.join(ex, "model.safetensors"))
    check(not problems, f"{tag}: exported safetensors: {problems}")
    names = llama_ref.hf_names(cfg)
    check(sorted(tensors) == sorted(names), f"{tag}: exported names differ: "
          f"{sorted(set(tensors) ^ set(names))}")
    for k, shape in names.items():
        if k in tensors:
            check(tuple(tensors[k].shape) == shape and torch.equal(tensors[k].double(), src[k]),
                  f"{tag}: exported {k} differs from the source")
    x = json.load(open(os.path.join(ex, "config.json")))
    want = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": cfg["V"],
            "hidden_size": cfg["C"], "intermediate_size": cfg["F"], "num_hidden_layers": cfg["L"],
            "num_attention_heads": cfg["NH"], "num_key_value_heads": cfg["KV"],
            "max_position_embeddings": T, "rms_norm_eps": cfg["eps"], "rope_theta": cfg["theta"],
            "tie_word_embeddings": cfg["tied"], "hidden_act": "silu", "rope_scaling": None,
            "attention_bias": False, "mlp_bias": False, "head_dim": cfg["C"] // cfg["NH"],
            "torch_dtype": "float32"}
    for k, v in want.items():
        check(k in x and x[k] == v, f"{tag}: exported config {k} = {x.get(k)!r}, expected {v!r}")
    # as a loader would: the model from the exported config, the exported tensors in it
    if not problems and sorted(tensors) == sorted(names):
        xcfg = cfg_of_json(x)
        tok = torch.tensor([TOKENS])
        again = llama_ref.forward(xcfg, {k: v.double() for k, v in tensors.items()}, tok)
        check(torch.equal(again, llama_ref.forward(cfg, src, tok)),
              f"{tag}: the exported model's logits differ from the source's")
    ck2 = env.path(tag + "-again.h5")
    so = env.import_ok(ex, ck2)
    check(summary_text(cfg) in so, f"{tag}: re-import summary: {so}")
    rc, so, se = hf.run(["h5diff", ck, ck2, "/model", "/model"])
    check(rc == 0, f"{tag}: import of the export differs from the import: {so}{se}")


def test_good(env, logits=True):
    gqa = model_cfg()
    variants = [  # tag, cfg, dtype, config.json (dropped fields, extra), extra tensors, sharded
        # with fields SmolLM2's config.json carries that transformers ignores
        ("F32-tied", gqa, "F32", ((), {"rope_interleaved": False, "is_llama_config": True}), (),
         False),
        # every defaulted field absent; detected by architectures alone: KV = NH, theta 10000,
        # untied (LlamaConfig's tie_word_embeddings default), hidden_act silu
        ("F32-defaults", model_cfg(KV=4, tied=False), "F32",
         (("num_key_value_heads", "rope_theta", "tie_word_embeddings", "hidden_act", "head_dim",
           "rope_scaling", "attention_bias", "mlp_bias", "model_type"), {}), (), False),
        ("BF16-untied", model_cfg(tied=False, theta=500000.0, eps=1e-6), "BF16", ((), {}),
         ("inv_freq",), False),
        ("F16-tied-lm_head", gqa, "F16", ((), {}), ("lm_head",), False),
        ("F32-sharded", model_cfg(tied=False), "F32", ((), {}), (), True),
    ]
    worst = {}
    for tag, cfg, dtype, (drop, extra), extra_tensors, sharded in variants:
        w = llama_ref.random_weights(cfg, seed=len(tag))
        src = rounded(w, dtype)
        ents = entries(w, dtype)
        if "lm_head" in extra_tensors:
            ents["lm_head.weight"] = ents["model.embed_tokens.weight"]
        if "inv_freq" in extra_tensors:
            hs = cfg["C"] // cfg["NH"]
            inv = 1.0 / (cfg["theta"] ** (torch.arange(0, hs, 2, dtype=torch.float32) / hs))
            for l in range(cfg["L"]):
                ents[f"model.layers.{l}.self_attn.rotary_emb.inv_freq"] = (
                    "F32", (hs // 2,), hf.tensor_bytes(inv))
        d, ck = env.path(tag), env.path(tag + ".h5")
        cj = hf_config(cfg, drop, **extra)
        if sharded:
            write_sharded(d, cj, ents)
        else:
            hf.write_hf_dir(d, cj, ents)
        so = env.import_ok(d, ck)
        check(summary_text(cfg) in so, f"{tag}: import summary: {so}")
        if not os.path.exists(ck):
            continue
        err = check_import(env, tag, cfg, src, ck, logits)
        if err is not None:
            worst[tag] = err
        check_export(env, tag, cfg, src, ck)
    if worst:
        print("logits normwise relative error vs float64 llama_ref: " +
              ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))

    so = env.import_ok(env.path("F32-tied"), env.path("pad64.h5"), "--vocab-pad-to", "64")
    check("V=61 Vp=64 " in so, f"--vocab-pad-to 64: {so}")


def test_tokenizer(env):
    """The BPE beside a LLaMA's weights goes into the checkpoint and back out of export-hf."""
    vocab, merges = hf.small_bpe()
    cfg = model_cfg(V=len(vocab), C=16, L=1, NH=2, KV=1, F=24)
    d = env.path("bpe")
    hf.write_hf_dir(d, hf_config(cfg), entries(llama_ref.random_weights(cfg, seed=5), "F32"))
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    h5 = env.path("bpe.h5")
    env.import_ok(d, h5)
    rc, so, _ = hf.run(["h5dump", "-a", "/tokenizer/kind", h5])
    check(rc == 0 and "gpt2_bpe" in so, f"the BPE is stored: {so[-300:]}")
    ex = env.path("bpe-ex")
    rc, so, se = hf.run([env.concord, "export-hf", h5, ex])
    check(rc == 0, f"export with a tokenizer: {se}")
    if rc == 0:
        got = json.load(open(os.path.join(ex, "vocab.json"), encoding="utf-8"))
        check(got == {t: i for i, t in enumerate(vocab)}, "exported vocab.json equals the input")
        h5b = env.path("bpe-again.h5")
        env.import_ok(ex, h5b)
        rc, so, se = hf.run(["h5diff", h5, h5b, "/tokenizer"])
        check(rc == 0, f"re-imported tokenizer identical: {so} {se}")


# ---------------------------------------------------------------------------------------------
# Bad inputs

def test_bad(env):
    cfg = model_cfg(tied=False)
    w = llama_ref.random_weights(cfg, seed=9)
    good = entries(w, "F32")
    out = env.path("bad-out.h5")
    d = env.path("bad")
    hs = cfg["C"] // cfg["NH"]

    def case(name, needles, cj=None, ents=None, extra=()):
        hf.write_hf_dir(d, cj if cj is not None else hf_config(cfg),
                        ents if ents is not None else good)
        env.refused(name, ["import-hf", d, out, *extra], needles, out)

    def conf(drop=(), **kw):
        return hf_config(cfg, drop, **kw)

    # config.json
    case("missing hidden_size", ["config.json", "missing field \"hidden_size\"", "llama"],
         conf(("hidden_size",)))
    case("missing max_position_embeddings", ["missing field \"max_position_embeddings\""],
         conf(("max_position_embeddings",)))
    case("missing rms_norm_eps", ["missing field \"rms_norm_eps\""], conf(("rms_norm_eps",)))
    case("hidden_size a string", ["config.json", "\"hidden_size\"", "a string"],
         conf(hidden_size="32"))
    case("num_hidden_layers fractional", ["\"num_hidden_layers\"", "positive integer"],
         conf(num_hidden_layers=1.5))
    case("tie_word_embeddings a string", ["\"tie_word_embeddings\"", "a string", "boolean"],
         conf(tie_word_embeddings="false"))
    case("NH not divisible by KV", ["num_attention_heads", "num_key_value_heads", "divisible"],
         conf(num_key_value_heads=3))
    case("C not divisible by NH", ["hidden_size", "num_attention_heads", "divisible"],
         conf(num_attention_heads=5, head_dim=None))
    case("odd head size", ["config.json", "head size", "36 / 4 = 9", "odd"],
         conf(hidden_size=36, head_dim=None))
    case("rope_theta zero", ["config.json", "\"rope_theta\"", "> 0"], conf(rope_theta=0))
    case("rope_theta negative", ["\"rope_theta\"", "-1"], conf(rope_theta=-1.0))
    case("rope_theta a string", ["\"rope_theta\"", "a string"], conf(rope_theta="10000"))
    case("rms_norm_eps zero", ["\"rms_norm_eps\"", "> 0"], conf(rms_norm_eps=0.0))
    case("rms_norm_eps below float32", ["\"rms_norm_eps\"", "float32"], conf(rms_norm_eps=1e-60))
    case("rope_scaling", ["config.json", "\"rope_scaling\"", "not supported"],
         conf(rope_scaling={"type": "linear", "factor": 2.0}))
    case("attention_bias", ["config.json", "\"attention_bias\"", "true"],
         conf(attention_bias=True))
    case("mlp_bias", ["config.json", "\"mlp_bias\"", "true"], conf(mlp_bias=True))
    case("hidden_act", ["config.json", "\"hidden_act\"", "\"gelu\"", "silu"],
         conf(hidden_act="gelu"))
    case("head_dim", ["config.json", "\"head_dim\"", "16", f"= {hs}"], conf(head_dim=2 * hs))
    case("model_type mistral", ["config.json", "\"model_type\"", "\"mistral\"", "\"llama\""],
         conf(model_type="mistral", architectures=["MistralForCausalLM"]))
    case("context too long for concord", ["config.json", "cannot hold"],
         conf(max_position_embeddings=131072))

    # tensors
    def without(name):
        return {k: v for k, v in good.items() if k != name}

    def with_(name, dtype, shape, raw):
        e = dict(good)
        e[name] = (dtype, shape, raw)
        return e
    case("missing k_proj", ["model.safetensors",
                            "missing tensor \"model.layers.1.self_attn.k_proj.weight\""],
         ents=without("model.layers.1.self_attn.k_proj.weight"))
    case("k_proj without GQA", ["model.layers.0.self_attn.k_proj.weight",
                                f"shape [{cfg['C']}, {cfg['C']}], expected [{2 * hs}, {cfg['C']}]"],
         ents=with_("model.layers.0.self_attn.k_proj.weight", "F32", (cfg["C"], cfg["C"]),
                    hf.tensor_bytes(torch.zeros(cfg["C"], cfg["C"]))))
    case("up_proj transposed", ["model.layers.1.mlp.up_proj.weight",
                                f"expected [{cfg['F']}, {cfg['C']}]"],
         ents=with_("model.layers.1.mlp.up_proj.weight", "F32", (cfg["C"], cfg["F"]),
                    hf.tensor_bytes(torch.zeros(cfg["C"], cfg["F"]))))
    case("embedding rows", ["model.embed_tokens.weight", f"expected [{cfg['V']}, {cfg['C']}]"],
         ents=with_("model.embed_tokens.weight", "F32", (cfg["V"] + 1, cfg["C"]),
                    hf.tensor_bytes(torch.zeros(cfg["V"] + 1, cfg["C"]))))
    case("norm as a matrix", ["model.norm.weight", "shape [1, 32], expected [32]"],
         ents=with_("model.norm.weight", "F32", (1, cfg["C"]), hf.tensor_bytes(torch.ones(1, 32))))
    case("integer weights", ["model.norm.weight", "dtype I32"],
         ents=with_("model.norm.weight", "I32", (cfg["C"],),
                    hf.tensor_bytes(torch.ones(cfg["C"], dtype=torch.int32))))
    case("a bias tensor", ["unexpected tensor \"model.layers.0.self_attn.q_proj.bias\"",
                           "no biases"],
         ents=with_("model.layers.0.self_attn.q_proj.bias", "F32", (cfg["C"],),
                    hf.tensor_bytes(torch.zeros(cfg["C"]))))
    case("a layer past num_hidden_layers", ["unexpected tensor",
                                            "model.layers.2.input_layernorm.weight",
                                            "num_hidden_layers = 2"],
         ents=with_("model.layers.2.input_layernorm.weight", "F32", (cfg["C"],),
                    hf.tensor_bytes(torch.ones(cfg["C"]))))
    case("untied without lm_head", ["missing tensor \"lm_head.weight\"", "tie_word_embeddings"],
         ents=without("lm_head.weight"))
    case("untied by default without lm_head", ["missing tensor \"lm_head.weight\"",
                                               "tie_word_embeddings"],
         conf(("tie_word_embeddings",)), ents=without("lm_head.weight"))
    case("tied with a different lm_head", ["\"lm_head.weight\"", "differs",
                                           "model.embed_tokens.weight", "tie_word_embeddings"],
         conf(tie_word_embeddings=True))
    case("lm_head of another shape when tied", ["\"lm_head.weight\"", "expected [61, 32]"],
         conf(tie_word_embeddings=True),
         ents=with_("lm_head.weight", "F32", (cfg["V"], cfg["C"] + 1),
                    hf.tensor_bytes(torch.zeros(cfg["V"], cfg["C"] + 1))))
    header, data = hf.layout(good)
    raw = hf.file_bytes(json.dumps(header), data)
    hf.write_hf_dir(d, hf_config(cfg), None, raw=raw[:-64])
    env.refused("truncated safetensors", ["import-hf", d, out], ["model.safetensors"], out)

    # shards
    cj = hf_config(cfg)

    def shard_case(name, needles, index=None, after=None):
        write_sharded(d, cj, good, index=index)
        if after:
            after()
        env.refused(name, ["import-hf", d, out], needles, out)
    wm = {n: f"model-{i % 2 + 1:05d}-of-00002.safetensors" for i, n in enumerate(sorted(good))}
    shard_case("index without weight_map", ["model.safetensors.index.json", "\"weight_map\""],
               index={"metadata": {}})
    shard_case("index weight_map an array", ["\"weight_map\"", "an array"],
               index={"weight_map": []})
    shard_case("shard outside the directory", ["weight_map", "../x.safetensors", "shard file"],
               index={"weight_map": dict(wm, **{"model.norm.weight": "../x.safetensors"})})
    moved = dict(wm)
    first = sorted(good)[0]
    moved[first] = "model-00002-of-00002.safetensors"
    shard_case("index puts a tensor in the wrong shard", ["weight_map puts tensor", first],
               index={"weight_map": moved})
    unlisted = {k: v for k, v in wm.items() if k != "model.norm.weight"}
    shard_case("shard tensor the index does not list", ["model.norm.weight", "does not list"],
               index={"weight_map": unlisted})
    shard_case("missing shard", ["model-00002-of-00002.safetensors"],
               after=lambda: os.remove(os.path.join(d, "model-00002-of-00002.safetensors")))
    shard_case("index not JSON", ["model.safetensors.index.json", "not valid JSON"],
               after=lambda: open(os.path.join(d, "model.safetensors.index.json"), "w").write("{"))

    # no weights at all; no config
    hf.write_hf_dir(d, cj, good)
    os.remove(os.path.join(d, "model.safetensors"))
    env.refused("no weights", ["import-hf", d, out], ["model.safetensors"], out)
    open(os.path.join(d, "pytorch_model.bin"), "wb").close()
    env.refused("pytorch_model.bin only", ["import-hf", d, out], ["HINT: ", "pytorch_model.bin"],
                out)

    # import-llmc of llm.c's LLaMA 3 file format
    bin_path = env.path("llama3.bin")
    with open(bin_path, "wb") as f:
        f.write(struct.pack("<256i", 20240803, 3, T, 61, 2, 4, 32, 2, *([0] * 248)))
        f.write(b"\0" * 4096)
    env.refused("import-llmc of an llm.c LLaMA 3 file", ["import-llmc", bin_path, out],
                ["llama3.bin", "20240803", "LLaMA 3", "import-hf"], out)

    # export-hf of a llama checkpoint into a file path
    hf.write_hf_dir(d, cj, good)
    ck = env.path("bad-good.h5")
    env.import_ok(d, ck)
    env.refused("export: DIR is a file", ["export-hf", ck, os.path.join(d, "config.json")],
                ["cannot create", "config.json"])


def main():
    args = [a for a in sys.argv[1:] if a != "--bad-only"]
    if len(args) != 2:
        print(__doc__.split("\n\n")[-2], file=sys.stderr)
        return 2
    env = hf.Env(os.path.abspath(args[0]), os.path.abspath(args[1]),
                 os.path.abspath("test_hf_llama.d"))
    shutil.rmtree(env.work, ignore_errors=True)
    os.makedirs(env.work)
    if "--bad-only" not in sys.argv:
        test_good(env, logits=True)
        test_tokenizer(env)
    test_bad(env)
    print(f"{hf.passed} passed, {hf.failed} failed")
    return 0 if hf.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
