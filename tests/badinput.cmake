# Bad input through the CLI (release build), and every input-handling test again under
# AddressSanitizer + UBSan (a separate Debug build in build/asan).
concord_script_test(NAME test_bad_input SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_bad_input.sh
                    LABELS io)
concord_script_test(NAME test_asan SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_asan.sh LABELS io
                    TIMEOUT 900)
