# io/prefbuf: the per-round preference file prefs/round_NNNN.h5.
#   test_prefbuf           round trips, row ranges, N = 0, listing, bad input (io)
#   test_prefbuf_npN       the same logical rows written by 1..4 ranks, split unevenly (mpi)
#   test_prefbuf_h5diff    the four files of test_prefbuf_npN are identical per h5diff (mpi)
#   test_prefbuf_golden    `h5dump -H` of a tiny round equals tests/golden/round.ddl (io)
#   test_prefbuf_h5py      h5py reads names, shapes, the enum and the values (io)
#   test_prefbuf_fault     SIGKILL at every fault point leaves no accepted file (io)
concord_test(NAME test_prefbuf SOURCES test_prefbuf.c LIBS concord_io LABELS io NP 1 ARGS unit)

foreach(np 1 2 3 4)
  add_test(NAME test_prefbuf_np${np}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
                   $<TARGET_FILE:test_prefbuf> ${MPIEXEC_POSTFLAGS} parallel prefbuf_par/np${np} 2500)
  set_tests_properties(test_prefbuf_np${np} PROPERTIES LABELS mpi TIMEOUT 300
                       ENVIRONMENT "${CONCORD_TEST_ENV}"
                       WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
                       FIXTURES_SETUP prefbuf_par)
endforeach()

concord_script_test(NAME test_prefbuf_h5diff
                    SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_prefbuf_h5diff.sh
                    LABELS mpi ARGS prefbuf_par)
set_tests_properties(test_prefbuf_h5diff PROPERTIES FIXTURES_REQUIRED prefbuf_par)

concord_script_test(NAME test_prefbuf_golden
                    SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_prefbuf_golden.sh
                    LABELS io
                    ARGS $<TARGET_FILE:test_prefbuf> ${MPIEXEC_EXECUTABLE}
                         ${CMAKE_CURRENT_SOURCE_DIR}/golden/round.ddl)

concord_script_test(NAME test_prefbuf_h5py
                    SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_prefbuf_h5py.sh
                    LABELS io
                    ARGS $<TARGET_FILE:test_prefbuf> ${MPIEXEC_EXECUTABLE}
                         ${CMAKE_CURRENT_SOURCE_DIR}/test_prefbuf_h5py.py)

concord_script_test(NAME test_prefbuf_fault
                    SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_prefbuf_fault.sh
                    LABELS io
                    ARGS $<TARGET_FILE:test_prefbuf> ${MPIEXEC_EXECUTABLE})
