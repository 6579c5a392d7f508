#!/usr/bin/env bash
# Bad input through the command line: each case prints one clear "error:" message naming the file
# and field, exits with status 2, and never crashes. Run it with CONCORD=<binary> to use another
# build (tests/test_asan.sh runs it on the AddressSanitizer build).
set -euo pipefail
CONCORD=${CONCORD:-${CONCORD_BUILD_DIR:?}/concord}
SRC=${CONCORD_SOURCE_DIR:?}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0

# expect NAME PATTERN CMD...: status 2, stderr holds PATTERN and starts with "error:", no crash.
expect() {
    local name=$1 pattern=$2
    shift 2
    set +e
    "$@" >"$W/out" 2>"$W/err"
    local st=$?
    set -e
    if [ "$st" -eq 2 ] && grep -q -- "$pattern" "$W/err" &&
        grep -v "WARNING: OpenBLAS" "$W/err" | head -1 | grep -q '^error:' &&
        ! grep -qE 'AddressSanitizer|runtime error|Segmentation|core dumped' "$W/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name: status $st, stderr:" >&2
        head -5 "$W/err" >&2
    fi
}

printf '{\n  "run": {"seed": 1,\n  "model": }\n' >"$W/malformed.json"
expect "malformed JSON" "malformed.json:3" "$CONCORD" config "$W/malformed.json"
echo '{"train": {"bta": 0.2}}' >"$W/unknown.json"
expect "unknown key" 'did you mean "train.beta"' "$CONCORD" config "$W/unknown.json"
echo '{"train": {"beta": "high"}}' >"$W/type.json"
expect "wrong type" "train.beta: expected a number" "$CONCORD" config "$W/type.json"
echo '{"train": {"eps": 0.7}}' >"$W/range.json"
expect "out of range" "train.eps" "$CONCORD" config "$W/range.json"
expect "missing config" "nope.json" "$CONCORD" config "$W/nope.json"
expect "bad --set" "generate.temperature" "$CONCORD" config "$SRC/configs/tiny.json" --set generate.temperature=hot
expect "run: missing config" "nope.json" "$CONCORD" run "$W/nope.json" --run-dir "$W/r"

# a JSONL task whose longest answer (line 41: 6 characters + the end token) is longer than the
# tiny config's generate.max_new_tokens 4: refused before any work, naming the value needed
# (without_blas_warning drops the start-up advice some CPUs get before the error)
without_blas_warning() {
    local st=0
    "$@" 2>"$W/raw" || st=$?
    grep -v 'WARNING: OpenBLAS chose' "$W/raw" >&2 || true
    return "$st"
}
for i in $(seq 1 60); do
    if [ "$i" -eq 41 ]; then a=123456; else a=$i; fi
    echo "{\"prompt\": \"q$i=\", \"answer\": \"$a\"}"
done >"$W/long.jsonl"
expect "JSONL answer longer than generate.max_new_tokens" \
    'long.jsonl:41: "answer": .*got 7 .*generate.max_new_tokens to at least 7' \
    without_blas_warning "$CONCORD" run "$SRC/configs/tiny.json" --run-dir "$W/long" \
    --set task.name=jsonl --set task.prompts_file="$W/long.jsonl" --set tokenizer.charset=auto \
    --set rounds.count=1 --set sft.steps=0
if [ ! -e "$W/long" ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: the refused JSONL run left a run directory" >&2
fi

echo "this is not HDF5" >"$W/text.h5"
expect "inspect non-HDF5" "text.h5" "$CONCORD" inspect "$W/text.h5"
expect "sample non-HDF5" "text.h5" "$CONCORD" sample "$W/text.h5" --tokens 1,2
expect "inspect missing file" "missing.h5" "$CONCORD" inspect "$W/missing.h5"

# a real checkpoint, then damaged copies of it
"$CONCORD" run "$SRC/configs/tiny.json" --run-dir "$W/run" --set rounds.count=0 --set sft.steps=2 \
    >/dev/null 2>&1
CK=$W/run/ckpt/round_0000.h5
head -c 3000 "$CK" >"$W/truncated.h5"
expect "truncated checkpoint" "truncated.h5" "$CONCORD" inspect "$W/truncated.h5"
expect "sample truncated" "truncated.h5" "$CONCORD" sample "$W/truncated.h5" --tokens 1,2
cp "$CK" "$W/other.h5"
h5_set_attr() {  # h5_set_attr FILE NAME VALUE-TEXT: rewrite a root string attribute via h5py
    /usr/bin/python3 - "$@" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r+")
name, value = sys.argv[2], sys.argv[3]
if name == "format_version":
    f.attrs.modify(name, np.int32(int(value)))
else:
    f.attrs.modify(name, np.bytes_(value))
f.close()
PY
}
h5_set_attr "$W/other.h5" format "someone.else"
expect "other format" "format" "$CONCORD" eval "$W/other.h5"
cp "$CK" "$W/newer.h5"
h5_set_attr "$W/newer.h5" format_version 99
expect "newer version" "HINT" "$CONCORD" eval "$W/newer.h5"
expect "shape mismatch" "HINT" "$CONCORD" eval "$CK" --config "$SRC/configs/default.json"

printf 'this is not an llm.c checkpoint, just text padding out the header......' >"$W/bad.bin"
head -c 2048 /dev/zero >>"$W/bad.bin"
expect "llm.c wrong magic" "magic" "$CONCORD" import-llmc "$W/bad.bin" "$W/out.h5"
check_no_output() { [ ! -e "$W/out.h5" ]; }
if check_no_output; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: import left a file" >&2; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
