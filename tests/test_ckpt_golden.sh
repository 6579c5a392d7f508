#!/usr/bin/env bash
# Golden layout of a checkpoint: `h5dump -H` of a tiny checkpoint (file name and the length of
# the build-dependent created_by string normalised) must equal tests/golden/ckpt.ddl, so any
# layout change shows up as a diff. After an intended layout change, regenerate the golden file:
#   bash tests/test_ckpt_golden.sh build/tests/test_ckpt_tool --update
set -eu
tool=$1
src=${CONCORD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
golden=$src/tests/golden/ckpt.ddl
work=$PWD/test_ckpt_golden.d
[ "${2:-}" = --update ] && work=$(mktemp -d)  # not in the caller's directory (maybe the source tree)
rm -rf "$work" && mkdir -p "$work"
"$tool" write "$work/run" round_0001 7
h5dump -H "$work/run/ckpt/round_0001.h5" |
    sed -e '1s|^HDF5 ".*" {$|HDF5 "ckpt.h5" {|' |
    awk '/ATTRIBUTE "created_by"/ { cb = 1 }
         cb && /STRSIZE/ { sub(/STRSIZE [0-9]+;/, "STRSIZE <created_by>;"); cb = 0 }
         { print }' >"$work/ckpt.ddl"
if [ "${2:-}" = --update ]; then
    cp "$work/ckpt.ddl" "$golden"
    echo "updated $golden"
fi
if diff -u "$golden" "$work/ckpt.ddl"; then
    echo "1 passed, 0 failed"
else
    echo "checkpoint layout differs from $golden (diff above)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
