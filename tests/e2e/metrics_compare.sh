#!/usr/bin/env bash
# same_metrics (scripts/lib/metrics.sh), the comparison the resume, soak and full-disk tests trust:
# it must pass on differences in timings only and fail on any other difference. On real files of
# the tiny config (one model at np 1, an ensemble of 2 at np 2):
#   - the same run twice: the files differ (timings) yet compare equal;
#   - one loss value changed: a difference, reported on stderr naming the field;
#   - every value of every line changed on its own (one copy each): equal exactly when the field
#     is one of the timings listed below, a difference otherwise; all timings changed at once:
#     equal; a line dropped, a field dropped, a field added, a file missing: a difference.
source "$(dirname "$0")/lib.sh"
# The fields measured with the clock, listed here independently of the filter's patterns.
TIMINGS="seconds seconds_total train_tokens_per_s allreduce_exposed_share learner_imbalance_share"
ENS=(--set ensemble.models=2 --set 'judges=[{"name": "ensemble_vote"}]'
     --set aggregate.mode=\"consensus\" --set aggregate.judge=\"ensemble_vote\"
     --set aggregate.min_agreement=0.5 --set generate.samples_per_prompt=1
     --set generate.temperature=0 --set train.loss=\"sft\" --set train.replay=true
     --set train.steps=6 --set sft.n_evaluation=0)

differs() { ! same_metrics "$@" 2>/dev/null; }
# run_ok NP DIR ARGS...: run, showing the end of its stderr when it fails
run_ok() {
    run "$@" && return 0
    tail -5 "$2.err" >&2
    return 1
}

for kind in single ensemble; do
    if [ $kind = single ]; then np=1 args=(); else np=2 args=("${ENS[@]}"); fi
    for d in a b; do
        check 'run_ok $np "$WORK/${kind}_$d" "${args[@]}"' "$kind run $d failed"
    done
    A=$WORK/${kind}_a/metrics.jsonl B=$WORK/${kind}_b/metrics.jsonl
    check '! cmp -s "$A" "$B"' "$kind: two runs wrote identical metrics.jsonl; no timing difference to leave out"
    check 'same_metrics "$A" "$B"' "$kind: two runs of the same command differ beyond timings (diff above)"
done

# One loss value changed (round 1 of the single model).
A=$WORK/single_a/metrics.jsonl L=$WORK/loss.jsonl
sed -E '2s/"loss":[^,]*/"loss":0.123/' "$A" >"$L"
check '! cmp -s "$A" "$L"' "the test's edit of the loss did not change the file"
check '! same_metrics "$A" "$L" 2>"$WORK/loss.err"' "a changed loss compares equal"
check 'grep -q "\"loss\":0.123" "$WORK/loss.err"' "the report should show the changed loss: $(head -c 300 "$WORK/loss.err")"
check 'differs "$A" "$WORK/missing.jsonl" && differs "$WORK/missing.jsonl" "$WORK/missing.jsonl"' \
    "a missing file compares equal"
head -n 2 "$A" >"$WORK/short.jsonl"
check 'differs "$A" "$WORK/short.jsonl"' "a file without its last line compares equal"

# Variants: VARIANT_DIR/NNNN.jsonl, each listed in VARIANT_DIR/list as "NNNN same|differs what".
V=$WORK/variants
mkdir -p "$V"
if ! /usr/bin/python3 - "$V" "$TIMINGS" "$WORK/single_a/metrics.jsonl" \
    "$WORK/ensemble_a/metrics.jsonl" <<'EOF'
import json, re, sys
out, timings, files = sys.argv[1], set(sys.argv[2].split()), sys.argv[3:]
seen, n = set(), 0
listing = open(f"{out}/list", "w")

def scalars(s, i, path, found):
    """Walks the JSON value at s[i] (cJSON's compact text); appends (path, start, end) for every
    scalar; returns the index after the value."""
    if s[i] in "{[":
        close, k = "}" if s[i] == "{" else "]", 0
        i += 1
        while s[i] != close:
            if close == "}":
                key, i = json.decoder.scanstring(s, i + 1)
                assert s[i] == ":", s[i:]
                i = scalars(s, i + 1, path + [key], found)
            else:
                i = scalars(s, i, path + [k], found)
                k += 1
            if s[i] == ",":
                i += 1
        return i + 1
    end = json.decoder.scanstring(s, i + 1)[1] if s[i] == '"' else re.match(r"[^,}\]]+", s[i:]).end() + i
    found.append((path, i, end))
    return end

def other(text):  # a different value of the same kind
    if text.startswith('"'):
        return text[:-1] + 'x"'
    return {"true": "false", "false": "true", "1": "2"}.get(text, "1")

def variant(lines, what, expect):
    global n
    n += 1
    with open(f"{out}/{n:04d}.jsonl", "w") as f:
        f.writelines(lines)
    print(f"{n:04d} {expect} {what}", file=listing)

for name in files:
    lines = open(name).readlines()
    all_timings = list(lines)
    for no, line in enumerate(lines):
        found = []
        assert scalars(line, 0, [], found) == len(line.rstrip("\n")), (name, no)
        for path, a, b in found:
            seen.add(path[0])
            new = line[:a] + other(line[a:b]) + line[b:]
            where = f"{name} line {no + 1} {'.'.join(map(str, path))}"
            variant(lines[:no] + [new] + lines[no + 1:], where,
                    "same" if path[0] in timings else "differs")
        for path, a, b in reversed([f for f in found if f[0][0] in timings]):
            all_timings[no] = all_timings[no][:a] + other(line[a:b]) + all_timings[no][b:]
        drop = re.sub(r'"greedy_acc":[^,]*,', "", line, count=1)
        assert drop != line, (name, no)
        variant(lines[:no] + [drop] + lines[no + 1:], f"{name} line {no + 1} without greedy_acc",
                "differs")
        added = line.replace("{", '{"extra":1,', 1)
        variant(lines[:no] + [added] + lines[no + 1:], f"{name} line {no + 1} with a field added",
                "differs")
    variant(all_timings, f"{name} with every timing changed", "same")
missing = timings - seen
if missing:
    sys.exit(f"the runs wrote no {' '.join(sorted(missing))}: this test no longer covers them")
EOF
then
    fail "building the variants failed"
fi
A_single=$WORK/single_a/metrics.jsonl A_ensemble=$WORK/ensemble_a/metrics.jsonl
while read -r id expect what; do
    case $what in "$A_single"*) A=$A_single ;; *) A=$A_ensemble ;; esac
    if [ "$expect" = same ]; then
        check 'same_metrics "$A" "$V/$id.jsonl" 2>/dev/null' "$what: a timing-only change should compare equal"
    else
        check 'differs "$A" "$V/$id.jsonl"' "$what: the change should be reported as a difference"
    fi
done <"$V/list"
echo "$(wc -l <"$V/list") variants compared"
finish
