#!/bin/bash
# `h5dump -H` of a tiny round file must equal tests/golden/round.ddl, after normalising the file
# name and the length of created_by (which depends on `git describe`). Any layout change shows
# here as a diff; update the golden file deliberately when the layout changes on purpose.
set -u
exe=${1:?usage: test_prefbuf_golden.sh TEST_EXE MPIEXEC GOLDEN}
mpiexec=${2:?}
golden=${3:?}
dir=prefbuf_golden
rm -rf "$dir" && mkdir -p "$dir"
"$mpiexec" -n 1 "$exe" write "$dir" 2 5 0 || { echo "FAIL: writing the round"; exit 1; }
h5dump -H "$dir/prefs/round_0002.h5" >"$dir/raw.ddl" || { echo "FAIL: h5dump"; exit 1; }
awk 'NR == 1 { sub(/^HDF5 ".*" \{$/, "HDF5 \"round.h5\" {") }
     /ATTRIBUTE "created_by"/ { cb = 1 }
     cb && /STRSIZE/ { sub(/STRSIZE [0-9]+;/, "STRSIZE N;"); cb = 0 }
     { print }' "$dir/raw.ddl" >"$dir/round.ddl"
if diff -u "$golden" "$dir/round.ddl"; then
  echo "ok: h5dump -H matches $golden"
else
  echo "FAIL: layout differs from $golden (new output: $PWD/$dir/round.ddl)"; exit 1
fi
