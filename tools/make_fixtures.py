#!/usr/bin/python3
"""Regenerates tests/fixtures/ from PyTorch (Debian's python3-torch).

The tests read these .npy files and never need PyTorch. Run after changing a case:
    tools/setup.sh --torch && tools/make_fixtures.py
Every case is a folder: inputs named as PyTorch names them (query.npy, key.npy,
value.npy, ...) and PyTorch's results named as the chapters dump them.
"""
import contextlib
import io
import math
import pathlib
import shutil

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures"
SEED = ROOT.parent / "shared" / "seed" / "000_0ddbf7cae03946a5.txt"


def save(folder, **arrays):
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        a = a.detach().numpy() if isinstance(a, torch.Tensor) else a
        np.save(folder / f"{name}.npy", a)


def seed_toy_program():
    """The seed's toy program, run as written; its stdout is what chapter 06 must print."""
    tokens = torch.tensor([[1., 0., 1., 0.],
                           [0., 2., 0., 2.],
                           [1., 1., 1., 1.]])
    Q = K = V = tokens
    d_k = Q.shape[-1]
    scores = torch.matmul(Q, K.T) / torch.sqrt(torch.tensor(d_k, dtype=torch.float32))
    weights = F.softmax(scores, dim=1)
    output = torch.matmul(weights, V)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        print("Attention Weights:\n", weights)
        print("Output Vectors:\n", output)
    (OUT / "seed_stdout.txt").write_text(stdout.getvalue())
    save(OUT / "part1" / "seed", query=tokens, scores=torch.matmul(Q, K.T),
         scaled_scores=scores, weights=weights, output=output)


def part1_case(name, Q, K, V):
    """Scaled dot-product attention step by step, in float64 so tests can ask for 1e-12."""
    q, k, v = (torch.from_numpy(x).double() for x in (Q, K, V))
    scores = q @ k.T
    scaled = scores / math.sqrt(q.shape[-1])
    weights = torch.softmax(scaled, dim=-1)
    output = weights @ v
    ref = F.scaled_dot_product_attention if hasattr(F, "scaled_dot_product_attention") else None
    if ref is not None:
        assert torch.allclose(ref(q, k, v), output)
    save(OUT / "part1" / name, query=Q, key=K, value=V, scores=scores,
         scaled_scores=scaled, weights=weights, output=output)


def part1():
    rng = np.random.default_rng(20261128)
    # cross-attention: L = 4 queries, S = 6 keys, d_k = 5, d_v = 3, float64 inputs
    part1_case("cross", rng.normal(size=(4, 5)), rng.normal(size=(6, 5)), rng.normal(size=(6, 3)))
    # large values (scores in the thousands: a naive softmax overflows), float32 inputs
    big = (rng.normal(size=(3, 8)) * 30).astype(np.float32)
    part1_case("large", big, big, big)
    # one query, one key, one dimension
    one = np.array([[2.5]], dtype=np.float32)
    part1_case("one", one, one, np.array([[-1.0]], dtype=np.float32))


def main():
    if OUT.exists():
        for sub in ("part1",):
            shutil.rmtree(OUT / sub, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    seed_toy_program()
    part1()
    print(f"fixtures written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
