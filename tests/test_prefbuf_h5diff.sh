#!/bin/bash
# The round file written by 1, 2, 3 and 4 ranks (test_prefbuf_np1..4, rows split unevenly, some
# ranks with none) must have identical contents: h5diff compares every dataset and attribute
# (created_by is the same build for all four; the files carry no wall-clock time).
# A copy with one changed value must be reported, so the comparison itself is proven to work.
set -u
base=${1:?usage: test_prefbuf_h5diff.sh DIR}
ref=$base/np1/prefs/round_0003.h5
fail=0
for np in 1 2 3 4; do
  f=$base/np$np/prefs/round_0003.h5
  if [ ! -f "$f" ]; then echo "FAIL: $f is missing (did test_prefbuf_np$np run?)"; fail=1; fi
done
for np in 2 3 4; do
  f=$base/np$np/prefs/round_0003.h5
  if h5diff -r "$ref" "$f" >"$base/h5diff_np$np.txt" 2>&1; then
    echo "ok: np1 == np$np"
  else
    echo "FAIL: np1 and np$np differ:"; head -40 "$base/h5diff_np$np.txt"; fail=1
  fi
done
# Negative control: change one float in a copy; h5diff must notice.
cp "$ref" "$base/changed.h5"
/usr/bin/python3 - "$base/changed.h5" <<'PY' || fail=1
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f["pairs/prob"][17] = 0.25
PY
if h5diff -q "$ref" "$base/changed.h5" >/dev/null 2>&1; then
  echo "FAIL: h5diff did not notice a changed value"; fail=1
else
  echo "ok: h5diff notices a changed value"
fi
exit $fail
