# PyTorch parity: logits, log-probs, DPO loss and every parameter gradient (label parity).
add_executable(test_parity test_parity.c)
target_link_libraries(test_parity PRIVATE concord_train)
concord_script_test(NAME parity_torch SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/parity.sh LABELS parity
                    TIMEOUT 300)
