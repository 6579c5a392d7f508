# Tool tests: llm.c import (io/llmc, concord import-llmc) and concord inspect (io/inspect).
concord_test(NAME test_llmc SOURCES test_llmc.c LIBS concord_io LABELS io TIMEOUT 60)

# Writers of the files the CLI scripts inspect; built here, not registered as tests themselves.
add_executable(test_inspect_tool test_inspect_tool.c)
target_include_directories(test_inspect_tool PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(test_inspect_tool PRIVATE concord_io)

concord_script_test(NAME test_import_llmc SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_import_llmc.sh
                    ARGS $<TARGET_FILE:concord> $<TARGET_FILE:test_llmc> LABELS io TIMEOUT 60)
concord_script_test(NAME test_inspect SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_inspect.sh
                    ARGS $<TARGET_FILE:concord> $<TARGET_FILE:test_inspect_tool> LABELS io
                    TIMEOUT 60)

# The warning about OpenBLAS kernels older than the CPU (train/matmul.c, ranks/run.c).
concord_script_test(NAME test_blas_core SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_blas_core.sh
                    ARGS $<TARGET_FILE:concord> LABELS train TIMEOUT 60)
