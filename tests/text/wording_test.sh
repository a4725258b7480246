#!/usr/bin/env bash
# Wording rules the learner's read-through asked for, checked over the repository's text:
#  1. never "the seed" (undefined jargon; random-number seeds such as Random(7), --seed and
#     "a fixed random seed" are fine): the examples are "the toy example" and "the 5-token module";
#  2. no file cites a file outside the repository (a path through the repository's parent).
# usage: wording_test.sh ROOT
set -euo pipefail
cd "$1"
status=0
hits=$(git ls-files chapters docs README.md tests tools | grep -v -E '^tests/(fixtures|text)/' |
  xargs grep -n -i -w seed -- 2>/dev/null |
  grep -v -i -E 'random|rng|--seed|seed [0-9]|manual_seed|args\.seed' || true)
if [[ -n $hits ]]; then
  printf 'wording: "seed" used for an example (say "the toy example" or "the 5-token module"):\n%s\n' "$hits"
  status=1
fi
hits=$(git ls-files | grep -v -E '^tests/(fixtures|text)/' |
  xargs grep -n -I -E 'ROOT\.parent|\.\./shared|/work/shared' -- 2>/dev/null || true)
if [[ -n $hits ]]; then
  printf 'wording: a file cites a path outside the repository:\n%s\n' "$hits"
  status=1
fi
[[ $status == 0 ]] && echo "wording: ok"
exit "$status"
