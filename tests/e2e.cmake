# End-to-end runs of `concord run` on the tiny config (tests/e2e/*.sh), label mpi.
foreach(np 1 2 4)
  concord_script_test(NAME e2e_run_np${np} SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/e2e/run.sh ARGS ${np}
                      LABELS mpi e2e)
endforeach()
foreach(t sft layouts losses determinism resume fault stop)
  concord_script_test(NAME e2e_${t} SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${t}.sh LABELS mpi e2e
                      TIMEOUT 600)
endforeach()
concord_script_test(NAME e2e_ensemble SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ensemble.sh
                    LABELS mpi e2e TIMEOUT 900)
# same_metrics (scripts/lib/metrics.sh) on real runs: equal on timing-only differences, a
# difference on any other changed value, line or field
concord_script_test(NAME e2e_metrics_compare
                    SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/e2e/metrics_compare.sh LABELS mpi e2e
                    TIMEOUT 300)
concord_script_test(NAME e2e_levels SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/e2e/levels.sh
                    LABELS mpi e2e)
