#!/usr/bin/env bash
# When OpenBLAS picks kernels older than the CPU supports (forced here with OPENBLAS_CORETYPE,
# as a VM with an unknown CPU model does by itself), concord warns once and names the fix.
# Usage: test_blas_core.sh CONCORD
set -euo pipefail
C=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$(dirname "$0")/.."
if ! grep -qw avx2 /proc/cpuinfo; then echo "skip: no AVX2 on this CPU"; exit 0; fi
OPENBLAS_CORETYPE=Prescott "$C" sft configs/tiny.json --run-dir "$W/r" --set sft.steps=2 \
    >"$W/out" 2>&1
grep -q "OpenBLAS chose its 'Prescott' kernels" "$W/out" || { cat "$W/out"; exit 1; }
grep -q "OPENBLAS_CORETYPE=" "$W/out"
[ "$(grep -c "OpenBLAS chose" "$W/out")" = 1 ]
# Without the override the kernels OpenBLAS picks on this machine draw no warning when they match
# the CPU (this machine's own environment is left as it is).
"$C" sft configs/tiny.json --run-dir "$W/r2" --set sft.steps=2 >"$W/out2" 2>&1
if grep -q "OpenBLAS chose" "$W/out2"; then
    echo "note: OpenBLAS picks older kernels than this CPU supports here:"; grep "OpenBLAS chose" "$W/out2"
fi
echo ok
