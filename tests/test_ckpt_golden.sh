#!/usr/bin/env bash
# Golden layout of a checkpoint: `h5dump -H` of a tiny checkpoint (file name and the length of
# the build-dependent created_by string normalised) must equal tests/golden/ckpt.ddl (GPT-2) and
# tests/golden/ckpt-llama.ddl (LLaMA), so any
# layout change shows up as a diff. After an intended layout change, regenerate the golden file:
#   bash tests/test_ckpt_golden.sh build/tests/test_ckpt_tool --update
set -eu
tool=$1
src=${CONCORD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
work=$PWD/test_ckpt_golden.d
[ "${2:-}" = --update ] && work=$(mktemp -d)  # not in the caller's directory (maybe the source tree)
rm -rf "$work" && mkdir -p "$work"
pass=0 fail=0
# GPT-2 (tests/golden/ckpt.ddl) and the small LLaMA (tests/golden/ckpt-llama.ddl)
for kind in gpt2 llama; do
    golden=$src/tests/golden/ckpt.ddl cmd=write
    [ $kind = llama ] && golden=$src/tests/golden/ckpt-llama.ddl cmd=write-llama
    "$tool" $cmd "$work/$kind" round_0001 7
    h5dump -H "$work/$kind/ckpt/round_0001.h5" |
        sed -e '1s|^HDF5 ".*" {$|HDF5 "ckpt.h5" {|' |
        awk '/ATTRIBUTE "created_by"/ { cb = 1 }
             cb && /STRSIZE/ { sub(/STRSIZE [0-9]+;/, "STRSIZE <created_by>;"); cb = 0 }
             { print }' >"$work/$kind.ddl"
    if [ "${2:-}" = --update ]; then
        cp "$work/$kind.ddl" "$golden"
        echo "updated $golden"
    fi
    if diff -u "$golden" "$work/$kind.ddl"; then
        pass=$((pass + 1))
    else
        echo "$kind checkpoint layout differs from $golden (diff above)" >&2
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
