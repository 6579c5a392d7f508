# Slurm and preemption-signal tests (tests/slurm/*.sh), label slurm. jobs and preempt start a real
# single-node Slurm cluster (slurm/local-cluster.sh, installing Debian's slurm-wlm and munge when
# missing; they print SKIP and pass only where that is impossible) and share it under a resource
# lock; sigterm needs only mpirun.
foreach(t jobs preempt)
  concord_script_test(NAME slurm_${t} SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/slurm/${t}.sh
                      LABELS slurm TIMEOUT 900)
  set_tests_properties(slurm_${t} PROPERTIES RESOURCE_LOCK concord_slurm_cluster)
endforeach()
concord_script_test(NAME slurm_sigterm SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/slurm/sigterm.sh
                    LABELS slurm TIMEOUT 900)
