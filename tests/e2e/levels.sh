#!/usr/bin/env bash
# Difficulty levels through `concord run`: an ensemble of 2 models (np 2) on reversed sums with
# mixed operand lengths and abacus positions, SFT on level 2, rounds at levels 3 then 4 with a
# quarter of each round replayed from lower levels. Checks that every metrics line reports every
# evaluated level, that each round's prompts come from the scheduled level plus the replay share
# (read back from the round files' prompt ids and texts), that a level mixes operand lengths,
# and that the run is bit-identical when repeated.
source "$(dirname "$0")/lib.sh"
LV=(--set 'judges=[{"name": "ensemble_vote"}]' --set aggregate.mode=\"consensus\"
    --set aggregate.judge=\"ensemble_vote\" --set aggregate.min_agreement=1
    --set generate.samples_per_prompt=1 --set generate.temperature=0 --set train.loss=\"sft\"
    --set train.replay=true --set train.steps=6 --set sft.n_evaluation=0 --set ensemble.models=2
    --set task.arith.operators=\"+\" --set task.arith.reversed=true
    --set task.levels.operands=\"mixed\" --set task.levels.sft_min=2 --set task.levels.sft_max=2
    --set task.levels.schedule=\"3,4\" --set task.levels.replay=0.25
    --set 'model.position="abacus"' --set model.abacus_offset=3 --set generate.max_new_tokens=6)

check 'run 2 "$WORK/a" "${LV[@]}"' "levels run failed: $(tail -3 "$WORK/a.err" 2>/dev/null)"
check '/usr/bin/python3 - "$WORK/a/metrics.jsonl" <<"PY"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [m["round"] for m in lines] == [0, 1, 2], lines
for m in lines:
    assert sorted(m["accuracy_by_level"]) == ["2", "3", "4"], m
    assert sorted(m["vote_acc_by_level"]) == ["2", "3", "4"], m
PY' "metrics.jsonl should report levels 2, 3 and 4 in every line"

# Round r: 24 prompts of its scheduled level, 8 replayed from lower ones; the prompt text's
# longer operand has as many digits as the level, and a level holds unequal lengths too.
check '/usr/bin/python3 - "$WORK/a/model_0/prefs" <<"PY"
import h5py, sys
seen = set()
for r, main in ((1, 3), (2, 4)):
    with h5py.File(f"{sys.argv[1]}/round_{r:04d}.h5", "r") as f:
        charset = f.attrs["charset"].decode()  # ids 4.. are its characters (0-3 specials)
        g = f["pairs"]
        ids = [int(x) for x in g["prompt_id"][:]]
        toks, lens = g["prompt"][:], g["prompt_len"][:]
    levels = [i >> 56 for i in ids]
    assert levels.count(main) == 24 and len(levels) == 32, (r, levels)
    assert all(l < main for l in levels if l != main), (r, levels)
    shapes = set()
    for i, lv in enumerate(levels):
        text = "".join(charset[t - 4] for t in toks[i][1 : lens[i]])
        a, b = text.rstrip("=").split("+")
        assert max(len(a), len(b)) == lv, (r, text, lv)
        shapes.add((len(a), len(b)))
        assert text not in seen, ("prompt repeated across rounds", text)
        seen.add(text)
    assert len(shapes) >= 4, (r, shapes)
PY' "round files: wrong levels, replay share, operand lengths or a repeated prompt"

check 'run 2 "$WORK/b" "${LV[@]}"' "second levels run failed: $(tail -3 "$WORK/b.err" 2>/dev/null)"
for k in 0 1; do
    check 'same_ckpt "$WORK/a/model_$k/ckpt/round_0002.h5" "$WORK/b/model_$k/ckpt/round_0002.h5"' \
        "model $k: the levels run is not bit-identical when repeated"
done
# The schedule guard (task.levels.advance_min_agreement=0.5), schedule 2, 3, 4: the models,
# barely trained on level 2, agree on most level-2 prompts and on none of level 3, so round 2
# moves on to level 3 and round 3 stays there with fresh prompts; the metrics and round files say
# so. The same run stopped after round 2 and resumed (the hold comes back from the checkpoint)
# ends bit-identical.
GUARD=("${LV[@]}" --set task.levels.advance_min_agreement=0.5 --set task.levels.schedule=\"2,3,4\")
check 'run 2 "$WORK/g" "${GUARD[@]}" --set rounds.count=3' \
    "guarded run failed: $(tail -3 "$WORK/g.err" 2>/dev/null)"
check '/usr/bin/python3 - "$WORK/g" <<"PY"
import h5py, json, sys
lines = [json.loads(l) for l in open(f"{sys.argv[1]}/metrics.jsonl")][1:]
assert [(m["level"], m["next_level"]) for m in lines] == [(2, 3), (3, 3), (3, 3)], lines
for m in lines:  # the rule itself: move on exactly when at least half the level agreed
    assert (m["level_agreement_rate"] >= 0.5) == (m["next_level"] > m["level"]), m
seen = set()
for r, m in enumerate(lines, 1):
    with h5py.File(f"{sys.argv[1]}/model_0/prefs/round_{r:04d}.h5", "r") as f:
        ids = [int(x) for x in f["pairs"]["prompt_id"][:]]
        rate = float(f["stats"].attrs["level_agreement_rate"])
    levels = [i >> 56 for i in ids]
    assert levels.count(m["level"]) == (32 if r == 1 else 24) and max(levels) == m["level"], (r, levels)
    assert not seen & set(ids), "a prompt repeated across rounds"
    seen |= set(ids)
    assert abs(rate - m["level_agreement_rate"]) < 1e-12, (rate, m)
PY' "guard: round 2 should move on to level 3 and round 3 stay there, with fresh prompts"
check 'run 2 "$WORK/h" "${GUARD[@]}" --set rounds.count=2 && run 2 "$WORK/h" "${GUARD[@]}" --set rounds.count=3' \
    "guarded run stopped after round 2 and resumed failed: $(tail -3 "$WORK/h.err" 2>/dev/null)"
for k in 0 1; do
    check 'same_ckpt "$WORK/g/model_$k/ckpt/round_0003.h5" "$WORK/h/model_$k/ckpt/round_0003.h5"' \
        "model $k: the guarded run resumed after round 2 is not bit-identical"
done
finish
