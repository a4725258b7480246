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
# The refused chapters as a reader writes them: runs of consecutive numbers as "22–28", the
# last two joined by "and" ("every chapter but 12, 18 and 22–28").
runs=() first='' prev=''
for n in "${refused[@]}" ''; do
  if [[ -n $prev && ( -z $n || $((10#$n)) -ne $((10#$prev + 1)) ) ]]; then
    if [[ $first == "$prev" ]]; then runs+=("$first"); else runs+=("$first–$prev"); fi
    first=''
  fi
  [[ -z $first ]] && first=$n
  prev=$n
done
if (( ${#runs[@]} == 1 )); then list=${runs[0]}
else list="$(IFS=,; printf '%s' "${runs[*]:0:${#runs[@]}-1}" | sed 's/,/, /g') and ${runs[-1]}"; fi
want="every chapter but $list"
tr '\n' ' ' <"$src/README.md" | tr -s ' ' | grep -q -F "$want" || { echo "load_column: README does not say \"$want\""; status=1; }
[[ $status == 0 ]] && echo "load_column: ok (refused by ${refused[*]})"
exit "$status"
