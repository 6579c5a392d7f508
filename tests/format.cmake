# The tree follows .clang-format (tests/format.sh; skipped where clang-format is missing).
add_test(NAME format COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/format.sh)
set_tests_properties(format PROPERTIES LABELS unit TIMEOUT 120 SKIP_RETURN_CODE 77
                     ENVIRONMENT "${CONCORD_TEST_ENV}")
