#!/usr/bin/env bash
# Checksums of checkpoints and round files (io/h5util.h): every dataset carries crc32, the value
# does not depend on the number of writing ranks, and one damaged byte in any kind of dataset
# makes loading refuse the file naming that dataset, and `concord inspect --verify` report it
# (exit 1) while the intact file verifies (exit 0).
# Damage is done two ways: a byte flipped on disk inside a contiguous dataset's extent (found with
# h5py's get_offset), and one value rewritten through HDF5 without touching crc32 (for every
# dataset, chunked and compressed ones included).
#   test_checksum.sh CONCORD CKPT_TOOL PREFBUF_TEST MPIEXEC
set -u
concord=${1:?usage: test_checksum.sh CONCORD CKPT_TOOL PREFBUF_TEST MPIEXEC}
tool=${2:?}
prefbuf=${3:?}
mpiexec=${4:?}
work=$PWD/test_checksum.d
rm -rf "$work" && mkdir -p "$work"
passes=0 fails=0
pass() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# damage FILE DATASET MODE: MODE "disk" flips a byte of the contiguous extent on disk, "value"
# rewrites one element through HDF5 (crc32 left as it was).
damage() {
    /usr/bin/python3 - "$@" <<'EOF'
import sys, h5py, numpy as np
path, name, mode = sys.argv[1:4]
if mode == "disk":
    with h5py.File(path, "r") as f:
        d = f[name]
        off = d.id.get_offset()
        assert off is not None, name + " is not contiguous"
        at = off + d.id.get_storage_size() // 2
    with open(path, "r+b") as raw:
        raw.seek(at)
        b = raw.read(1)
        raw.seek(at)
        raw.write(bytes([b[0] ^ 0x10]))
    sys.exit(0)
with h5py.File(path, "r+") as f:
    d = f[name]
    if d.dtype.kind == "S":  # a scalar fixed-length string: change one character
        v = bytearray(d[()])
        v[len(v) // 2] ^= 0x01
        d[()] = bytes(v)
    elif h5py.check_enum_dtype(d.dtype) is not None:  # a label: another valid member
        v = d[...]
        v.flat[0] = 1 if v.flat[0] != 1 else 0
        d[...] = v
    else:
        v = d[...]
        raw = v.view(np.uint8).reshape(-1)
        raw[raw.size // 2] ^= 0x01
        d[...] = v
EOF
}

# --- a checkpoint with every group, written by 1, 2 and 3 ranks: identical checksums ---
"$tool" write "$work/c1" round_0001 7 >/dev/null || fail "writing the checkpoint"
for np in 2 3; do
    "$mpiexec" -n $np "$tool" write "$work/c$np" round_0001 7 >/dev/null || fail "writing with $np ranks"
done
crcs() { /usr/bin/python3 -c "
import h5py, sys
out = []
def visit(name, obj):
    if isinstance(obj, h5py.Dataset): out.append('%s %d' % (name, obj.attrs['crc32']))
with h5py.File(sys.argv[1], 'r') as f:
    f.visititems(visit)
    print(f.attrs['checksums'].decode())
print('\n'.join(out))" "$1"; }
crcs "$work/c1/ckpt/round_0001.h5" >"$work/c1.crc" || fail "checkpoint without crc32 attributes"
n_ckpt=$(grep -c ' ' "$work/c1.crc")
[ "$n_ckpt" -ge 80 ] && pass || fail "expected crc32 on every checkpoint dataset, found $n_ckpt"
for np in 2 3; do
    crcs "$work/c$np/ckpt/round_0001.h5" >"$work/c$np.crc"
    cmp -s "$work/c1.crc" "$work/c$np.crc" && pass || fail "checksums written by $np ranks differ"
done

good=$work/c1/ckpt/round_0001.h5
"$concord" inspect --verify "$good" >"$work/ok.out" 2>&1
st=$?
[ $st -eq 0 ] && grep -q "all [0-9]* datasets match" "$work/ok.out" && pass ||
    fail "inspect --verify of an intact checkpoint: status $st ($(tail -1 "$work/ok.out"))"

# check_ckpt NAME MODE [np2]: damage one dataset of a copy, then every reader must name it
# (ckpt_read, on 2 ranks too when asked; the config JSON is read by ckpt_peek, i.e. inspect).
check_ckpt() {
    local name=$1 mode=$2 bad=$work/bad_ckpt.h5 st
    cp "$good" "$bad"
    damage "$bad" "$name" "$mode" || { fail "could not damage $name"; return; }
    if [ "$name" = config/json ]; then
        "$concord" inspect "$bad" >/dev/null 2>"$work/load.err"
        st=$?
        [ $st -eq 2 ] && grep -q "dataset /$name fails its checksum" "$work/load.err" && pass ||
            fail "reading the metadata with $name damaged: status $st, $(head -1 "$work/load.err")"
    else
        "$tool" check "$bad" >/dev/null 2>"$work/load.err"
        st=$?
        [ $st -eq 3 ] && grep -q "dataset /$name fails its checksum" "$work/load.err" && pass ||
            fail "loading with $name damaged ($mode): status $st, $(head -1 "$work/load.err")"
    fi
    if [ "${3:-}" = np2 ]; then
        "$mpiexec" -n 2 "$tool" check "$bad" >/dev/null 2>"$work/load2.err"
        st=$?
        [ $st -ne 0 ] && grep -q "/$name fails its checksum" "$work/load2.err" && pass ||
            fail "loading on 2 ranks with $name damaged: status $st"
    fi
    "$concord" inspect --verify "$bad" >"$work/v.out" 2>&1
    st=$?
    [ $st -eq 1 ] && grep -q "^FAILED  /$name: .*stored 0x" "$work/v.out" &&
        [ "$(grep -c '^FAILED' "$work/v.out")" -eq 1 ] && pass ||
        fail "inspect --verify with $name damaged: status $st"
}
check_ckpt model/wte disk np2
check_ckpt model/qkv_w value
check_ckpt model/lnf_b value
check_ckpt optim/m/fc_w value
check_ckpt optim/v/wpe disk
check_ckpt ref/attn_proj_w value
check_ckpt prev/ln1_b value
check_ckpt state/rng value np2
check_ckpt state/role value
check_ckpt state/cursors value
check_ckpt config/json value
# metadata readers (eval, sample, inspect) check what they read too
cp "$good" "$work/bad_peek.h5"
damage "$work/bad_peek.h5" state/rng value
"$concord" inspect "$work/bad_peek.h5" >/dev/null 2>"$work/peek.err"
st=$?
[ $st -eq 2 ] && grep -q "/state/rng fails its checksum" "$work/peek.err" && pass ||
    fail "concord inspect of a damaged /state/rng: status $st"

# --- round files: plain and compressed, every column ---
for level in 0 6; do
    rdir=$work/r$level
    mkdir -p "$rdir"
    "$mpiexec" -n 1 "$prefbuf" write "$rdir" 2 40 $level >/dev/null || fail "writing the round file"
    rgood=$rdir/prefs/round_0002.h5
    "$concord" inspect --verify "$rgood" >"$work/rok.out" 2>&1 && pass ||
        fail "inspect --verify of an intact round file (level $level)"
    cols="prompt_id pair_id chosen_idx rejected_idx prompt_len prompt chosen_len chosen
          rejected_len rejected judge_scores label prob weight confidence label_correct"
    [ $level -gt 0 ] && cols="prompt chosen_len judge_scores label"  # every type, compressed
    for col in $cols; do
        bad=$work/bad_round.h5
        cp "$rgood" "$bad"
        damage "$bad" "pairs/$col" value || { fail "could not damage pairs/$col"; continue; }
        "$concord" inspect "$bad" >/dev/null 2>"$work/rload.err"
        st=$?
        [ $st -eq 2 ] && grep -q "dataset /pairs/$col fails its checksum" "$work/rload.err" && pass ||
            fail "loading a round file with /pairs/$col damaged (level $level): status $st, $(head -1 "$work/rload.err")"
        "$concord" inspect --verify "$bad" >"$work/rv.out" 2>&1
        st=$?
        [ $st -eq 1 ] && grep -q "^FAILED  /pairs/$col:" "$work/rv.out" && pass ||
            fail "inspect --verify with /pairs/$col damaged (level $level): status $st"
    done
done
cp "$work/r0/prefs/round_0002.h5" "$work/bad_stats.h5"
damage "$work/bad_stats.h5" stats/agreement disk
"$concord" inspect "$work/bad_stats.h5" >/dev/null 2>"$work/sload.err"
grep -q "/stats/agreement fails its checksum" "$work/sload.err" && pass ||
    fail "a damaged /stats/agreement was not refused"

# --- files from before checksums: read unchecked, and --verify says there is nothing to check ---
old=$work/old.h5
cp "$good" "$old"
/usr/bin/python3 -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    del f.attrs['checksums']
    f.visititems(lambda n, o: o.attrs.__delitem__('crc32') if isinstance(o, h5py.Dataset) else None)
" "$old"
"$tool" check "$old" 2>"$work/old.err" && pass || fail "a checkpoint without checksums was refused: $(cat "$work/old.err")"
"$concord" inspect --verify "$old" >/dev/null 2>"$work/oldv.err"
st=$?
[ $st -eq 2 ] && grep -q "written before" "$work/oldv.err" && pass ||
    fail "inspect --verify of a file without checksums: status $st"
# ... but a checksummed file missing one crc32 is damage
cp "$good" "$work/nocrc.h5"
/usr/bin/python3 -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f: del f['model/wte'].attrs['crc32']
" "$work/nocrc.h5"
"$tool" check "$work/nocrc.h5" 2>"$work/nocrc.err"
st=$?
[ $st -eq 3 ] && grep -q "/model/wte has no crc32" "$work/nocrc.err" && pass ||
    fail "a dataset without crc32 in a checksummed file: status $st"
"$concord" inspect --verify nonexistent.h5 >/dev/null 2>&1
[ $? -eq 2 ] && pass || fail "inspect --verify of a missing file should exit 2"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
