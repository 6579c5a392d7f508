# scripts/lib/metrics.sh — comparing two runs' metrics.jsonl with the clock's measurements left
# out (sourced by scripts/soak.sh and the end-to-end tests). A resumed run must write the same
# lines as an uninterrupted one, except for the fields that measure wall-clock time:
#   "seconds": {...}            the phase durations of a model's line
#   "seconds_total"             the duration of an ensemble's line
#   "*_per_s"                   rates (train_tokens_per_s)
#   "*_share"                   shares of time spent waiting (allreduce_exposed_share,
#                               learner_imbalance_share)
# Everything else (losses, accuracies, counts, nulls) is compared as written, byte for byte.
# shellcheck shell=bash

# metrics_values FILE: FILE's lines without the timing fields.
metrics_values() {
    local drop='"(seconds":\{[^}]*\}|seconds_total":[^,}]*|[a-z_]*(_per_s|_share)":[^,}]*)'
    sed -E "s/$drop,?//g" "$1"
}

# same_metrics A B: metrics.jsonl files A and B hold the same lines, timings left out; on a
# difference (or when either file is missing or empty) the report goes to stderr and the status
# is non-zero.
same_metrics() {
    local f
    for f in "$1" "$2"; do
        [ -s "$f" ] || { echo "same_metrics: $f is missing or empty" >&2; return 1; }
    done
    diff <(metrics_values "$1") <(metrics_values "$2") >&2
}
