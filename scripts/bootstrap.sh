#!/usr/bin/env bash
# Installs what concord needs (Debian 12 packages only) if missing, then builds into build/.
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Environment: CONCORD_BUILD_DIR (default build), CONCORD_BUILD_TYPE (default Release),
#              CI=true turns warnings into errors, CONCORD_SKIP_APT=1 skips the package step.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libhdf5-openmpi-dev
          hdf5-tools libopenblas-dev libcjson-dev gnuplot-nox python3-torch python3-h5py
          python3-numpy slurm-wlm munge libpmix-dev zlib1g-dev libpcre2-dev
          clang-14 libclang-rt-14-dev libfuzzer-14-dev clang-format-14)
# The tokenizer parity tests install their JavaScript references with npm (tests/bpe/); take
# Debian's node and npm only where none are on the PATH already.
command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${CONCORD_SKIP_APT:-0}" != 1 ] && [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build=${CONCORD_BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${CONCORD_BUILD_TYPE:-Release}" -DCONCORD_WERROR=$werror >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "bootstrap: built into $build"
