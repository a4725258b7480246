#!/usr/bin/python3
"""PyTorch's nn.MultiheadAttention forward, and forward + backward, at the benchmark's sizes, as JSON lines.

Prints, for every size, the same JSON fields as the workbook's benchmark (tools/bench.sh,
`./workbook bench --json`): name, pass, L, E, H, threads, ms, cpu_ms (the process's CPU
time per call, all threads: time.process_time), gflops, peak_mb, plus weights_mb and
repeats. Three rows per size:

  torch           pass "fwd": module(x, x, x, need_weights=False) under torch.no_grad(), the
                  module as built (training mode, dropout 0): F.multi_head_attention_forward,
                  which holds every head's (L, L) weights.
  torch_fastpath  pass "fwd": the same after module.eval() under torch.inference_mode():
                  PyTorch 1.13's fused "fast path" (torch._native_multi_head_attention).
  torch           pass "fwd+bwd": with autograd, x.requires_grad: out = module(x, x, x,
                  need_weights=False)[0]; out.backward(dO) for a fixed random dO, every
                  parameter's .grad and x.grad set to None first (what the workbook's
                  fast_mha_backward computes). gflops counts the backward as twice the
                  forward's flops, as the workbook does.

Self-attention on one sequence x = torch.rand(1, L, E), batch_first=True, float32. Threads:
torch.set_num_threads(N) and OPENBLAS_NUM_THREADS=N (PyTorch's products go to OpenBLAS here,
which otherwise starts one thread per core whatever torch.set_num_threads says).
peak_mb: resident memory added during the warm-up call (VmHWM after clear_refs, Linux).
malloc_trim_threshold: MALLOC_TRIM_THRESHOLD_ if set (tools/bench.sh --same-malloc sets it,
with MALLOC_MMAP_THRESHOLD_, to what the workbook's benchmark uses in its timed runs).

    tools/bench_torch.py --size 512,512,8 --threads 1
    tools/bench.sh --vs-torch      # ours and these side by side, with the ratios

Needs Debian's python3-torch (tools/setup.sh --torch); exits with status 3 when missing.
"""
import argparse
import json
import os
import statistics
import sys
import time

DEFAULT_SIZES = ["128,256,8", "512,512,8", "2048,512,8", "8192,512,8"]


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", action="append", metavar="L,E,H",
                    help="one size, repeatable (default: %s)" % " ".join(DEFAULT_SIZES))
    ap.add_argument("--threads", type=int, default=1, help="threads (default 1)")
    ap.add_argument("--repeats", type=int, default=0,
                    help="timed runs after one warm-up (default: about a second of runs, 5 to 51; 3 from L = 8192)")
    ap.add_argument("--modes", default="torch,torch_fastpath",
                    help="comma-separated: torch, torch_fastpath (default both); fwd+bwd is torch's only")
    ap.add_argument("--passes", default="fwd,fwd+bwd",
                    help="comma-separated: fwd, fwd+bwd (default both)")
    ap.add_argument("--json", action="store_true", help="accepted for symmetry: the output is always JSON lines")
    args = ap.parse_args(argv)
    sizes = []
    for s in args.size or DEFAULT_SIZES:
        try:
            L, E, H = (int(v) for v in s.split(","))
        except ValueError:
            ap.error("--size needs L,E,H, not %r" % s)
        if min(L, E, H) <= 0 or E % H:
            ap.error("--size %s: L, E, H must be positive and H must divide E" % s)
        sizes.append((L, E, H))
    if args.threads < 1:
        ap.error("--threads must be at least 1")
    modes = args.modes.split(",")
    for m in modes:
        if m not in ("torch", "torch_fastpath"):
            ap.error("unknown mode %r (torch, torch_fastpath)" % m)
    passes = args.passes.split(",")
    for p in passes:
        if p not in ("fwd", "fwd+bwd"):
            ap.error("unknown pass %r (fwd, fwd+bwd)" % p)
    return args, sizes, modes, passes


def status_bytes(field):
    """A field of /proc/self/status ("VmRSS", "VmHWM") in bytes, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return 1024 * int(line.split()[1])
    except OSError:
        pass
    return None


def glibc_malloc(measuring):
    """As the workbook's benchmark (bench.cpp, malloc_for_measuring). Before a measured call:
    hand freed memory back (malloc_trim) and, when MALLOC_TRIM_THRESHOLD_ is set (bench.sh
    --same-malloc), map every block above 64 KB on its own; after it, back to the settings
    in the environment. Without those variables glibc's own adaptive settings are left alone."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    keep = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    if keep:
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        libc.mallopt(M_MMAP_THRESHOLD, 64 * 1024 if measuring else int(os.environ.get("MALLOC_MMAP_THRESHOLD_", 33554432)))
        libc.mallopt(M_TRIM_THRESHOLD, 128 * 1024 if measuring else int(keep))
    if measuring:
        libc.malloc_trim(0)


def peak_extra_rss(f):
    """Runs f once; the most resident memory it added, in bytes (None if unknown)."""
    glibc_malloc(True)
    try:
        with open("/proc/self/clear_refs", "w") as out:
            out.write("5")
    except OSError:
        f()
        glibc_malloc(False)
        return None
    before = status_bytes("VmRSS")
    f()
    peak = status_bytes("VmHWM")
    glibc_malloc(False)
    return None if before is None or peak is None else max(0, peak - before)


def default_repeats(L, warmup_ms):
    """As the workbook's benchmark: at least 5 (3 from L = 8192), up to ~1 s of runs, at most 51."""
    least = 3 if L >= 8192 else 5
    fit = int(1000.0 / warmup_ms) if warmup_ms > 0 else 51
    return max(least, min(51, fit))


def mha_flops(L, S, E):
    """The products only, as the workbook counts them (attn::mha_flops)."""
    return 2.0 * (L + 2 * S) * E * E + 2.0 * L * E * E + 4.0 * L * S * E


def main(argv):
    args, sizes, modes, passes = parse_args(argv)
    # Before torch loads OpenBLAS: its thread count is read once, at load time.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    try:
        import torch
    except ImportError:
        print("bench_torch: PyTorch is not installed for /usr/bin/python3 "
              "(Debian's python3-torch: tools/setup.sh --torch installs it)", file=sys.stderr)
        return 3
    torch.set_num_threads(args.threads)

    runs = [(m, "fwd") for m in modes if "fwd" in passes]
    if "fwd+bwd" in passes and "torch" in modes:
        runs.append(("torch", "fwd+bwd"))
    for L, E, H in sizes:
        for mode, pass_ in runs:
            torch.manual_seed(18)
            module = torch.nn.MultiheadAttention(E, H, batch_first=True)
            x = torch.rand(1, L, E)
            dO = torch.rand(1, L, E) - 0.5
            if pass_ == "fwd+bwd":
                x.requires_grad_(True)
                context = torch.enable_grad
                def run():
                    for p in module.parameters():
                        p.grad = None
                    x.grad = None
                    out = module(x, x, x, need_weights=False)[0]
                    out.backward(dO)
            else:
                if mode == "torch_fastpath":
                    module.eval()
                    context = torch.inference_mode
                else:
                    context = torch.no_grad
                def run():
                    module(x, x, x, need_weights=False)
            with context():
                t0 = time.perf_counter()
                peak = peak_extra_rss(run)  # the warm-up call
                warmup_ms = (time.perf_counter() - t0) * 1e3
                repeats = args.repeats or default_repeats(L, warmup_ms)
                times, cpu = [], []
                for _ in range(repeats):
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    run()
                    times.append((time.perf_counter() - t0) * 1e3)
                    cpu.append((time.process_time() - c0) * 1e3)
            ms = statistics.median(times)
            flops = mha_flops(L, L, E) * (3 if pass_ == "fwd+bwd" else 1)
            row = {
                "name": mode, "pass": pass_, "L": L, "E": E, "H": H, "threads": args.threads,
                "ms": round(ms, 3),
                "cpu_ms": round(statistics.median(cpu), 3),
                "gflops": round(flops / (ms * 1e6), 2),
                "peak_mb": None if peak is None else round(peak / 1e6, 1),
                "weights_mb": round(H * L * L * 4 / 1e6, 1),
                "repeats": repeats,
                "torch": torch.__version__,
                "malloc_trim_threshold": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
            }
            print(json.dumps(row), flush=True)
            del module, x, dO
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
