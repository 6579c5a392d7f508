#!/usr/bin/env bash
# A full disk during a run (needs root to mount a small tmpfs; exit 77 = skipped otherwise).
# The run directory lives on a 2 MiB tmpfs. Round 1 completes; then a filler file leaves too
# little space for round 2, and `concord run` must end with one message naming the file and "no
# space left on device", a non-zero status, no temporary file left, LATEST still naming
# round_0001.h5 and that checkpoint identical to an uninterrupted run's. Once the filler is
# removed, the same command resumes and its round-2 checkpoint, round file and metrics equal the
# uninterrupted run's (wall-clock fields aside). Three ways to fail, each on 1 and 2 ranks:
#   A. the round file, refused by the free-space check before anything is written;
#   B. the checkpoint, with that check skipped (fault flag io.skip_space_check@2: the round file
#      is the first write of the resumed run, the checkpoint the second), so the tensor writes
#      themselves hit ENOSPC (1 rank: sec2 + direct writes; 2 ranks: collective MPI-IO writes,
#      where one rank's share can fail and the other's not);
#   C. the round file with the check skipped (io.skip_space_check@1): its collective row writes
#      hit ENOSPC.
#   test_enospc.sh CONCORD
set -u
concord=${1:?usage: test_enospc.sh CONCORD}
src=${CONCORD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
tiny=$src/configs/tiny.json
source "$src/tests/h5compare.sh"
source "$src/scripts/lib/metrics.sh"  # same_metrics A B: equal lines, timings left out
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_rmaps_base_oversubscribe=1
work=$(mktemp -d /tmp/concord-enospc.XXXXXX)
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() {
    mountpoint -q "$mnt" && umount "$mnt"
    rm -rf "$work"
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>"$work/mount.err"; then
    echo "SKIP: mounting a tmpfs is not permitted here ($(cat "$work/mount.err" 2>/dev/null))"
    exit 77
fi
umount "$mnt"
passes=0 fails=0
pass() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
check() { if eval "$1"; then pass; else fail "$2"; fi; }

# run NP DIR [args...]: concord run of the tiny config (2 rounds); returns its status.
run() {
    local np=$1 dir=$2
    shift 2
    timeout 300 mpirun -np "$np" "$concord" run "$tiny" --run-dir "$dir" "$@" >"$dir.out" 2>"$dir.err"
}
# fill DIR BYTES: a filler file leaves about BYTES free on DIR's file system
fill() {
    local free
    free=$(/usr/bin/python3 -c "import os,sys; v=os.statvfs(sys.argv[1]); print(v.f_bavail*v.f_frsize)" "$1")
    [ "$free" -gt "$2" ] && fallocate -l $((free - $2)) "$1/filler"
}

for np in 1 2; do
    ref=$work/ref$np
    check 'run $np "$ref"' "uninterrupted run (np $np) failed"
    for case in A B C; do
        mount -t tmpfs -o size=2m tmpfs "$mnt" || { fail "mount"; continue; }
        d=$mnt/run
        check 'run $np "$d" --set rounds.count=1' "round 1 on the tmpfs ($case, np $np) failed"
        if [ $case = A ]; then
            fill "$mnt" $((16 << 10))
            what=prefs/round_0002.h5.tmp
            run $np "$d"
        elif [ $case = C ]; then
            fill "$mnt" $((16 << 10))
            what=prefs/round_0002.h5.tmp
            CONCORD_FAULT=io.skip_space_check@1 CONCORD_FAULT_ACTION=flag run $np "$d"
        else
            fill "$mnt" $((300 << 10))  # the round file fits, the checkpoint (~370 KB) does not
            what=ckpt/round_0002.h5.tmp
            CONCORD_FAULT=io.skip_space_check@2 CONCORD_FAULT_ACTION=flag run $np "$d"
        fi
        st=$?
        check '[ $st -ne 0 ] && [ $st -ne 124 ]' "a full disk ($case, np $np) should fail the run, status $st"
        check 'grep -qi "no space left on device" "$d.err" && grep -q "$what" "$d.err"' \
            "the message ($case, np $np) should name $what and the full disk"
        check '[ "$(cat "$d/ckpt/LATEST")" = round_0001.h5 ]' "LATEST ($case, np $np) should still name round_0001.h5"
        check 'same_ckpt "$d/ckpt/round_0001.h5" "$ref/ckpt/round_0001.h5"' "round_0001.h5 ($case, np $np) changed"
        check '[ -z "$(find "$mnt" -name "*.tmp")" ]' "a temporary file was left behind ($case, np $np)"
        check '[ ! -e "$d/ckpt/round_0002.h5" ]' "round_0002.h5 should not exist ($case, np $np)"
        rm -f "$mnt/filler"
        check 'run $np "$d"' "the resume after freeing space ($case, np $np) failed"
        check 'same_ckpt "$d/ckpt/round_0002.h5" "$ref/ckpt/round_0002.h5"' "resumed round_0002.h5 ($case, np $np) differs"
        check 'same_prefs "$d/prefs/round_0002.h5" "$ref/prefs/round_0002.h5"' "resumed round file ($case, np $np) differs"
        check 'same_metrics "$ref/metrics.jsonl" "$d/metrics.jsonl"' \
            "resumed metrics.jsonl ($case, np $np) differs (diff above)"
        umount "$mnt"
    done
done
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
