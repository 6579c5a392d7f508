#!/usr/bin/env bash
# Same seed and layout give bit-identical checkpoints and round files; a different layout is
# measured (and reported), not required to match.
source "$(dirname "$0")/lib.sh"
check 'run 2 "$WORK/a"' "first run failed"
check 'run 2 "$WORK/b"' "second run failed"
for r in 0000 0001 0002; do
    check 'same_ckpt "$WORK/a/ckpt/round_$r.h5" "$WORK/b/ckpt/round_$r.h5"' "round_$r.h5 differs between identical runs"
done
for r in 0001 0002; do
    check 'same_prefs "$WORK/a/prefs/round_$r.h5" "$WORK/b/prefs/round_$r.h5"' "prefs round_$r.h5 differs between identical runs"
done
# across layouts (np=1 vs np=2): report only
check 'run 1 "$WORK/c"' "np=1 run failed"
for what in /pairs/chosen /pairs/rejected /pairs/judge_scores; do
    if h5diff -q "$WORK/a/prefs/round_0001.h5" "$WORK/c/prefs/round_0001.h5" "$what" >/dev/null 2>&1; then
        echo "across layouts (np=2 vs np=1), round 1 $what: identical"
    else
        echo "across layouts (np=2 vs np=1), round 1 $what: differs"
    fi
done
finish
