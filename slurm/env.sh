# slurm/env.sh — site settings for concord jobs, sourced by the batch scripts on the first node
# of the allocation before launching (srun and sbatch pass the environment on to every task).
# Edit this file for your cluster; it must only set variables and load modules.

# Modules: concord needs Open MPI, parallel HDF5, OpenBLAS and cJSON at run time, the same ones it
# was built with. Debian's packages need nothing here; on a module-based cluster, e.g.:
# module load gcc/12 openmpi/4.1 hdf5-mpi/1.10 openblas/0.3

# Threads: concord_launch (slurm/launch.sh) sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
# run.blas_threads from --cpus-per-task. Keep one thread per rank unless ranks are few and
# matrices large.

# OpenBLAS kernels: OpenBLAS picks its kernels from the CPU model when it loads. On virtual
# machines whose CPU model it does not know it can fall back to generic "Prescott" kernels (seen
# on a 16-core cloud VM with AVX-512: sgemm 2-4x slower); concord then warns at start-up and names
# the fix. Set the kernels by hand in that case (SkylakeX for AVX-512 CPUs, Haswell for AVX2):
# export OPENBLAS_CORETYPE=SkylakeX

# Busy-polling: Open MPI ranks spin while they wait for messages. When a node runs more ranks than
# it has cores (a test cluster that declares more CPUs than the hardware, oversubscribed nodes),
# spinning ranks starve the ones doing work and a run becomes many times slower; make them yield.
if [ "${SLURM_CPUS_ON_NODE:-0}" -gt "$(nproc --all)" ]; then
    export OMPI_MCA_mpi_yield_when_idle=1
fi

# Parallel HDF5 I/O: Open MPI 4.1 uses its OMPIO component for MPI-IO by default. If collective
# checkpoint or preference-file writes fail, hang or are slow on your file system (some Lustre and
# NFS setups), switch to ROMIO:
# export OMPI_MCA_io=romio321
# Parallel file systems that do not support flock (some Lustre mounts) need HDF5's file locking off:
# export HDF5_USE_FILE_LOCKING=FALSE

# Running as root (containers, the local test cluster) needs Open MPI's consent; never on a
# shared cluster:
# export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Launcher: srun --mpi=pmix by default (auto-detected); force Open MPI's mpirun inside the
# allocation where Slurm lacks PMIx:
# export CONCORD_LAUNCHER=mpirun
