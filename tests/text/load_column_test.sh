#!/usr/bin/env bash
# The manifest's load column is true (a `yes` chapter takes --load DIR, a `no` chapter refuses
# it), and the README names the chapters that refuse it.
# usage: load_column_test.sh SOURCE_DIR BIN_DIR
set -uo pipefail
src=$1 bin=$2 status=0 refused=()
empty=$(mktemp -d); trap 'rm -rf "$empty"' EXIT
while IFS=$'\t' read -r number slug _ _ _ load _; do
  err=$("$bin/$slug" --load "$empty" 2>&1 >/dev/null); rc=$?
  if [[ $load == yes ]]; then
    if [[ $rc != 2 || $err == *"unknown option"* || ( $err != *"$empty"/* && $err != *"with --load"* ) ]]; then
      echo "load_column: $slug is 'yes' but --load DIR did not ask for a file in DIR: $err"; status=1
    fi
  else
    refused+=("$number")
    if [[ $rc == 0 || $err != *--load* ]]; then
      echo "load_column: $slug is 'no' but did not refuse --load: $err"; status=1
    fi
  fi
done < <(grep -v -e '^#' -e '^$' "$src/chapters/manifest.tsv")
want="every chapter but $(printf '%s and ' "${refused[@]}" | sed 's/ and $//')"
tr '\n' ' ' <"$src/README.md" | tr -s ' ' | grep -q -F "$want" || { echo "load_column: README does not say \"$want\""; status=1; }
[[ $status == 0 ]] && echo "load_column: ok (refused by ${refused[*]})"
exit "$status"
