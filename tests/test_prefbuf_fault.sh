#!/bin/bash
# Crash safety: SIGKILL (CONCORD_FAULT) at each stage of writing round 2 with two ranks must leave
# no round-2 file that the reader accepts (neither the final nor the .tmp name), must leave round 1
# byte-identical and listed alone, and a rerun of round 2 must then succeed.
set -u
exe=${1:?usage: test_prefbuf_fault.sh TEST_EXE MPIEXEC}
mpiexec=${2:?}
base=prefbuf_fault
rm -rf "$base" && mkdir -p "$base"
fail=0
for point in prefs.after_create prefs.after_rows prefs.before_complete prefs.before_rename; do
  run=$base/$point
  mkdir -p "$run"
  "$mpiexec" -n 2 "$exe" write "$run" 1 30 2 >"$run/w1.log" 2>&1 || { echo "FAIL: round 1"; fail=1; continue; }
  cp "$run/prefs/round_0001.h5" "$run/round_0001.saved"
  if CONCORD_FAULT=$point "$mpiexec" -n 2 "$exe" write "$run" 2 30 2 >"$run/crash.log" 2>&1; then
    echo "FAIL: $point: the write survived the fault"; fail=1
  fi
  grep -q "fault injection: SIGKILL at $point" "$run/crash.log" || {
    echo "FAIL: $point was not reached"; cat "$run/crash.log"; fail=1; }
  if ! "$mpiexec" -n 1 "$exe" check "$run" 1 2 >"$run/check.log" 2>&1; then
    echo "FAIL: $point: after the crash"; cat "$run/check.log"; fail=1
  fi
  # The temporary file's contents (under a name the reader does not refuse by itself) are
  # incomplete at every point but the last, where only the rename is missing.
  want=refused; [ $point = prefs.before_rename ] && want=ok
  if [ -f "$run/prefs/round_0002.h5.tmp" ]; then
    cp "$run/prefs/round_0002.h5.tmp" "$run/tmp_copy.h5"
    "$mpiexec" -n 1 "$exe" open "$run/tmp_copy.h5" $want >"$run/tmp.log" 2>&1 || {
      echo "FAIL: $point: temporary file contents not $want"; cat "$run/tmp.log"; fail=1; }
  elif [ $want = ok ]; then
    echo "FAIL: $point: no temporary file before the rename"; fail=1
  fi
  cmp -s "$run/prefs/round_0001.h5" "$run/round_0001.saved" || {
    echo "FAIL: $point: round 1 changed"; fail=1; }
  "$mpiexec" -n 2 "$exe" write "$run" 2 30 2 >"$run/w2.log" 2>&1 || {
    echo "FAIL: $point: rerun of round 2"; cat "$run/w2.log"; fail=1; }
  "$mpiexec" -n 1 "$exe" check "$run" 1,2 >"$run/check2.log" 2>&1 || {
    echo "FAIL: $point: after the rerun"; cat "$run/check2.log"; fail=1; }
  [ $fail -eq 0 ] && echo "ok: $point"
done
exit $fail
