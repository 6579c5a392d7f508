#!/usr/bin/env bash
# SIGKILL during a checkpoint write, at every fault point of io/ckpt.c: the previous checkpoint A
# must stay named by LATEST and read back bit-exactly, no file that ckpt_read accepts may exist
# under B's name before B is published, and the next write must succeed and clean up stale .tmp.
# Usage: test_ckpt_crash.sh TOOL [MPIEXEC]
set -u
tool=$1
mpiexec=${2:-}
work=$PWD/test_ckpt_crash.d
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "$0")/check.sh"

# check_rejected FILE [LAUNCH...]: ckpt_read must refuse FILE with a clean message (no HDF5
# error stack, no crash).
check_rejected() {
    local file=$1 err rc
    shift
    err=$("$@" "$tool" check "$file" 2>&1 >/dev/null)
    rc=$?
    expect "[ $rc -eq 3 ]" "$file was accepted or crashed the reader (rc $rc): $err"
    expect "! grep -q HDF5-DIAG <<< \"\$err\"" "HDF5 error stack printed for $file: $err"
}

# crash_case POINT LAUNCH...: A written normally, then B killed at POINT.
crash_case() {
    local point=$1
    shift
    local d=$work/$point-$#
    rm -rf "$d"
    "$@" "$tool" write "$d" round_0001 1 2 || { bad "$point: writing A failed"; return; }
    # (in a subshell, so the shell's "Killed" notice goes to the log, not the test output)
    (CONCORD_FAULT=$point "$@" "$tool" write "$d" round_0002 2 2; exit $?) >/dev/null 2>"$d.stderr"
    local rc=$?
    expect "[ $rc -ne 0 ]" "$point: the faulty write exited 0"
    expect "grep -q 'fault injection: SIGKILL at $point' '$d.stderr'" "$point: fault did not fire"
    local latest
    latest=$("$tool" latest "$d")
    case $point in
    ckpt.after_latest)
        expect "[ '$latest' = '$d/ckpt/round_0002.h5' ]" "$point: LATEST is '$latest'"
        expect "'$tool' verify '$d/ckpt/round_0002.h5' 2" "$point: B does not read back"
        ;;
    *)
        expect "[ '$latest' = '$d/ckpt/round_0001.h5' ]" "$point: LATEST is '$latest', not A"
        expect "'$tool' verify '$d/ckpt/round_0001.h5' 1" "$point: A does not read back intact"
        if [ "$point" = ckpt.before_latest ]; then
            # B is renamed, complete and fsynced, but not yet published by LATEST.
            expect "'$tool' verify '$d/ckpt/round_0002.h5' 2" "$point: renamed B is not intact"
        else
            expect "[ ! -e '$d/ckpt/round_0002.h5' ]" "$point: B exists under its final name"
            check_rejected "$d/ckpt/round_0002.h5" env
            case $point in
            ckpt.before_rename | ckpt.before_close) ;;  # the .tmp may already be whole
            *) check_rejected "$d/ckpt/round_0002.h5.tmp" env ;;
            esac
        fi
        ;;
    esac
    # The next write succeeds, names itself in LATEST and leaves no stale temporary file.
    "$@" "$tool" write "$d" round_0003 3 2 || { bad "$point: write after the crash failed"; return; }
    expect "[ \"\$(ls '$d/ckpt' | grep -c '\.tmp$')\" -eq 0 ]" "$point: stale .tmp left: $(ls "$d/ckpt")"
    expect "[ \"\$('$tool' latest '$d')\" = '$d/ckpt/round_0003.h5' ]" "$point: LATEST after recovery"
    expect "'$tool' verify '$d/ckpt/round_0003.h5' 3" "$point: C does not read back"
}

points="ckpt.after_create ckpt.after_model ckpt.after_optim ckpt.after_state ckpt.before_complete
        ckpt.before_close ckpt.before_rename ckpt.before_latest ckpt.after_latest"
for p in $points; do
    crash_case "$p" env
done
if [ -n "$mpiexec" ]; then
    for p in ckpt.after_model ckpt.before_rename; do
        crash_case "$p" "$mpiexec" -n 2
    done
fi

# Damaged files never crash the reader nor print an HDF5 error stack, on one rank or two.
good=$work/ckpt.after_latest-1/ckpt/round_0003.h5
printf 'not an HDF5 file' >"$work/text.h5"
cp "$good" "$work/trunc.h5" && truncate -s 5000 "$work/trunc.h5"
head -c 3000 /dev/urandom >"$work/random.h5"
for f in text trunc random missing; do
    check_rejected "$work/$f.h5" env
    [ -n "$mpiexec" ] && check_rejected "$work/$f.h5" "$mpiexec" -n 2
done
check_finish
