# A rank frozen by SIGSTOP is noticed by run.stuck_timeout's watchdog (ranks/watchdog.h): the job
# ends with one message naming it, LATEST intact, no rank left, and resumes; a busy rank is not
# flagged (tests/test_stuck.sh).
concord_script_test(NAME test_stuck SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_stuck.sh
                    LABELS mpi e2e TIMEOUT 300)
