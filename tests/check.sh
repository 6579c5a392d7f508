# tests/check.sh — pass/fail counting for the shell tests (sourced): ok, bad MESSAGE,
# expect COMMAND MESSAGE (eval'd), and check_finish, which prints "N passed, N failed" and
# returns non-zero when anything failed. The C tests' counterpart is tests/check.h.
passes=0
fails=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
expect() { if eval "$1"; then ok; else bad "$2"; fi; }
check_finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
