#!/usr/bin/env bash
# ensemble.models = K on the tiny config: K = 1..4 at np = K and np = 2K finish with K model
# directories and the ensemble's metrics; the same run twice is bit-identical; kill -9 in each
# phase (and a SIGTERM) then a re-run gives every model's final checkpoint bit-identical to an
# uninterrupted run; K > np is refused with one message.
source "$(dirname "$0")/lib.sh"
ENS=(--set 'judges=[{"name": "ensemble_vote"}]' --set aggregate.mode=\"consensus\"
     --set aggregate.judge=\"ensemble_vote\" --set aggregate.min_agreement=0.5
     --set generate.samples_per_prompt=1 --set generate.temperature=0 --set train.loss=\"sft\"
     --set train.replay=true --set train.optimizer.lr=0.001 --set train.steps=6
     --set sft.n_evaluation=0)

# run_ok NP DIR ARGS...: run, showing the end of its stderr when it fails
run_ok() {
    run "$@" && return 0
    tail -5 "$2.err" >&2
    return 1
}

# metrics_ok DIR K ROUNDS: the ensemble file has ROUNDS+1 lines, each with K per-model accuracies
metrics_ok() {
    local dir=$1 k=$2 rounds=$3
    [ "$(wc -l <"$dir/metrics.jsonl")" -eq $((rounds + 1)) ] || return 1
    /usr/bin/python3 - "$dir/metrics.jsonl" "$k" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
k = int(sys.argv[2])
for m in lines:
    by = m["greedy_acc_by_model"]
    assert len(by) == k, m
    assert abs(sum(by) / k - m["greedy_acc"]) < 1e-9, m
    assert 0 <= m["vote_acc"] <= 1, m
for m in lines[1:]:
    assert "label_accuracy" in m and "kept_fraction" in m, m
EOF
}

for k in 1 2 3 4; do
    # one model compares its own samples (two at temperature 0.7); more models their greedy answers
    one=()
    [ "$k" -eq 1 ] && one=(--set generate.samples_per_prompt=2 --set generate.temperature=0.7)
    for np in $k $((2 * k)); do
        D=$WORK/k${k}_np${np}
        check 'run_ok $np "$D" --set ensemble.models=$k "${ENS[@]}" "${one[@]}"' "K=$k np=$np failed (see $D.err)"
        check 'metrics_ok "$D" $k 2' "K=$k np=$np: ensemble metrics wrong"
        if [ "$k" -gt 1 ]; then
            for m in $(seq 0 $((k - 1))); do
                check '[ -f "$D/model_$m/ckpt/round_0002.h5" ] && [ -f "$D/model_$m/prefs/round_0002.h5" ]' \
                    "K=$k np=$np: model_$m files missing"
            done
            check '! same_ckpt "$D/model_0/ckpt/round_0000.h5" "$D/model_1/ckpt/round_0000.h5"' \
                "K=$k: models 0 and 1 have the same SFT weights (seeds not distinct)"
        fi
    done
done

# golden layout of an ensemble run: its files, and `h5dump -H` of model 1's last checkpoint
# (the one-model layout, with this model's config); regenerate after an intended change with
#   CONCORD_UPDATE_GOLDEN=1 ctest --test-dir build -R e2e_ensemble
layout() {
    (cd "$1" && find . -type f ! -name '*.out' ! -name '*.err' | sort)
    h5dump -H "$1/model_1/ckpt/round_0002.h5" |
        sed -e '1s|^HDF5 ".*" {$|HDF5 "round_0002.h5" {|' |
        awk '/ATTRIBUTE "created_by"/ { cb = 1 }
             cb && /STRSIZE/ { sub(/STRSIZE [0-9]+;/, "STRSIZE <created_by>;"); cb = 0 }
             /DATASET "json"/ { js = 1 }
             js && /STRSIZE/ { sub(/STRSIZE [0-9]+;/, "STRSIZE <config json>;"); js = 0 }
             { print }'
}
# (the config JSON's length changes whenever a config key is added: the layout does not)
GOLDEN=$SRC/tests/golden/ensemble.ddl
layout "$WORK/k2_np2" >"$WORK/ensemble.ddl"
[ "${CONCORD_UPDATE_GOLDEN:-0}" = 1 ] && cp "$WORK/ensemble.ddl" "$GOLDEN"
check 'diff -u "$GOLDEN" "$WORK/ensemble.ddl"' "ensemble layout differs from $GOLDEN (diff above)"

# the same run twice gives the same files
check 'run_ok 2 "$WORK/again" --set ensemble.models=2 "${ENS[@]}"' "repeat run failed"
for m in 0 1; do
    check 'same_ckpt "$WORK/k2_np2/model_$m/ckpt/round_0002.h5" "$WORK/again/model_$m/ckpt/round_0002.h5"' \
        "model $m: repeat run differs"
    check 'same_prefs "$WORK/k2_np2/model_$m/prefs/round_0002.h5" "$WORK/again/model_$m/prefs/round_0002.h5"' \
        "model $m: repeat run's round file differs"
done

# replay: round 2 trains on round 1's kept labels and its own (each model's metrics)
check '/usr/bin/python3 - "$WORK/k2_np2/model_1" <<"EOF"
import json, sys
d = sys.argv[1]
m = {json.loads(l)["round"]: json.loads(l) for l in open(d + "/metrics.jsonl")}
kept = [round(m[r]["kept_fraction"] * 32) for r in (1, 2)]  # tiny: 32 prompts a round
assert m[1].get("train_examples", 0) == kept[0], (m[1], kept)
assert m[2].get("train_examples", 0) == kept[0] + kept[1], (m[2], kept)
EOF' "replay: round 2 did not train on both rounds' labels"

# labels "others": each model learns the other models' vote
check 'run_ok 3 "$WORK/others" --set ensemble.models=3 --set ensemble.labels=\"others\" "${ENS[@]}"' \
    "labels others failed"
check 'metrics_ok "$WORK/others" 3 2' "labels others: ensemble metrics wrong"

# kill -9 in each phase, then resume: every model's final checkpoint as uninterrupted
OPTS=(--set ensemble.models=2 --set checkpoint.every=2 "${ENS[@]}")
check 'run_ok 4 "$WORK/ref" "${OPTS[@]}"' "reference run failed"
for p in sft.step@30 phase.generate@1 phase.judge@2 phase.aggregate@1 train.step@3 phase.eval@3 \
         phase.checkpoint@2 ckpt.before_latest@3 prefs.before_rename@2; do
    D=$WORK/kill_${p//[@.]/_}
    set +e
    CONCORD_FAULT=$p run 4 "$D" "${OPTS[@]}"
    st=$?
    set -e
    check '[ "$st" -ne 0 ]' "fault $p did not stop the run"
    check 'run_ok 4 "$D" "${OPTS[@]}"' "resume after $p failed"
    for m in 0 1; do
        check 'same_ckpt "$WORK/ref/model_$m/ckpt/round_0002.h5" "$D/model_$m/ckpt/round_0002.h5"' \
            "after $p model $m's final checkpoint differs"
    done
    check 'metrics_ok "$D" 2 2' "after $p the ensemble metrics are wrong"
done

# K > np is refused before any work
set +e
run 2 "$WORK/toomany" --set ensemble.models=3 "${ENS[@]}"
st=$?
set -e
check '[ "$st" -eq 2 ]' "K > np: expected exit 2, got $st"
check 'grep -q "ensemble.models" "$WORK/toomany.err"' "K > np: message does not name ensemble.models"
check '[ "$(grep -c "error" "$WORK/toomany.err")" -eq 1 ]' "K > np: expected one error line"
finish
