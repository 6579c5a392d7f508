#!/usr/bin/env bash
# scripts/soak.sh — the chaos soak: runs of a small config interrupted again and again at random
# moments, each re-run with the same command after every interruption until it completes, then
# compared with an uninterrupted run of the same config. Resume must be bit-identical whatever the
# interruption hit: every checkpoint both runs kept, every round file (h5diff) and metrics.jsonl.
#
# Kinds of interruption (-k picks among them):
#   kill    SIGKILL to one rank's process (a node failure): the job dies, mpirun ends the others
#   term    SIGTERM to one rank (Slurm preemption): all ranks agree, checkpoint, exit 75
#   usr1    SIGUSR1 to mpirun, which passes it to every rank (what slurm/launch.sh sends): exit 75
#   mpiterm SIGTERM to mpirun itself (it passes SIGTERM on, then tears the job down): any status
#   stop    a file STOP in the run directory: clean stop at the next step boundary, exit 0
#           (the soak removes STOP before re-running)
#   fault   CONCORD_FAULT=<point>@<n> at a point inside a checkpoint, LATEST or round-file write
#           (util/fault.h): SIGKILL of every rank that reaches it, the n-th time
#
# The schedule is a sequence drawn from the seed alone (printed; each entry a kind, a rank, a
# delay after launch or a fault point), so the same seed gives the same schedule: the same kinds,
# ranks and fault points, and the same delays in seconds, or the same fractions of the reference
# run's time with -d LO%-HI%. The moment a signal lands inside the program still depends on the
# machine's speed. Kinds come as shuffled passes over the -k list, so N >= the number of kinds
# uses every kind.
#
# Laps: when a run completes before the next entry is delivered (a fast machine), that run is
# compared with the reference and a fresh run (the next lap) takes the entry, until N entries are
# delivered; so every delivered interruption is checked whatever the machine's speed. An entry
# whose delay is longer than a whole fresh run is skipped ("missed").
#
# After each interruption the soak checks and logs: exit status against the kind's expectation,
# that no rank process of the run is left, that LATEST names an existing checkpoint whose
# `complete` attribute is 1, and the leftover *.tmp files (a re-run must cope with them). A
# completed run may keep no *.tmp. A failure prints what differed and keeps the work directory.
#
# Usage: scripts/soak.sh [options] [-- extra concord run arguments for both runs]
#   -n N      interruptions to deliver (default 20)
#   -p NP     ranks (default 2)
#   -s SEED   schedule seed, a non-negative integer (default $CONCORD_SOAK_SEED, else drawn
#             from /dev/urandom)
#   -r R      rounds.count (default 10; task.prompts_per_round is 12, so R <= 15 on tiny.json)
#   -k LIST   comma-separated kinds (default kill,term,usr1,mpiterm,stop,fault)
#   -d LO-HI  delay after launch, drawn uniformly: seconds (e.g. 0.5-3.0), or LO%-HI% of the
#             reference run's wall time (default 5%-80%: the delays follow the machine's speed;
#             the last fifth of a run is mostly its final evaluation and exit)
#   -c FILE   config (default configs/tiny.json)
#   -b DIR    build directory holding concord (default $CONCORD_BUILD_DIR, else build)
#   -w DIR    work directory (default a new /tmp/concord-soak.XXXXXX); kept on failure
#   -t SEC    hang limit of one attempt (default 300): an attempt running longer fails
#   -K        keep the work directory after success too
#   -M        accepted for old command lines: metrics are always compared in full now
# Both runs get --set rounds.count=R --set task.prompts_per_round=12 --set checkpoint.every=3
# --set sft.steps=40 --set train.epochs=4 before the extra arguments (which win): checkpoints
# every 3 steps inside SFT and inside each round's 12 training steps, and an SFT short enough that
# the interruptions reach the rounds too.
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage.
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=20 NP=2 SEED=${CONCORD_SOAK_SEED:-} ROUNDS=10 KINDS=kill,term,usr1,mpiterm,stop,fault DELAYS=5%-80%
CONFIG=$SRC/configs/tiny.json BUILD=${CONCORD_BUILD_DIR:-$SRC/build} HANG=300 KEEP=0 WORK=''

usage() {
    sed -n '/^# Usage:/,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
bad() {
    echo "soak.sh: $*" >&2
    exit 2
}
while getopts "n:p:s:r:k:d:c:b:w:t:KMh" opt; do
    case $opt in
    n) N=$OPTARG ;;
    p) NP=$OPTARG ;;
    s) SEED=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    k) KINDS=$OPTARG ;;
    d) DELAYS=$OPTARG ;;
    c) CONFIG=$OPTARG ;;
    b) BUILD=$OPTARG ;;
    w) WORK=$OPTARG ;;
    t) HANG=$OPTARG ;;
    K) KEEP=1 ;;
    M) ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
EXTRA=("$@")

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && [ ${#1} -le 12 ]; }
at_least() { is_uint "$1" && [ "$1" -ge "$2" ]; }
at_least "$N" 1 || bad "-n: expected a positive number of interruptions, got '$N'"
at_least "$NP" 1 || bad "-p: expected a positive number of ranks, got '$NP'"
at_least "$ROUNDS" 1 || bad "-r: expected a positive round count, got '$ROUNDS'"
at_least "$HANG" 10 || bad "-t: expected a hang limit of at least 10 seconds, got '$HANG'"
if [ -z "$SEED" ]; then
    SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
fi
is_uint "$SEED" || bad "-s: expected a non-negative integer seed, got '$SEED'"
PERCENT=0
if [[ $DELAYS =~ ^[0-9]{1,4}%-[0-9]{1,4}%$ ]]; then
    PERCENT=1
    DELAYS=${DELAYS//%/}
elif ! [[ $DELAYS =~ ^[0-9]{1,5}(\.[0-9]{1,3})?-[0-9]{1,5}(\.[0-9]{1,3})?$ ]]; then
    bad "-d: expected LO-HI in seconds with at most 3 decimals (e.g. 0.5-3.0) or LO%-HI% of the reference run's time (e.g. 5%-95%), got '$DELAYS'"
fi
ms() { # seconds with up to 3 decimals -> milliseconds
    local whole=${1%%.*} frac=000
    [[ $1 == *.* ]] && frac=${1#*.}000
    echo $((10#$whole * 1000 + 10#${frac:0:3}))
}
LO_MS=$(ms "${DELAYS%-*}") HI_MS=$(ms "${DELAYS#*-}") # in percent mode: percent x 1000
[ "$LO_MS" -le "$HI_MS" ] || bad "-d: LO must not exceed HI, got '$DELAYS'"
DELAY_WORDS="${DELAYS}s after launch"
[ "$PERCENT" = 1 ] && DELAY_WORDS="${DELAYS/-/%-}% of the reference run's time after launch"
IFS=, read -r -a KIND_LIST <<<"$KINDS"
[ ${#KIND_LIST[@]} -ge 1 ] || bad "-k: expected at least one kind"
for k in "${KIND_LIST[@]}"; do
    case $k in kill | term | usr1 | mpiterm | stop | fault) ;;
    *) bad "-k: unknown kind '$k' (expected kill, term, usr1, mpiterm, stop or fault)" ;;
    esac
done
[ -d "$BUILD" ] || bad "-b: $BUILD is not a directory (build first, or name the build directory)"
CONCORD=$(cd "$BUILD" && pwd)/concord
[ -x "$CONCORD" ] || bad "-b: $CONCORD is not an executable (build first, or name the build directory)"
[ -r "$CONFIG" ] || bad "-c: cannot read the config $CONFIG"
for tool in mpirun h5diff h5dump h5ls timeout pgrep; do
    command -v "$tool" >/dev/null || bad "$tool is not installed"
done

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d /tmp/concord-soak.XXXXXX)
else
    mkdir -p "$WORK" || bad "-w: cannot create $WORK"
    [ -z "$(ls -A "$WORK")" ] || bad "-w: $WORK is not empty"
    WORK=$(cd "$WORK" && pwd)
fi
LOG=$WORK/soak.log
# shellcheck source=tests/h5compare.sh disable=SC1091
source "$SRC/tests/h5compare.sh"

say() { echo "$*" | tee -a "$LOG"; }
FAILS=0
fail() {
    say "FAIL: $*"
    FAILS=$((FAILS + 1))
}

# Park-Miller generator (31 bits; every product fits in bash's 64-bit arithmetic).
RNG=$((SEED % 2147483647))
[ "$RNG" -eq 0 ] && RNG=1
rand() { # rand N -> R in [0, N)
    RNG=$((RNG * 48271 % 2147483647))
    R=$((RNG % $1))
}
for _ in 1 2 3 4; do rand 2; done

FINAL=$(printf 'round_%04d.h5' "$ROUNDS")
SETS=(--set "rounds.count=$ROUNDS" --set task.prompts_per_round=12 --set checkpoint.every=3
    --set sft.steps=40 --set train.epochs=4 "${EXTRA[@]}")
FAULT_POINTS=(ckpt.after_create ckpt.after_model ckpt.after_optim ckpt.after_state
    ckpt.before_complete ckpt.before_close ckpt.before_rename ckpt.before_latest ckpt.after_latest
    prefs.after_create prefs.after_rows prefs.before_complete prefs.before_rename)


# ---- the schedule: S_KIND, S_RANK, S_U (where the delay lies in [LO, HI], 0..9999), S_FAULT
# per entry; 4N entries, those after the N-th only used in place of entries that miss ----
MAX_ENTRIES=$((4 * N))
S_KIND=() S_RANK=() S_U=() S_DELAY=() S_FAULT=() POOL=()
for ((i = 0; i < MAX_ENTRIES; i++)); do
    if [ ${#POOL[@]} -eq 0 ]; then
        POOL=("${KIND_LIST[@]}")
        for ((j = ${#POOL[@]} - 1; j > 0; j--)); do # Fisher-Yates
            rand $((j + 1))
            t=${POOL[j]} POOL[j]=${POOL[R]} POOL[R]=$t
        done
    fi
    S_KIND[i]=${POOL[0]}
    POOL=("${POOL[@]:1}")
    rand "$NP"
    S_RANK[i]=$R
    rand 10000
    S_U[i]=$R
    rand ${#FAULT_POINTS[@]}
    S_FAULT[i]=${FAULT_POINTS[R]}
    rand 3
    S_FAULT[i]+=@$((R + 1))
done

secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
describe() { # the schedule entry i in words
    case ${S_KIND[$1]} in
    kill | term) echo "${S_KIND[$1]} rank ${S_RANK[$1]} after $(secs "${S_DELAY[$1]}")s" ;;
    usr1 | mpiterm | stop) echo "${S_KIND[$1]} after $(secs "${S_DELAY[$1]}")s" ;;
    fault) echo "fault ${S_FAULT[$1]}" ;;
    esac
}
oneline() { tr '\n' ' ' <<<"$1" | sed 's/ $//'; }

START=$(date +%s)
say "soak: seed $SEED, $N interruptions of kinds $KINDS, np $NP, rounds $ROUNDS, delays $DELAY_WORDS"
say "soak: config $CONFIG, concord $CONCORD, work directory $WORK"
say "soak: concord run arguments: ${SETS[*]}"

# If the soak itself is stopped (Ctrl-C, ctest's timeout), the run under way goes with it: the
# timeout process passes SIGTERM to mpirun, which ends its ranks.
LAUNCHER=
stop_launcher() {
    if [ -n "$LAUNCHER" ] && kill -0 "$LAUNCHER" 2>/dev/null; then
        kill -TERM "$LAUNCHER" 2>/dev/null
        wait "$LAUNCHER" 2>/dev/null
    fi
}
trap 'stop_launcher; echo "soak: interrupted; work directory kept: $WORK" >&2; exit 130' INT TERM

# leftover_ranks DIR: pids of concord processes still running on the run directory DIR.
leftover_ranks() { pgrep -f -- "concord run .* --run-dir $1( |\$)" || true; }

# launch DIR OUT [VAR=value...]: starts concord on DIR in the background under the hang limit;
# sets LAUNCHER (the timeout process, whose status is the run's) and MPIRUN (mpirun's pid).
launch() {
    local dir=$1 out=$2
    shift 2
    env "$@" timeout -k 10 "$HANG" mpirun -np "$NP" "$CONCORD" run "$CONFIG" --run-dir "$dir" \
        "${SETS[@]}" >"$out" 2>&1 &
    LAUNCHER=$!
    MPIRUN=
    for _ in $(seq 100); do
        MPIRUN=$(pgrep -P "$LAUNCHER" -x mpirun || true)
        if [ -n "$MPIRUN" ] || ! kill -0 "$LAUNCHER" 2>/dev/null; then break; fi
        sleep 0.05
    done
}

# rank_pid RANK: the pid of that rank's process under $MPIRUN (empty when not running).
rank_pid() {
    local p
    for p in $(pgrep -P "$MPIRUN" -x concord 2>/dev/null); do
        if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
            echo "$p"
            return
        fi
    done
}

# latest_state DIR: LATEST's contents, or "none"; fails when LATEST names no complete checkpoint.
latest_state() {
    local name
    if [ ! -e "$1/ckpt/LATEST" ]; then
        echo none
        return 0
    fi
    name=$(cat "$1/ckpt/LATEST")
    echo "$name"
    [ -s "$1/ckpt/$name" ] && h5dump -a /complete "$1/ckpt/$name" 2>/dev/null | grep -q "(0): 1"
}

count_tmp() { find "$1" -name '*.tmp' 2>/dev/null | wc -l; }

# ---- the uninterrupted reference ----
REF=$WORK/ref
say "soak: reference run"
t0=$(date +%s%N)
launch "$REF" "$WORK/ref.out"
wait "$LAUNCHER"
st=$?
if [ "$st" -ne 0 ] || [ "$(cat "$REF/ckpt/LATEST" 2>/dev/null)" != "$FINAL" ]; then
    say "FAIL: the uninterrupted reference run ended with status $st; its last lines:"
    tail -n 5 "$WORK/ref.out" | tee -a "$LOG"
    say "soak: work directory kept: $WORK"
    exit 1
fi
REF_MS=$((($(date +%s%N) - t0) / 1000000))
say "soak: reference done in $(secs $REF_MS)s"
# delays in milliseconds (percent mode: of the reference's time)
for ((i = 0; i < MAX_ENTRIES; i++)); do
    S_DELAY[i]=$((LO_MS + (HI_MS - LO_MS) * S_U[i] / 9999))
    [ "$PERCENT" = 1 ] && S_DELAY[i]=$((S_DELAY[i] * REF_MS / 100000))
done
say "soak: schedule (entries after #$N are used only for missed ones):"
for ((i = 0; i < N; i++)); do say "  #$((i + 1)) $(describe $i)"; done

# ---- comparison of a completed run with the reference ----
diff_h5() { # diff_h5 A B [OBJECT]: the first lines of h5diff's report
    h5diff -r "$1" "$2" ${3:+"$3"} 2>&1 | head -n 12 | sed 's/^/    /' | tee -a "$LOG"
}
# A metrics line's phase means and step counts survive a mid-phase resume (the checkpoint carries
# the phase's running totals), so everything but timings must equal the reference's
# (metrics_values FILE: the lines without timings).
# shellcheck source=scripts/lib/metrics.sh disable=SC1091
source "$SRC/scripts/lib/metrics.sh"
EARLY_SIGNALS=0
# compare_run DIR: fails (and says what differed) unless DIR's results equal the reference's.
compare_run() {
    local d=$1 f b g ref_prefs run_prefs ref_lines run_lines left_tmp fails0=$FAILS
    for f in "$REF"/ckpt/round_[0-9][0-9][0-9][0-9].h5; do
        b=$(basename "$f")
        [ -e "$d/ckpt/$b" ] || continue
        if ! same_ckpt "$f" "$d/ckpt/$b"; then
            fail "$d: checkpoint $b differs from the uninterrupted run's:"
            for g in /model /ref /prev /optim /state; do
                has "$f" "$g" && diff_h5 "$f" "$d/ckpt/$b" "$g"
            done
        fi
    done
    [ -e "$d/ckpt/$FINAL" ] || fail "$d: the final checkpoint $FINAL is missing"
    ref_prefs=$(cd "$REF/prefs" && ls)
    run_prefs=$(cd "$d/prefs" 2>/dev/null && ls)
    [ "$ref_prefs" = "$run_prefs" ] || fail "$d: round files differ in name: reference" \
        "[$(oneline "$ref_prefs")], soak [$(oneline "$run_prefs")]"
    for b in $ref_prefs; do
        [ -e "$d/prefs/$b" ] || continue
        if ! same_prefs "$REF/prefs/$b" "$d/prefs/$b"; then
            fail "$d: round file $b differs from the uninterrupted run's:"
            diff_h5 "$REF/prefs/$b" "$d/prefs/$b"
        fi
    done
    ref_lines=$(wc -l <"$REF/metrics.jsonl")
    run_lines=$(wc -l <"$d/metrics.jsonl" 2>/dev/null || echo 0)
    [ "$ref_lines" -eq "$run_lines" ] ||
        fail "$d: metrics.jsonl has $run_lines lines, the uninterrupted run's $ref_lines"
    if ! diff <(metrics_values "$REF/metrics.jsonl") <(metrics_values "$d/metrics.jsonl") \
        >"$d.metrics.diff"; then
        fail "$d: metrics.jsonl values differ from the uninterrupted run's (timings left out):"
        awk 'NR == FNR { ref[FNR] = $0; next }
             ref[FNR] != $0 {
                 n = split(ref[FNR], a, ","); m = split($0, b, ",")
                 for (i = 1; i <= (n > m ? n : m); i++)
                     if (a[i] != b[i]) print "    line " FNR ": reference " a[i] ", soak " b[i]
                 if (++shown == 3) exit
             }' <(metrics_values "$REF/metrics.jsonl") <(metrics_values "$d/metrics.jsonl") |
            head -n 12 | tee -a "$LOG"
    fi
    left_tmp=$(find "$d" -name '*.tmp')
    [ -z "$left_tmp" ] || fail "$d: temporary files remain after the run completed: $(oneline "$left_tmp")"
    [ ! -e "$d/STOP" ] || fail "$d: a STOP file remains"
    if [ "$FAILS" -eq "$fails0" ]; then
        say "lap $LAP: identical to the uninterrupted run (checkpoints, $(wc -w <<<"$ref_prefs") round files, metrics.jsonl)"
        [ "$KEEP" = 1 ] || rm -rf "$d" "$d.metrics.diff"
    fi
}

# ---- the interrupted runs ----
declare -A BY_KIND
delivered_total=0 missed=0 attempt=0 LAP=1 lap_attempts=0
D=$WORK/run_1
next=0
while [ "$delivered_total" -lt "$N" ]; do
    if [ "$next" -ge "$MAX_ENTRIES" ]; then
        fail "the schedule ran out ($missed entries missed): the delays (-d) exceed the run's length"
        break
    fi
    i=$next
    attempt=$((attempt + 1)) lap_attempts=$((lap_attempts + 1))
    out=$WORK/attempt_$(printf '%03d' "$attempt").out
    kind=${S_KIND[i]}
    envs=()
    [ "$kind" = fault ] && envs=("CONCORD_FAULT=${S_FAULT[i]}")
    t_launch=$(date +%s%N)
    launch "$D" "$out" "${envs[@]}"
    target=- delivered=1
    if [ "$kind" != fault ]; then
        sleep "$(secs "${S_DELAY[i]}")"
        if ! kill -0 "$LAUNCHER" 2>/dev/null; then
            delivered=0
        else
            case $kind in
            kill | term)
                pid=
                for _ in $(seq 200); do # the rank may still be starting
                    pid=$(rank_pid "${S_RANK[i]}")
                    if [ -n "$pid" ] || ! kill -0 "$LAUNCHER" 2>/dev/null; then break; fi
                    sleep 0.05
                done
                target="rank ${S_RANK[i]} pid ${pid:-?}"
                sig=KILL
                [ "$kind" = term ] && sig=TERM
                if [ -z "$pid" ] || ! kill -$sig "$pid" 2>/dev/null; then delivered=0; fi
                ;;
            usr1 | mpiterm)
                target="mpirun $MPIRUN"
                sig=USR1
                [ "$kind" = mpiterm ] && sig=TERM
                if [ -z "$MPIRUN" ] || ! kill -$sig "$MPIRUN" 2>/dev/null; then delivered=0; fi
                ;;
            stop)
                target=STOP
                for _ in $(seq 200); do # a fresh run may not have made its directory yet
                    if [ -d "$D" ] || ! kill -0 "$LAUNCHER" 2>/dev/null; then break; fi
                    sleep 0.05
                done
                touch "$D/STOP" 2>/dev/null || delivered=0
                ;;
            esac
        fi
    fi
    t_signal=$(date +%s%N)
    wait "$LAUNCHER"
    st=$?
    t_end=$(date +%s%N)
    [ -e "$D/STOP" ] && rm -f "$D/STOP"
    # mpirun has ended: no rank of this run may outlive it (a few seconds allowed for teardown)
    left=
    for _ in $(seq 50); do
        left=$(leftover_ranks "$D")
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        fail "attempt $attempt: rank processes $(oneline "$left") still run after mpirun ended; killing them"
        # shellcheck disable=SC2086
        kill -KILL $left 2>/dev/null
    fi
    latest=$(latest_state "$D")
    latest_ok=$?
    complete=0
    [ "$latest" = "$FINAL" ] && [ "$st" -eq 0 ] && complete=1
    [ "$kind" = fault ] && ! grep -q "fault injection" "$out" && delivered=0
    # a signal or STOP that came after the run's last step boundary changed nothing
    [ "$complete" = 1 ] && delivered=0
    ran_ms=$(((t_end - t_launch) / 1000000))
    after_ms=$(((t_end - t_signal) / 1000000))
    if [ "$delivered" = 0 ] && [ "$complete" = 1 ]; then
        # the run completed first: check it, then a fresh run (the next lap) takes the entry,
        # unless this was a fresh run already (the entry can never land)
        if [ "$lap_attempts" -eq 1 ]; then
            say "#$((i + 1)) $(describe "$i"): missed, a whole fresh run took $(secs $ran_ms)s"
            missed=$((missed + 1)) next=$((next + 1))
        else
            say "lap $LAP: the run completed (status 0 after $(secs $ran_ms)s) before #$((i + 1)) landed"
        fi
        compare_run "$D"
        [ "$FAILS" -eq 0 ] || break
        LAP=$((LAP + 1)) lap_attempts=0
        D=$WORK/run_$LAP
        continue
    fi
    next=$((next + 1))
    timing="($(secs $after_ms)s after delivery)"
    [ "$kind" = fault ] && timing="(the fault point kills at once)" target="every rank reaching it"
    say "#$((i + 1)) $(describe "$i"): lap $LAP, target $target; status $st after $(secs $ran_ms)s" \
        "$timing; LATEST $latest; $(count_tmp "$D") .tmp files"
    if [ "$delivered" = 0 ]; then
        fail "attempt $attempt: the $kind interruption was not delivered and the run did not complete (status $st); last lines:"
        tail -n 3 "$out" | sed 's/^/    /' | tee -a "$LOG"
    else
        delivered_total=$((delivered_total + 1))
        BY_KIND[$kind]=$((${BY_KIND[$kind]:-0} + 1))
    fi
    [ "$latest_ok" -eq 0 ] || fail "attempt $attempt: LATEST names $latest, which is missing or not complete"
    if [ "$st" -eq 124 ] || [ "$ran_ms" -ge $((HANG * 1000)) ]; then
        fail "attempt $attempt: the run hung (still running after ${HANG}s)"
    fi
    # what each kind must end with (a signal that lands after the last checkpoint may let it finish)
    case $kind in
    kill | fault) [ "$st" -ne 0 ] || fail "attempt $attempt: $kind should end the job with a non-zero status" ;;
    term | usr1)
        if [ "$st" -eq 75 ]; then
            :
        elif grep -Eq "exited on signal (15|10) " "$out"; then
            # the rank was still starting: the signal came before main installed the handlers,
            # so its default action ended the process (unavoidable; nothing is lost)
            say "note: the $kind signal reached a rank before it installed its handlers (status $st)"
            EARLY_SIGNALS=$((EARLY_SIGNALS + 1))
        else
            fail "attempt $attempt: $kind should stop with status 75 (checkpoint, run again), got $st"
        fi
        ;;
    stop)
        if [ "$st" -ne 0 ] || ! { grep -q "(STOP file)" "$out" || [ "$complete" = 1 ]; }; then
            fail "attempt $attempt: STOP should end the run with status 0 and say so, got $st"
        fi
        ;;
    mpiterm) ;; # mpirun's own status; only the invariants above and the comparison apply
    esac
    [ "$FAILS" -eq 0 ] || break
done

# ---- finish the last lap ----
if [ "$FAILS" -eq 0 ] && [ "$lap_attempts" -gt 0 ]; then
    attempt=$((attempt + 1))
    out=$WORK/attempt_$(printf '%03d' "$attempt").out
    launch "$D" "$out"
    wait "$LAUNCHER"
    st=$?
    latest=$(latest_state "$D")
    say "lap $LAP: last re-run, status $st, LATEST $latest"
    if [ "$st" -ne 0 ] || [ "$latest" != "$FINAL" ]; then
        fail "the last re-run should complete the run (status 0, LATEST $FINAL); its last lines:"
        tail -n 5 "$out" | sed 's/^/    /' | tee -a "$LOG"
    else
        compare_run "$D"
    fi
fi

# ---- summary ----
by_kind=
for k in "${!BY_KIND[@]}"; do by_kind+="${by_kind:+, }$k ${BY_KIND[$k]}"; done
say "soak: seed $SEED: $delivered_total interruptions delivered ($by_kind), $missed missed," \
    "$attempt launches, $LAP laps, $(($(date +%s) - START)) s"
if [ "$FAILS" -ne 0 ]; then
    say "soak: FAILED ($FAILS checks); work directory kept: $WORK"
    exit 1
fi
notes=()
[ "$EARLY_SIGNALS" -eq 0 ] || notes+=("$EARLY_SIGNALS signals reached a rank before its handlers")
note=
if [ ${#notes[@]} -gt 0 ]; then
    note=$(IFS=';' && echo "${notes[*]}")
    note=" (${note//;/; })"
fi
say "soak: PASSED$note"
if [ "$KEEP" = 1 ]; then
    say "soak: work directory kept: $WORK"
else
    rm -rf "$WORK"
fi
