#!/usr/bin/env bash
# Cross-check against PyTorch: concord writes weights, a batch and its outputs; the script
# recomputes them in float64 and compares (normwise relative error <= 1e-4).
set -euo pipefail
build=${CONCORD_BUILD_DIR:?}
src=${CONCORD_SOURCE_DIR:?}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/tests/test_parity" "$out/parity.bin"
/usr/bin/python3 "$src/tests/parity/torch_parity.py" "$out/parity.bin"
"$build/tests/test_parity" "$out/nope.bin" none  # NoPE: no position embedding
/usr/bin/python3 "$src/tests/parity/torch_parity.py" "$out/nope.bin"
"$build/tests/test_parity" "$out/abacus.bin" abacus  # digit positions, shifted training rows
/usr/bin/python3 "$src/tests/parity/torch_parity.py" "$out/abacus.bin"
"$build/tests/test_parity" "$out/llama.bin" llama  # LLaMA: GQA (NH 4, KV 2), F = 40, tied head
/usr/bin/python3 "$src/tests/parity/torch_parity.py" "$out/llama.bin"
"$build/tests/test_parity" "$out/llama_untied.bin" llama-untied  # the same with a separate lm_head
/usr/bin/python3 "$src/tests/parity/torch_parity.py" "$out/llama_untied.bin"
