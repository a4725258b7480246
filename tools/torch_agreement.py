#!/usr/bin/python3
"""How closely chapter 11 reproduces PyTorch, case by case (needs numpy: python3-numpy).

    tools/torch_agreement.py [BUILD]      BUILD: the build folder (default build/dev)

Replays every case of tests/fixtures/multihead_attention/ (saved from PyTorch 1.13 by
tools/make_fixtures.py) with `11_multihead_attention --load CASE --dump TMP` and prints,
for output, weights and weights_mean, the largest absolute difference from PyTorch run in
float32 (<name>.npy, the inputs as given) and in float64 (<name>64.npy, the same inputs
widened), and the largest |value|, which bounds what float32 itself can resolve. The tests
check the same numbers against 1e-5 (tests/test_ch11.cpp); this prints them.
"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "fixtures" / "multihead_attention"


def largest_difference(ours, theirs):
    both = np.isfinite(theirs)
    if not np.array_equal(both, np.isfinite(ours)):
        return float("inf")  # NaN where PyTorch has a number, or the other way round
    return float(np.max(np.abs(ours[both] - theirs[both]), initial=0.0))


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "dev")
    program = build / "bin" / "11_multihead_attention"
    if not program.exists():
        sys.exit(f"torch_agreement: error: no {program}; build first (./workbook run 11)")
    print(f"{'case':26} {'array':13} {'vs float32':>11} {'vs float64':>11} {'max |value|':>12}")
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([program, "--load", case, "--dump", out, "--no-color"],
                           check=True, stdout=subprocess.DEVNULL)
            for name in ("output", "weights", "weights_mean"):
                ours = np.load(pathlib.Path(out) / f"{name}.npy").astype(np.float64)
                t32 = np.load(case / f"{name}.npy").astype(np.float64)
                t64 = np.load(case / f"{name}64.npy")
                print(f"{case.name:26} {name:13} {largest_difference(ours, t32):11.2e} "
                      f"{largest_difference(ours, t64):11.2e} {np.nanmax(np.abs(t32)):12.4g}")


if __name__ == "__main__":
    main()
