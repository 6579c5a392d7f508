#!/usr/bin/env bash
# concord plot: PNG charts from sample metrics.jsonl files (a single model, an ensemble of 3 and a
# run with task levels): non-empty, real PNGs, accuracy charts on a fixed [0:1] y axis, and clear
# errors.
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
is_png() { [ -s "$1" ] && head -c 8 "$1" | od -An -tx1 | grep -q "89 50 4e 47"; }
# accuracy charts keep y on [0:1] (a 3-point wobble must not look like a trend); loss autoscales
for c in accuracy judges label_accuracy; do
    check 'grep -q "set yrange \[0:1\]" "$W/run/plots/$c.gp"' "plots/$c.gp: y axis not fixed to [0:1]"
done
check '! grep -q "yrange" "$W/run/plots/loss.gp"' "plots/loss.gp should autoscale"
check '[ ! -e "$W/run/plots/ensemble_accuracy.png" ] && [ ! -e "$W/run/plots/accuracy_by_level.png" ]' \
    "a run without per-model or per-level keys should get no ensemble or level chart"

# An ensemble of 3 models with levels 1-3: the top-level file of `concord run` with
# ensemble.models=3 (null where a round kept nothing).
mkdir -p "$W/ens"
cat >"$W/ens/metrics.jsonl" <<'JSON'
{"round":0,"phase":"sft","models":3,"greedy_acc":0.4,"label_accuracy":null,"kept_fraction":null,"label_accuracy_by_model":[null,null,null],"seconds_total":1.5,"greedy_acc_by_model":[0.38,0.4,0.42],"vote_acc":0.45,"accuracy_by_level":{"1":0.9,"2":0.3,"3":0},"vote_acc_by_level":{"1":0.95,"2":0.4,"3":0}}
{"round":1,"phase":"round","models":3,"greedy_acc":0.43,"label_accuracy":0.7,"kept_fraction":0.5,"label_accuracy_by_model":[0.7,0.7,0.7],"seconds_total":2.5,"greedy_acc_by_model":[0.41,0.44,0.44],"vote_acc":0.5,"accuracy_by_level":{"1":0.92,"2":0.45,"3":0.05},"vote_acc_by_level":{"1":0.95,"2":0.5,"3":0.1}}
{"round":2,"phase":"round","models":3,"greedy_acc":0.47,"label_accuracy":0.75,"kept_fraction":0.55,"label_accuracy_by_model":[0.7,0.8,0.75],"seconds_total":2.4,"greedy_acc_by_model":[0.45,0.48,null],"vote_acc":0.52,"accuracy_by_level":{"1":0.93,"2":0.6,"3":0.2},"vote_acc_by_level":{"1":0.95,"2":0.65,"3":0.2}}
JSON
check '"$CONCORD" plot "$W/ens" >"$W/out"' "concord plot failed on an ensemble run"
for c in accuracy kept label_accuracy ensemble_accuracy accuracy_by_level; do
    check 'is_png "$W/ens/plots/$c.png"' "ensemble: plots/$c.png missing, empty or not a PNG"
done
for c in accuracy label_accuracy ensemble_accuracy accuracy_by_level; do
    check 'grep -q "set yrange \[0:1\]" "$W/ens/plots/$c.gp"' "ensemble: plots/$c.gp not on [0:1]"
done
# judges and loss live in model_k/: the top-level file has none, so no empty charts for them
check '[ ! -e "$W/ens/plots/judges.png" ] && [ ! -e "$W/ens/plots/loss.png" ]' \
    "ensemble: charts without data should be left out"
check 'grep -q "^2 0.45 0.48 NaN 0.47 0.52 0.75$" "$W/ens/plots/ensemble_accuracy.dat"' \
    "ensemble_accuracy.dat: round 2 should read models, mean, vote, label accuracy"
check '[ "$(grep -c "title .model [0-2]" "$W/ens/plots/ensemble_accuracy.gp")" -eq 3 ]' \
    "ensemble_accuracy.gp should draw one line per model"
check 'grep -q "models. vote" "$W/ens/plots/ensemble_accuracy.gp"' "ensemble_accuracy.gp lacks the vote"
check 'grep -q "^2 0.3 0.45 0.6$" "$W/ens/plots/accuracy_by_level.dat"' \
    "accuracy_by_level.dat: level 2 should read rounds 0, 1, 2"
check 'grep -q "title .SFT" "$W/ens/plots/accuracy_by_level.gp" && grep -q "title .round 2" "$W/ens/plots/accuracy_by_level.gp"' \
    "accuracy_by_level.gp should draw SFT and each round"
check 'grep -q "set xlabel .level" "$W/ens/plots/accuracy_by_level.gp"' "accuracy_by_level: x is not the level"

# One model with levels (K = 1 adds greedy_acc_by_model, vote_acc and accuracy_by_level to the
# old keys); levels reach 10 and come unordered, so they must sort as numbers.
mkdir -p "$W/lev"
cat >"$W/lev/metrics.jsonl" <<'JSON'
{"round":0,"phase":"sft","greedy_acc":0.5,"maj_acc":0.52,"judge_acc":0.6,"loss":1.2,"greedy_acc_by_model":[0.5],"vote_acc":0.5,"accuracy_by_level":{"2":0.4,"1":0.6,"10":null}}
{"round":1,"greedy_acc":0.55,"maj_acc":0.57,"kept_fraction":0.4,"label_accuracy":0.8,"loss":0.69,"greedy_acc_by_model":[0.55],"vote_acc":0.55,"accuracy_by_level":{"1":0.7,"2":0.45,"10":0.1}}
JSON
check '"$CONCORD" plot "$W/lev" >"$W/out"' "concord plot failed on a run with levels"
for c in accuracy judges kept label_accuracy loss ensemble_accuracy accuracy_by_level; do
    check 'is_png "$W/lev/plots/$c.png"' "levels: plots/$c.png missing, empty or not a PNG"
done
check 'awk "!/^#/ {printf \"%s,\", \$1}" "$W/lev/plots/accuracy_by_level.dat" | grep -qx "1,2,10,"' \
    "accuracy_by_level.dat: levels should be 1, 2, 10 in order"
check 'grep -q "^10 NaN 0.1$" "$W/lev/plots/accuracy_by_level.dat"' "a null level value should read NaN"
check 'grep -q "set yrange \[0:1\]" "$W/lev/plots/accuracy_by_level.gp"' "levels: y not on [0:1]"

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
