#!/usr/bin/env bash
# A checkpoint read by h5py (the users' tool): names, shapes, dims/description attributes,
# optimizer and state attributes, and every float of every slab compared bit for bit with the
# fixture formula of tests/test_ckpt_fixture.h. Uses /usr/bin/python3 (the Debian one with h5py).
set -eu
tool=$1
py=/usr/bin/python3
work=$PWD/test_ckpt_h5py.d
rm -rf "$work" && mkdir -p "$work"
"$tool" write "$work/run" round_0005 4
"$py" - "$work/run/ckpt/round_0005.h5" <<'PYEOF'
import json, sys
import h5py
import numpy as np

path, seed = sys.argv[1], 4
V, Vp, T, C, L, NH, W = 22, 24, 8, 8, 2, 2, 3
table = [("wte", (Vp, C), "(Vp, C)"), ("wpe", (T, C), "(T, C)"), ("ln1_w", (L, C), "(L, C)"),
         ("ln1_b", (L, C), "(L, C)"), ("qkv_w", (L, 3 * C, C), "(L, 3*C, C)"),
         ("qkv_b", (L, 3 * C), "(L, 3*C)"), ("attn_proj_w", (L, C, C), "(L, C, C)"),
         ("attn_proj_b", (L, C), "(L, C)"), ("ln2_w", (L, C), "(L, C)"), ("ln2_b", (L, C), "(L, C)"),
         ("fc_w", (L, 4 * C, C), "(L, 4*C, C)"), ("fc_b", (L, 4 * C), "(L, 4*C)"),
         ("fc_proj_w", (L, C, 4 * C), "(L, C, 4*C)"), ("fc_proj_b", (L, C), "(L, C)"),
         ("lnf_w", (C,), "(C)"), ("lnf_b", (C,), "(C)")]
M = (1 << 64) - 1
passed = failed = 0

def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)

def mix(z):  # splitmix64 finaliser on uint64 arrays (wrapping arithmetic)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))

def slab_bits(which, n):
    base = np.uint64(((seed * 16 + which) * 0x9E3779B97F4A7C15) & M)
    with np.errstate(over="ignore"):
        h = mix(base + np.arange(n, dtype=np.uint64))
    return (h >> np.uint64(32)).astype(np.uint32)

def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)

n_total = sum(int(np.prod(shape)) for _, shape, _ in table)
with h5py.File(path, "r") as f:
    check(s(f.attrs["format"]) == "concord.ckpt", "format")
    check(int(f.attrs["format_version"]) == 1, "format_version")
    check(int(f.attrs["complete"]) == 1, "complete")
    check(s(f.attrs["created_by"]).startswith("concord "), "created_by")
    for group, which in (("model", 0), ("optim/m", 1), ("optim/v", 2), ("ref", 3), ("prev", 4)):
        g = f[group]
        check(sorted(g.keys()) == sorted(n for n, _, _ in table), group + " tensor names")
        want = slab_bits(which, n_total)
        off = 0
        for name, shape, dims in table:
            d = g[name]
            check(d.shape == shape, f"{group}/{name} shape {d.shape} != {shape}")
            check(d.dtype == np.dtype("<f4"), f"{group}/{name} dtype {d.dtype}")
            check(s(d.attrs["dims"]) == dims, f"{group}/{name} dims attribute")
            check(len(s(d.attrs["description"])) > 0, f"{group}/{name} description")
            cnt = int(np.prod(shape))
            got = d[()].reshape(-1).view(np.uint32)
            check(np.array_equal(got, want[off:off + cnt]), f"{group}/{name} values")
            off += cnt
    o = f["optim"].attrs
    check(s(o["algo"]) == "adamw" and int(o["step"]) == 104, "optim algo/step")
    check(abs(float(o["lr"]) - 3e-4) < 1e-9 and int(o["total_steps"]) == 1000, "optim lr/total")
    c = f["config"].attrs
    check([int(c[k]) for k in ("n_layer", "n_head", "n_embd", "vocab_size", "vocab_padded",
                               "max_seq_len")] == [L, NH, C, V, Vp, T], "config attributes")
    check(json.loads(s(f["config/json"][()]))["seed"] == seed, "config/json")
    check(s(f["tokenizer"].attrs["charset"]) == "0123456789+-*=?YN ", "charset")
    st = f["state"]
    check(int(st.attrs["round"]) == 1 + seed and s(st.attrs["phase"]) == "train", "round/phase")
    check(int(st.attrs["step"]) == 42 + seed and int(st.attrs["round_step"]) == 7, "steps")
    check(int(st.attrs["seed"]) == 0xF000000000000000 + seed, "seed")
    rng = st["rng"][()]
    check(rng.shape == (W, 2) and rng.dtype == np.dtype("<u8"), "rng shape/dtype")
    keys = mix(np.arange(W, dtype=np.uint64) + np.uint64(seed + 1))
    check(np.array_equal(rng[:, 0], keys), "rng keys")
    check(list(rng[:, 1]) == [r * 1000 + seed for r in range(W)], "rng counters")
    check(list(st["role"][()]) == [1, 2, 4], "roles")
    check([s(x) for x in st["cursors"].attrs["names"]] == ["prompt", "sft_example"], "cursor names")
    check(list(st["cursors"][()]) == [12345 + seed, 777], "cursor values")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PYEOF
