#!/usr/bin/env bash
# The tree is formatted by its .clang-format: every tracked C source and header passes
# `clang-format --dry-run --Werror` (clang-format 14, Debian 12's; skipped, status 77, without it).
# After editing, format with: clang-format-14 -i FILE...
set -u
src=${CONCORD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cf=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$cf" ] || { echo "SKIP: clang-format not installed"; exit 77; }
cd "$src" || exit 2
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find util train io comm ranks tests bench -name '*.[ch]')
bad=0
for f in $files; do
    "$cf" --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=$((bad + 1)); }
done
echo "$(wc -w <<<"$files") files, $bad not formatted (clang-format-14 -i FILE to fix)"
[ "$bad" -eq 0 ]
