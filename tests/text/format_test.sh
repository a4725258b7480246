#!/usr/bin/env bash
# Every C++ file of the workbook keeps .clang-format (the learners' own exercise.cpp files
# aside: they are theirs). First the check itself is checked: a badly formatted line fails it.
# usage: format_test.sh SOURCE_DIR        (skipped, status 77, where clang-format is missing)
set -uo pipefail
src=$1
command -v clang-format >/dev/null || { echo "clang-format is not installed: skipped"; exit 77; }
cd "$src" || exit 1
bad=$(mktemp --suffix=.cpp "${TMPDIR:-/tmp}/format_test.XXXXXX"); trap 'rm -f "$bad"' EXIT
printf 'int  f( int x ){return x;}\n' >"$bad"
if clang-format --style=file:.clang-format --dry-run --Werror "$bad" 2>/dev/null; then
  echo "format_test: clang-format passed a badly formatted file: the check cannot fail"; exit 1
fi
mapfile -t files < <(find chapters common tests tools -name '*.[ch]pp' ! -name exercise.cpp | sort)
problems=$(clang-format --dry-run --Werror "${files[@]}" 2>&1 | grep -E '^[^ ].*: (warning|error)')
if [[ -z $problems ]]; then
  echo "format_test: ${#files[@]} files keep .clang-format"; exit 0
fi
head -n 20 <<<"$problems"
echo "format_test: these files do not keep .clang-format (clang-format -i FILE):"
cut -d: -f1 <<<"$problems" | sort -u
exit 1
