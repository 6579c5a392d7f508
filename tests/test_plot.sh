#!/usr/bin/env bash
# concord plot: PNG charts from a sample metrics.jsonl (non-empty, real PNGs), and clear errors.
set -euo pipefail
CONCORD=${CONCORD_BUILD_DIR:?}/concord
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
check() { if eval "$1"; then pass=$((pass + 1)); else echo "FAIL: $2" >&2; fail=$((fail + 1)); fi; }
mkdir -p "$W/run"
cat >"$W/run/metrics.jsonl" <<'JSON'
{"round":0,"phase":"sft","greedy_acc":0.5,"maj_acc":0.52,"judge_acc":0.6,"loss":1.2,"seconds":{"train":60}}
{"round":1,"greedy_acc":0.55,"maj_acc":0.57,"judge_acc":0.62,"kept_fraction":0.4,"label_accuracy":0.8,"label_accuracy_llm_judge":0.6,"label_accuracy_implicit":null,"judge_agreement":0.5,"loss":0.69,"seconds":{"generate":3,"train":2}}
{"round":2,"greedy_acc":0.6,"maj_acc":0.61,"judge_acc":0.64,"kept_fraction":0.45,"label_accuracy":0.82,"label_accuracy_llm_judge":0.62,"judge_agreement":0.55,"loss":0.68,"seconds":{"generate":3,"train":2}}
JSON
check '"$CONCORD" plot "$W/run" >"$W/out"' "concord plot failed"
for c in accuracy judges kept label_accuracy loss; do
    check '[ -s "$W/run/plots/$c.png" ]' "plots/$c.png missing or empty"
    check 'head -c 8 "$W/run/plots/$c.png" | od -An -tx1 | grep -q "89 50 4e 47"' "plots/$c.png is not a PNG"
done
check 'grep -q "^1 0.55 0.57" "$W/run/plots/accuracy.dat"' "accuracy.dat lacks round 1"
set +e
"$CONCORD" plot "$W/nothing" 2>"$W/err"
st=$?
set -e
check '[ "$st" -eq 2 ] && grep -q "^error: .*metrics.jsonl" "$W/err"' "a missing run directory should exit 2 with a message"
echo "not json" >"$W/run/metrics.jsonl"
set +e
"$CONCORD" plot "$W/run" 2>"$W/err"
st=$?
set -e
check '[ "$st" -eq 2 ] && grep -q "metrics.jsonl:1" "$W/err"' "a malformed metrics file should name file and line"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
