# MPI layer (comm/comms, comm/exchange, comm/allreduce) tests. Each program is built once and run
# under mpiexec with 1, 2, 3 and 4 ranks (rank counts change the chunking, the owners and the
# association of the sums, and which ranks hold no data).
concord_test(NAME test_comms_layout SOURCES test_comms.c LIBS concord_comm LABELS unit
             ARGS --layout-only TIMEOUT 30)
concord_test(NAME test_ensemble SOURCES test_ensemble.c LIBS concord_ranks LABELS unit TIMEOUT 30)

function(concord_comm_mpi_test name source timeout)
  concord_test(NAME ${name}_np1 SOURCES ${source} LIBS concord_comm LABELS mpi NP 1
               TIMEOUT ${timeout})
  foreach(np 2 3 4)
    add_test(NAME ${name}_np${np}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${name}_np1> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${name}_np${np} PROPERTIES LABELS mpi TIMEOUT ${timeout}
                         ENVIRONMENT "${CONCORD_TEST_ENV}"
                         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endforeach()
endfunction()

concord_comm_mpi_test(test_comms test_comms.c 120)
concord_comm_mpi_test(test_exchange test_exchange.c 120)
concord_comm_mpi_test(test_allreduce test_allreduce.c 180)

concord_script_test(NAME test_comms_abort SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_comms_abort.sh
                    ARGS $<TARGET_FILE:test_comms_layout> ${MPIEXEC_EXECUTABLE} LABELS mpi
                    TIMEOUT 400)
