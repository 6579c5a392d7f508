#!/usr/bin/env bash
# The main job on the built-in task: installs what is missing and builds (scripts/bootstrap.sh),
# then runs configs/default.json with 4 MPI ranks — the SFT warm-up, then 3 self-rewarding rounds
# (generate -> judge ensemble -> unanimous pairs -> DPO -> eval -> checkpoint) — and prints the
# per-round table. Re-running resumes (or, when complete, just prints the table again).
# Environment: CONCORD_DEMO_DIR (run directory, default runs/demo), CONCORD_DEMO_NP (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
dir=${CONCORD_DEMO_DIR:-runs/demo}
np=${CONCORD_DEMO_NP:-4}
echo "demo: mpirun -np $np build/concord run configs/default.json --run-dir $dir"
mpirun -np "$np" build/concord run configs/default.json --run-dir "$dir"
echo "demo: files in $dir (inspect them with build/concord inspect FILE or h5dump -H FILE)"
ls "$dir" "$dir/ckpt" "$dir/prefs"
