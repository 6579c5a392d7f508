#!/usr/bin/env bash
# Dedicated role layouts and the layout errors reported before any work.
source "$(dirname "$0")/lib.sh"
lay() { echo "--set layout.generators=$1 --set layout.judges=$2 --set layout.learners=$3 --set layout.aggregators=$4"; }
i=0
for spec in "4 2 1 1 1" "3 1 1 1 1" "2 0 0 1 1" "4 0 0 2 2" "2 1 0 1 1"; do
    set -- $spec
    i=$((i + 1))
    D=$WORK/l$i
    check "run $1 $D $(lay $2 $3 $4 $5)" "layout np=$1 g=$2 j=$3 l=$4 a=$5 failed: \$(tail -3 $D.err)"
    check '[ "$(wc -l <"$D/metrics.jsonl")" -eq 3 ]' "layout $spec: metrics incomplete"
    check 'h5dump -H "$D/prefs/round_0002.h5" >/dev/null' "layout $spec: round file unreadable"
done
# impossible layouts: exit 2 with a message naming the layout, before any file is written
for spec in "2 1 1 1 1" "2 0 0 3 1" "2 0 0 1 3"; do
    set -- $spec
    D=$WORK/bad$1$2$3$4$5
    set +e
    run $1 "$D" $(lay $2 $3 $4 $5)
    st=$?
    set -e
    check '[ "$st" -eq 2 ]' "impossible layout $spec should exit 2, got $st"
    check 'grep -q "layout" "$D.err"' "impossible layout $spec: message should name the layout"
    check '[ ! -e "$D/ckpt" ]' "impossible layout $spec: nothing should be written"
done
finish
