# PyTorch parity: logits, log-probs, DPO loss and every parameter gradient (label parity).
add_executable(test_parity test_parity.c)
target_link_libraries(test_parity PRIVATE concord_train)
concord_script_test(NAME parity_torch SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/parity.sh LABELS parity
                    TIMEOUT 300)
# The checker's own self-test: a clean dump passes, a perturbed gradient or a bad file fails.
add_test(NAME parity_selftest
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/parity/torch_parity.py --self-test)
set_tests_properties(parity_selftest PROPERTIES LABELS parity TIMEOUT 300
                     ENVIRONMENT "${CONCORD_TEST_ENV}")
