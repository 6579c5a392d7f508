#!/usr/bin/env python3
"""tests/fuzz/make_llmc_seeds.py — writes the llm.c seed files of the fuzz_llmc harness.

Usage: make_llmc_seeds.py OUT_DIR

Each file is an llm.c GPT-2 model file (a 256 x int32 header, then fp32 weights; see io/llmc.h)
for a tiny model, or a near miss of one that io/llmc refuses with its own message: version 1 and
version 5 headers, a wrong magic, a file one float short or one float long, a header with a zero
size. The weights are a fixed pattern (NaN, infinities, -0 and denormals included) so the files
are the same on every run.
"""
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


def main():
    out = sys.argv[1]
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


if __name__ == "__main__":
    main()
