#!/usr/bin/env bash
# `./workbook record N` keeps the golden output when the chapter fails, and replaces it when
# the chapter exits 0. Runs the real workbook script in a scratch folder, with a stand-in
# chapter program and a stand-in cmake (nothing is built).
# usage: record_test.sh ROOT
set -euo pipefail
root=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/chapters/01_tokens" "$scratch/build/dev/bin" "$scratch/fakebin"
cp "$root/workbook" "$scratch/"
printf '01\t01_tokens\tWords\t-\t-\tyes\tsummary\n' >"$scratch/chapters/manifest.tsv"
touch "$scratch/build/dev/build.ninja"
printf '#!/bin/sh\nexit 0\n' >"$scratch/fakebin/cmake"
chmod +x "$scratch/fakebin/cmake"
echo "the golden output" >"$scratch/chapters/01_tokens/expected.txt"
program=$scratch/build/dev/bin/01_tokens
fail() { echo "record_test: FAIL: $*"; exit 1; }

# 1. the chapter prints half its output, then crashes (status 3)
printf '#!/bin/sh\necho half\nexit 3\n' >"$program"; chmod +x "$program"
status=0
(cd "$scratch" && PATH=$scratch/fakebin:$PATH ./workbook record 1) 2>"$scratch/err" || status=$?
[[ $status != 0 ]] || fail "record of a failing chapter exited 0"
grep -q 'exited with status 3' "$scratch/err" || fail "no message naming the status: $(cat "$scratch/err")"
[[ $(cat "$scratch/chapters/01_tokens/expected.txt") == "the golden output" ]] ||
  fail "the golden output was changed by a failing chapter"
[[ -z $(find "$scratch/chapters/01_tokens" -name 'expected.txt.*') ]] || fail "a temporary file was left"

# 2. the chapter succeeds: its output replaces the golden file
printf '#!/bin/sh\necho new output\n' >"$program"
(cd "$scratch" && PATH=$scratch/fakebin:$PATH ./workbook record 1) 2>"$scratch/err" ||
  fail "record of a passing chapter failed: $(cat "$scratch/err")"
[[ $(cat "$scratch/chapters/01_tokens/expected.txt") == "new output" ]] || fail "not re-recorded"
echo "record_test: ok"
