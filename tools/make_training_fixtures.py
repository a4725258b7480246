#!/usr/bin/python3
"""Regenerates chapter 22's training fixture from PyTorch (Debian's python3-torch).

    tools/setup.sh --torch && tools/make_training_fixtures.py

Writes tests/fixtures/training_adam20/: the model of tools/training_torch.py in float64,
sized as chapter 22's (vocab 8, 8 classes, L = 8, E = 16, H = 2, one layer), with PyTorch's
own initial weights and 20 batches of 16 sequences of chapter 22's task (each position names
the token before it; the first has no target, -100), trained by torch.optim.Adam(lr=1e-2)
for 20 steps:

    initial/<state_dict name>.npy   the weights before step 1
    tokens.npy  (20, 16, 8) int64   the batch of every step
    targets.npy (20, 16, 8) int64   its targets, -100 where there is none
    losses.npy  (20,)               every step's loss, before its update
    final/<state_dict name>.npy     the weights after step 20

The test (tests/test_ch22.cpp) trains the workbook's model from initial/ on the same batches
and compares; it never needs PyTorch.
"""
import pathlib
import shutil

import numpy as np
import torch

from training_torch import Model, loss_of

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "training_adam20"

STEPS, B, L, V = 20, 16, 8, 8


def main():
    torch.manual_seed(22)
    torch.set_default_dtype(torch.float64)
    model = Model(vocab=V, classes=V, L=L, E=16, H=2, layers=1)
    tokens = torch.randint(0, V, (STEPS, B, L))
    targets = torch.full((STEPS, B, L), -100, dtype=torch.int64)
    targets[:, :, 1:] = tokens[:, :, :-1]

    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "initial").mkdir(parents=True)
    (OUT / "final").mkdir()
    for name, p in model.state_dict().items():
        np.save(OUT / "initial" / f"{name}.npy", p.numpy())
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for step in range(STEPS):
        loss = loss_of(model, tokens[step], targets[step])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    for name, p in model.state_dict().items():
        np.save(OUT / "final" / f"{name}.npy", p.numpy())
    np.save(OUT / "tokens.npy", tokens.numpy())
    np.save(OUT / "targets.npy", targets.numpy())
    np.save(OUT / "losses.npy", np.array(losses))
    print(f"wrote {OUT.relative_to(ROOT)}: losses {losses[0]:.6f} .. {losses[-1]:.6f}")


if __name__ == "__main__":
    main()
