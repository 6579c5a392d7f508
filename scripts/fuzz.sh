#!/usr/bin/env bash
# Builds concord's libFuzzer harnesses (tests/fuzz/) in a clang tree and runs them.
#   scripts/fuzz.sh build                  configure and build the harnesses only
#   scripts/fuzz.sh ci                     build, then `ctest -L fuzz`: every harness on its seeds and
#                                          regression inputs, then CONCORD_FUZZ_SECONDS (15) of fuzzing
#   scripts/fuzz.sh campaign [-t S] [name...]
#                                          long runs, one harness after the other under nice -n 19
#                                          (default: all, 600 s each), -print_final_stats=1; logs and
#                                          the summary (executions, cov, ft, crashes) go to
#                                          <tree>/campaign/; new inputs join the ctest corpus
# Environment: CONCORD_FUZZ_BUILD_DIR (default build-fuzz), CONCORD_FUZZ_SECONDS (ctest run length),
#              CC (default clang-14, else clang). Needs clang-14 and libfuzzer-14-dev
#              (scripts/bootstrap.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
tree=${CONCORD_FUZZ_BUILD_DIR:-build-fuzz}
harnesses=(config jsonl llmc ckpt prefbuf safetensors bpe hf_config small)

cc=${CC:-}
if [ -z "$cc" ]; then
    cc=$(command -v clang-14 || command -v clang || true)
fi
if [ -z "$cc" ]; then
    echo "fuzz.sh: no clang found (install clang-14 and libfuzzer-14-dev, or set CC)" >&2
    exit 2
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

build() {
    cmake -S . -B "$tree" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Release -DCONCORD_FUZZ=ON \
        -DCONCORD_WERROR=OFF -DCONCORD_FUZZ_SECONDS="${CONCORD_FUZZ_SECONDS:-15}" >/dev/null
    cmake --build "$tree" -j "$(nproc)" --target fuzz_harnesses
}

# The last status line ("#N DONE cov: C ft: F ...", or the last before a crash) and the crash
# count of one campaign log.
summary() {
    local name=$1 log=$2 seconds=$3
    local done execs cov ft crashes
    done=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -1 || true)
    execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done")
    crashes=$(grep -cE '^==[0-9]+== ?ERROR|^fuzz: (property|concord ended)|runtime error:' "$log" || true)
    printf '%-8s %6ss  execs %-9s cov %-5s ft %-6s crashes %s\n' "$name" "$seconds" \
        "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
}

campaign() {
    local seconds=600 names=()
    while [ $# -gt 0 ]; do
        case $1 in
            -t) seconds=$2; shift 2 ;;
            *) names+=("$1"); shift ;;
        esac
    done
    [ ${#names[@]} -gt 0 ] || names=("${harnesses[@]}")
    build >/dev/null
    local out=$tree/campaign
    mkdir -p "$out/artifacts"
    local status=0
    for name in "${names[@]}"; do
        local corpus=$tree/tests/fuzz/corpus/$name opts=(-rss_limit_mb=2048 -timeout=20)
        mkdir -p "$corpus"
        case $name in
            config) opts+=(-dict=tests/fuzz/config.dict) ;;
            jsonl) opts+=(-dict=tests/fuzz/jsonl.dict) ;;
            llmc) opts+=(-max_len=8192) ;;
            bpe) opts+=(-max_len=16384) ;;
            hf_config) opts+=(-dict=tests/fuzz/hf_config.dict -max_len=4096) ;;
            small) opts+=(-dict=tests/fuzz/small.dict -max_len=4096) ;;
            ckpt | prefbuf) opts+=(-max_len=128 -len_control=0) ;;
        esac
        local inputs=()
        for d in tests/fuzz/seeds/$name tests/fuzz/regressions/$name; do
            [ -d "$d" ] && inputs+=("$d")
        done
        echo "fuzz.sh: $name for $seconds s (log $out/$name.log)"
        if ! nice -n 19 "$tree/tests/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
            "${opts[@]}" -artifact_prefix="$out/artifacts/$name-" "$corpus" "${inputs[@]}" \
            >"$out/$name.log" 2>&1; then
            status=1
        fi
        summary "$name" "$out/$name.log" "$seconds" | tee -a "$out/summary.txt"
    done
    echo "fuzz.sh: $(lscpu | sed -nE 's/^Model name:[[:space:]]+//p'), $(date -u +%F)" \
        | tee -a "$out/summary.txt"
    return $status
}

case ${1:-ci} in
    build) build ;;
    ci)
        build >/dev/null
        ctest --test-dir "$tree" -L fuzz --output-on-failure -j "$(nproc)"
        ;;
    campaign) shift; campaign "$@" ;;
    *)
        echo "usage: scripts/fuzz.sh [build | ci | campaign [-t seconds] [harness...]]" >&2
        exit 2
        ;;
esac
