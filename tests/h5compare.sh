# tests/h5compare.sh — HDF5 comparisons shared by the end-to-end and Slurm tests (sourced).

# has FILE GROUP: the HDF5 file holds the object.
has() { h5ls "$1$2" >/dev/null 2>&1; }

# same_ckpt A B: the checkpoints hold identical tensors and state (wall_time may differ).
same_ckpt() {
    local g
    [ -s "$1" ] && [ -s "$2" ] || return 1
    for g in /model /ref /prev /optim /state; do
        if has "$1" "$g" || has "$2" "$g"; then
            has "$1" "$g" && has "$2" "$g" || return 1
            h5diff -q "$1" "$2" "$g" >/dev/null 2>&1 || return 1
        fi
    done
}

# same_prefs A B: two round files are identical (datasets and attributes).
same_prefs() { h5diff -q "$1" "$2" >/dev/null 2>&1; }
