#!/usr/bin/env bash
# How long the learner waits: touches an exercise (as saving it does) and times
# `./workbook check NN`, RUNS times (10) on a warm build, and prints the median per exercise.
# The target is at most TARGET seconds (3); exits 1 if a median is over it.
# Usage: tools/time_check.sh [NN ...]      (default: every exercise)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${RUNS:-10}
target=${TARGET:-3}

numbers=("$@")
if [[ ${#numbers[@]} -eq 0 ]]; then
  for f in tests/exercises/stubs/ex[0-9][0-9].cpp; do n=${f##*/ex}; numbers+=("${n%.cpp}"); done
fi

now() { date +%s.%N; }
over=0
printf '%-9s %8s %8s %8s   (%s runs, warm build, WORKBOOK_JOBS=%s)\n' exercise median min max \
  "$runs" "${WORKBOOK_JOBS:-2}"
for arg in "${numbers[@]}"; do
  n=$(printf '%02d' "$((10#$arg))")
  [[ -f tests/exercises/stubs/ex$n.cpp ]] || { echo "time_check: no exercise $n" >&2; exit 2; }
  ./workbook check "$n" >/dev/null 2>&1 || true   # warm: build everything it needs once
  file=$(ls chapters/"$n"_*/exercise.cpp 2>/dev/null | head -n1)   # (made by the check)
  times=()
  for ((i = 0; i < runs; i++)); do
    touch "$file"
    start=$(now)
    ./workbook check "$n" >/dev/null 2>&1 || true   # the stub fails its checks: that is fine
    times+=("$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')")
  done
  read -r median min max < <(printf '%s\n' "${times[@]}" | sort -n |
    awk '{ t[NR] = $1 } END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2;
                              printf "%.2f %.2f %.2f\n", m, t[1], t[NR] }')
  verdict=ok
  if awk -v m="$median" -v t="$target" 'BEGIN { exit !(m > t) }'; then verdict="OVER the ${target} s target"; over=1; fi
  printf '%-9s %7ss %7ss %7ss   %s\n' "$n" "$median" "$min" "$max" "$verdict"
done
exit "$over"
