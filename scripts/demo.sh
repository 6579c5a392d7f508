#!/usr/bin/env bash
# The main job on the built-in task: installs what is missing and builds (scripts/bootstrap.sh),
# then runs configs/default.json with 4 MPI ranks: 4 models, one per rank, each SFT-trained with
# its own seed on 2000 labelled 2-digit sums; then 3 rounds in which every model answers 1500
# fresh, unlabelled prompts, the answers at least 3 of the 4 models agree on become labels, and
# every model trains on them. It prints each model's held-out accuracy, the models' vote and the
# kept labels' accuracy per round. Re-running resumes (or, when complete, prints the table again).
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
echo "demo: files in $dir (each model's checkpoints and round files in $dir/model_K; inspect"
echo "      them with build/concord inspect FILE or h5dump -H FILE; charts: build/concord plot $dir)"
ls "$dir" "$dir/model_0/ckpt" "$dir/model_0/prefs"
