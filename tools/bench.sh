#!/usr/bin/env bash
# `./workbook bench`: the attention benchmark (chapter 18's methods at PyTorch's sizes).
#
#   tools/bench.sh                    table: every method at (L, E, H) = (128, 256, 8),
#                                     (512, 512, 8), (2048, 512, 8), (8192, 512, 8), one thread
#   tools/bench.sh --json             one JSON object per line instead
#   tools/bench.sh --threads N        N threads (batched and tiled on their own threads, blas on
#                                     OpenBLAS's; PyTorch too)
#   tools/bench.sh --vs-torch         ours (batched, tiled) and PyTorch's nn.MultiheadAttention side by
#                                     side in one run, size by size, with the ratio of the times:
#                                     the forward pass, then forward + backward (autograd)
#   tools/bench.sh --passes fwd       only the forward pass (fwd+bwd: only forward + backward)
#   tools/bench.sh --vs-torch --rounds 3   three rounds of (ours, PyTorch) per size: medians
#   tools/bench.sh --training         chapters 22-24's built-in training (task, model, batches,
#                                     steps, Adam) against the same loop in PyTorch
#                                     (tools/bench_training_torch.py), one thread, side by side
#   tools/bench.sh --training --json  one JSON object per line (ours, then PyTorch, per chapter)
#   tools/bench.sh --vs-torch --same-malloc   PyTorch with glibc's malloc set as in our timed
#                                     runs (freed blocks up to 32 MB kept and reused, not
#                                     handed back and faulted in again on every call)
#
# OpenBLAS's kernels: where Debian's OpenBLAS does not know the CPU it falls back to slow
# generic ones; the script then sets OPENBLAS_CORETYPE for both programs (see below).
# Any other option goes to the benchmark program (build/release/bin/bench --help lists them:
# --size L,E,H, --methods, --repeats, --no-check, --block-q, --block-k).
# Builds the `release` preset's bench target first (as many compile jobs as cores, `nproc`, or
# WORKBOOK_JOBS; the folder is
# build/release, or WORKBOOK_BENCH_BUILD). PyTorch is
# Debian's python3-torch for /usr/bin/python3 (tools/setup.sh --torch).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PY=/usr/bin/python3
JOBS=${WORKBOOK_JOBS:-$(nproc)}   # compile jobs: one per core unless WORKBOOK_JOBS says
BUILD=${WORKBOOK_BENCH_BUILD:-build/release}   # the release preset's build folder

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

json=0 vs_torch=0 threads=1 rounds=1 same_malloc=0 training=0 passes=fwd,fwd+bwd
pass=()      # for the benchmark program
sizes=()     # --size values, also for PyTorch
while [[ $# -gt 0 ]]; do
  case $1 in
    --json) json=1 ;;
    --vs-torch) vs_torch=1 ;;
    --training) training=1 ;;
    --same-malloc) same_malloc=1 ;;
    --threads) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--threads needs a positive whole number"
               threads=$2; shift ;;
    --rounds) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a positive whole number"
              rounds=$2; shift ;;
    --size) [[ $# -ge 2 ]] || die "--size needs L,E,H"; sizes+=("$2"); shift ;;
    --passes) [[ $# -ge 2 && $2 =~ ^(fwd|fwd\+bwd)(,(fwd|fwd\+bwd))?$ ]] || die "--passes needs fwd, fwd+bwd or fwd,fwd+bwd"
              passes=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) pass+=("$1") ;;
  esac
  shift
done
[[ ${#sizes[@]} -eq 0 ]] && sizes=("128,256,8" "512,512,8" "2048,512,8" "8192,512,8")

# ---- build -------------------------------------------------------------------------------------
tools/setup.sh
mkdir -p build
if [[ ! -f $BUILD/build.ninja ]]; then
  say "configuring (cmake --preset release -B $BUILD)"
  cmake --preset release -B "$BUILD" >build/configure-release-bench.log 2>&1 || {
    cat build/configure-release-bench.log >&2; die "cmake configure failed (see above)"; }
fi
say "building the benchmark (preset release, $JOBS jobs)"
cmake --build "$BUILD" --target bench bench_training -j "$JOBS" >build/build-release-bench.log 2>&1 || {
  grep -v '^\[' build/build-release-bench.log | head -n 60 >&2
  die "build failed (full log: build/build-release-bench.log)"; }
BENCH=$ROOT/$BUILD/bin/bench

# ---- OpenBLAS's kernels ------------------------------------------------------------------------
# Debian 12's OpenBLAS (0.3.21) picks its kernels by CPU model. A CPU newer than it (seen here:
# Intel's family 6 model 207) is unknown to it, and it falls back to its generic "Prescott"
# kernels: sgemm runs 3-4x slower, for us and for PyTorch (which uses the same OpenBLAS). Unless
# OPENBLAS_CORETYPE is already set, name the newest core it knows that this CPU can run, for
# both programs alike, and say so.
if [[ -z ${OPENBLAS_CORETYPE:-} ]]; then
  core=$(OPENBLAS_VERBOSE=2 "$BENCH" --help 2>&1 | sed -n 's/^Core: //p' | head -n1)
  if [[ $core == Prescott ]]; then
    flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
    has() { for f in "$@"; do [[ $flags == *" $f "* ]] || return 1; done; }
    better=""
    if has avx512f avx512bw avx512dq avx512vl avx512cd; then better=SkylakeX
    elif has avx2 fma; then better=Haswell
    fi
    if [[ -n $better ]]; then
      export OPENBLAS_CORETYPE=$better
      say "OpenBLAS does not know this CPU and would use its generic Prescott kernels;"
      say "using OPENBLAS_CORETYPE=$better (this CPU has its instructions) for ours and PyTorch alike"
    fi
  fi
fi

# ---- training: chapters 22-24, ours and PyTorch side by side -----------------------------------
if [[ $training == 1 ]]; then
  if ! "$PY" -c 'import torch' 2>/dev/null; then
    say "PyTorch is not installed for $PY, so there is nothing to compare with."
    say "Install Debian's python3-torch with:  tools/setup.sh --torch"
    exit 3
  fi
  export OPENBLAS_NUM_THREADS=1   # one thread for both: OpenBLAS, and torch.set_num_threads(1)
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  for ((r = 1; r <= rounds; r++)); do
    for c in 22 23 24; do
      [[ $json == 0 ]] && say "round $r/$rounds, chapter $c: ours, then PyTorch"
      "$ROOT/$BUILD/bin/bench_training" --chapter "$c" --out "$work/ch$c" | tee -a "$work/lines" |
        { [[ $json == 1 ]] && cat || cat >/dev/null; }
      "$PY" tools/bench_training_torch.py "$work/ch$c" --threads 1 | sed "s/^{/{\"chapter\": $c, /" | tee -a "$work/lines" |
        { [[ $json == 1 ]] && cat || cat >/dev/null; }
    done
  done
  [[ $json == 1 ]] && exit 0
  "$PY" - "$work/lines" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("Chapters 22-24's built-in training: the workbook's loop (forward, backward, Adam; C++, float64)")
print("against the same loop in PyTorch %s (float64, torch.optim.Adam; AdamW for chapter 24), one thread, the same initial" %
      next(r["torch"] for r in rows if r["name"] == "torch"))
print("weights and batches; medians over %d round(s). ratio = PyTorch's time / ours.\n" %
      sum(1 for r in rows if r["name"] == "ours" and r["chapter"] == 22))
head = "%7s %6s %5s %3s %2s %2s %6s | %9s %9s | %9s %9s | %6s | %s" % (
    "chapter", "steps", "batch", "L", "E", "H", "layers", "ours ms", "ms/step", "torch ms", "ms/step", "ratio", "last loss, ours / PyTorch")
print(head)
print("-" * len(head))
for c in (22, 23, 24):
    o = [r for r in rows if r["chapter"] == c and r["name"] == "ours"]
    t = [r for r in rows if r["chapter"] == c and r["name"] == "torch"]
    om, tm = statistics.median(r["ms"] for r in o), statistics.median(r["ms"] for r in t)
    print("%7d %6d %5d %3d %2d %2d %6d | %9.1f %9.3f | %9.1f %9.3f | %5.1fx | %.6g / %.6g" % (
        c, o[0]["steps"], o[0]["batch"], o[0]["L"], o[0]["E"], o[0]["H"], o[0]["layers"],
        om, om / o[0]["steps"], tm, tm / t[0]["steps"], tm / om, o[-1]["last_loss"], t[-1]["last_loss"]))
PY
  exit 0
fi

size_args=()
for s in "${sizes[@]}"; do size_args+=(--size "$s"); done

if [[ $vs_torch == 0 ]]; then
  args=("${size_args[@]}" --threads "$threads" --passes "$passes" "${pass[@]}")
  [[ $json == 1 ]] && args+=(--json)
  exec "$BENCH" "${args[@]}"
fi

# ---- ours and PyTorch, side by side ------------------------------------------------------------
if ! "$PY" -c 'import torch' 2>/dev/null; then
  say "PyTorch is not installed for $PY, so there is nothing to compare with."
  say "Install Debian's python3-torch with:  tools/setup.sh --torch"
  exit 3
fi
methods=(--methods "batched,tiled")
for a in "${pass[@]}"; do [[ $a == --methods ]] && methods=(); done
torch_env=(env)
# The settings bench.cpp's timed runs use (malloc_for_measuring(false)).
[[ $same_malloc == 1 ]] && torch_env=(env MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864)
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
say "ours and PyTorch ${threads} thread(s), $rounds round(s); each size: ours, then PyTorch"
for ((r = 1; r <= rounds; r++)); do
  for s in "${sizes[@]}"; do
    check=()
    (( r > 1 )) && check=(--no-check)   # the float64 reference once is enough
    [[ $json == 0 ]] && say "round $r/$rounds, (L, E, H) = ($s): ours"
    "$BENCH" --size "$s" --threads "$threads" --passes "$passes" --json "${methods[@]}" "${check[@]}" "${pass[@]}" | tee -a "$lines" |
      { [[ $json == 1 ]] && cat || cat >/dev/null; }
    [[ $json == 0 ]] && say "round $r/$rounds, (L, E, H) = ($s): PyTorch"
    "${torch_env[@]}" "$PY" tools/bench_torch.py --size "$s" --threads "$threads" --passes "$passes" | tee -a "$lines" |
      { [[ $json == 1 ]] && cat || cat >/dev/null; }
  done
done
[[ $json == 1 ]] && exit 0

"$PY" - "$lines" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault((r.get("pass", "fwd") == "fwd+bwd", r["L"], r["E"], r["H"], r["threads"]), {}).setdefault(r["name"], []).append(r)
def med(rs, k):
    v = [r[k] for r in rs if r.get(k) is not None]
    return statistics.median(v) if v else float("nan")
print("Ours against PyTorch %s, float32, medians over %d round(s) of (ours, PyTorch)." % (
    next((r["torch"] for r in rows if "torch" in r), "?"), max(len(v) for g in by.values() for v in g.values())))
print("ratio = our time / PyTorch's (below 1: ours is faster). pass fwd: torch = nn.MultiheadAttention(x, x,")
print("x, need_weights=False) under no_grad; fast path: module.eval() under inference_mode. pass fwd+bwd:")
print("ours fast_mha_backward, torch = the same call with autograd, then out.backward(dO) (no fast path);")
print("GFLOP/s and % sgemm count the backward as 2x the forward's flops. cpu: the same ratio in CPU time")
print("(every thread's, per call): on a shared machine it counts only the time each program ran.")
same = any(r.get("malloc_trim_threshold") for r in rows if "torch" in r)
print("PyTorch's malloc: %s.\n" % ("as in our timed runs (MALLOC_MMAP_THRESHOLD_=32 MB, MALLOC_TRIM_THRESHOLD_=64 MB)"
      if same else "glibc's defaults, as a user runs it (--same-malloc: as in our timed runs)"))
head = "%-7s %6s %4s %2s %3s | %-8s %9s %8s %6s %5s %8s %8s | %9s %6s %5s %8s | %9s %6s %5s %8s | %9s" % (
    "pass", "L", "E", "H", "thr", "ours", "ms", "GFLOP/s", "sgemm", "cpu", "peak MB", "error",
    "torch ms", "ratio", "cpu", "peak MB", "fast ms", "ratio", "cpu", "peak MB", "weights")
print(head)
print("-" * len(head))
for key in sorted(by):
    g = by[key]
    ours = [n for n in g if n not in ("torch", "torch_fastpath")]
    if not ours:
        continue
    for best in sorted(ours, key=lambda n: ["loops", "xtensor", "blas", "batched", "tiled"].index(n)):
      o = g[best]
      ms = med(o, "ms")
      errs = [r["rel_err"] for r in o if r.get("rel_err") is not None]
      err = "%.1e" % max(errs) if errs else "-"
      cells = []
      for t in ("torch", "torch_fastpath"):
          if t in g:
              tms = med(g[t], "ms")
              cpu = med(o, "cpu_ms") / med(g[t], "cpu_ms")
              cells.append("%9.2f %6.2f %5.2f %8.1f" % (tms, ms / tms, cpu, med(g[t], "peak_mb")))
          else:
              cells.append("%9s %6s %5s %8s" % ("-", "-", "-", "-"))
      pct = 100.0 * med(o, "gflops") / med(o, "sgemm_gflops")
      cpu_pct = med(o, "cpu_sgemm_pct")
      print("%-7s %6d %4d %2d %3d | %-8s %9.2f %8.1f %5.0f%% %4.0f%% %8.1f %8s | %s | %s | %9.1f" % (
          "fwd+bwd" if key[0] else "fwd", key[1], key[2], key[3], key[4], best, ms, med(o, "gflops"), pct, cpu_pct, med(o, "peak_mb"), err,
          cells[0], cells[1], med(o, "weights_mb")))
print("\nsgemm: our GFLOP/s against OpenBLAS sgemm 1024 x 1024 measured in the same run (the better of")
print("a run before and one after each size); cpu: the same in CPU time. peak MB:")
print("resident memory added during a call (both measured the same way). weights: H x L x L floats.")
PY
