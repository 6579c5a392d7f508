#!/bin/bash
# h5py (tests only) must read a round file written by two ranks: names, shapes, the label enum and
# every value, recomputed independently in tests/test_prefbuf_h5py.py.
set -u
exe=${1:?usage: test_prefbuf_h5py.sh TEST_EXE MPIEXEC PY_SCRIPT}
mpiexec=${2:?}
script=${3:?}
dir=prefbuf_h5py
rm -rf "$dir" && mkdir -p "$dir"
"$mpiexec" -n 2 "$exe" write "$dir" 4 50 3 || { echo "FAIL: writing the round"; exit 1; }
# /usr/bin/python3: the first python3 on PATH may lack h5py.
/usr/bin/python3 "$script" "$dir/prefs/round_0004.h5" 4 50
