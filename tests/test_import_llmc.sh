#!/usr/bin/env bash
# `concord import-llmc` end to end: a tiny llm.c GPT-2 file (written by test_llmc write-bin) is
# imported, the checkpoint samples 5 greedy token ids with `concord sample --tokens --print-ids`,
# and bad inputs (truncated, wrong magic, missing, wrong usage) exit 2 with exactly one line
# starting with "error:" and leave no output file.
# Usage: test_import_llmc.sh CONCORD TEST_LLMC
set -u
concord=$1
writer=$2
work=$PWD/test_import_llmc.d
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "$0")/check.sh"

"$writer" write-bin "$work/tiny.bin" || bad "writing the llm.c file failed"
out=$("$concord" import-llmc "$work/tiny.bin" "$work/tiny.h5" 2>&1)
rc=$?
expect "[ $rc -eq 0 ]" "import exited $rc: $out"
expect "grep -q 'V=50 Vp=64 T=16 C=32 L=2 NH=4' <<< \"\$out\"" "import summary: $out"
expect "[ -f '$work/tiny.h5' ] && [ ! -e '$work/tiny.h5.tmp' ]" "output file missing or .tmp left"

ids=$("$concord" sample "$work/tiny.h5" --tokens 1,2,3 --max-new 5 --greedy --print-ids 2>&1)
rc=$?
expect "[ $rc -eq 0 ]" "sample exited $rc: $ids"
expect "[[ \"\$ids\" =~ ^[0-9]+( [0-9]+){4}$ ]]" "sample did not print 5 ids on one line: '$ids'"
for id in $ids; do
    expect "[ $id -ge 0 ] && [ $id -lt 50 ]" "sampled id $id outside [0, V=50)"
done
again=$("$concord" sample "$work/tiny.h5" --tokens 1,2,3 --max-new 5 --greedy --print-ids 2>&1)
expect "[ \"\$again\" = \"\$ids\" ]" "greedy sampling is not deterministic: '$ids' vs '$again'"
txt=$("$concord" sample "$work/tiny.h5" --prompt "hi" 2>&1)
rc=$?
expect "[ $rc -eq 2 ] && grep -q 'use --tokens' <<< \"\$txt\"" "--prompt on a BPE import: rc $rc: $txt"

# bad_case NAME ARGS...: exit 2, one "error:" line, nothing on stdout, no output file.
bad_case() {
    local name=$1 rc stdout
    shift
    rm -f "$work/out.h5"
    stdout=$("$concord" import-llmc "$@" 2>"$work/$name.err")
    rc=$?
    expect "[ $rc -eq 2 ]" "$name: exit code $rc, expected 2"
    expect "[ \$(grep -c '^error:' '$work/$name.err') -eq 1 ]" \
        "$name: expected one 'error:' line, got: $(cat "$work/$name.err")"
    expect "! grep -q HDF5-DIAG '$work/$name.err'" "$name: HDF5 error stack printed"
    expect "[ -z \"\$stdout\" ]" "$name: unexpected stdout: $stdout"
    expect "[ ! -e '$work/out.h5' ] && [ ! -e '$work/out.h5.tmp' ]" "$name: output file created"
}

size=$(stat -c %s "$work/tiny.bin")
head -c $((size - 7)) "$work/tiny.bin" >"$work/trunc.bin"
bad_case truncated "$work/trunc.bin" "$work/out.h5"
expect "grep -q 'truncated' '$work/truncated.err' && grep -q \"expected $size\" '$work/truncated.err'" \
    "truncated: message does not name the expected size $size: $(cat "$work/truncated.err")"
{ printf 'XXXX'; tail -c +5 "$work/tiny.bin"; } >"$work/magic.bin"
bad_case magic "$work/magic.bin" "$work/out.h5"
expect "grep -q 'magic' '$work/magic.err'" "magic: $(cat "$work/magic.err")"
bad_case missing "$work/none.bin" "$work/out.h5"
bad_case usage "$work/tiny.bin"
bad_case hdf5 "$work/tiny.h5" "$work/out.h5"

check_finish
