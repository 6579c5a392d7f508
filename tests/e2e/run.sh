#!/usr/bin/env bash
# End-to-end run of the tiny config with NP ranks (default layout): exit status, files, metrics,
# the summary table; a second invocation of the same command finds the run complete.
source "$(dirname "$0")/lib.sh"
NP=${1:-1}
D=$WORK/run
check 'run "$NP" "$D"' "concord run -np $NP failed: $(tail -5 "$D.err" 2>/dev/null)"
check '[ "$(wc -l <"$D/metrics.jsonl")" -eq 3 ]' "metrics.jsonl should have 3 lines (SFT + 2 rounds)"
for f in ckpt/round_0000.h5 ckpt/round_0001.h5 ckpt/round_0002.h5 prefs/round_0001.h5 \
         prefs/round_0002.h5 config.json; do
    check '[ -s "$D/$f" ]' "missing $f"
done
check '[ "$(cat "$D/ckpt/LATEST")" = round_0002.h5 ]' "LATEST should name round_0002.h5"
check 'h5dump -H "$D/ckpt/round_0002.h5" >/dev/null' "h5dump cannot read the checkpoint"
check 'h5dump -H "$D/prefs/round_0002.h5" >/dev/null' "h5dump cannot read the round file"
check 'grep -q "\"round\":2" "$D/metrics.jsonl"' "metrics line of round 2 missing"
check 'grep -q "greedy_acc" "$D/metrics.jsonl"' "metrics lack greedy_acc"
check 'grep -q "round  greedy" "$D.out"' "summary table missing"
check '[ -z "$(find "$D" -name "*.tmp")" ]' "temporary files left"
# the same command again: the run is complete, nothing is redone
check 'run "$NP" "$D"' "re-running a complete run failed"
check '[ "$(wc -l <"$D/metrics.jsonl")" -eq 3 ]' "re-running a complete run changed metrics.jsonl"
finish
