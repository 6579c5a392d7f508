# Checkpoint module (io/ckpt, io/h5util) tests.
concord_test(NAME test_ckpt SOURCES test_ckpt.c LIBS concord_io LABELS io TIMEOUT 120)
concord_test(NAME test_ckpt_np2 SOURCES test_ckpt_mpi.c LIBS concord_io LABELS io mpi NP 2
             TIMEOUT 120)

# Driver for the script tests; built here, not registered as a test itself.
add_executable(test_ckpt_tool test_ckpt_tool.c)
target_include_directories(test_ckpt_tool PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(test_ckpt_tool PRIVATE concord_io)

concord_script_test(NAME test_ckpt_crash SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_ckpt_crash.sh
                    ARGS $<TARGET_FILE:test_ckpt_tool> ${MPIEXEC_EXECUTABLE} LABELS io mpi
                    TIMEOUT 300)
concord_script_test(NAME test_ckpt_golden SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_ckpt_golden.sh
                    ARGS $<TARGET_FILE:test_ckpt_tool> LABELS io TIMEOUT 60)
concord_script_test(NAME test_ckpt_h5py SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_ckpt_h5py.sh
                    ARGS $<TARGET_FILE:test_ckpt_tool> LABELS io TIMEOUT 60)
