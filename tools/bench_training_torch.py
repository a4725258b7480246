#!/usr/bin/python3
"""The PyTorch side of `./workbook bench --training`: the same training loop as the workbook's.

    tools/bench_training_torch.py DIR [--threads 1]

DIR is what build/release/bin/bench_training --out DIR wrote: the initial weights
(initial/<state_dict name>.npy), every step's batch (tokens.npy, targets.npy: (steps, B, L))
and config.txt (vocab classes L E H layers pad lr weight_decay). Builds tools/training_torch.py's
model in float64 from those weights, then times, step after step, what the workbook times:
forward, cross-entropy, backward, the optimiser's step (torch.optim.Adam; torch.optim.AdamW
where the chapter's weight decay is not 0). Prints one JSON line.
"""
import argparse
import json
import pathlib
import time

import numpy as np
import torch

from training_torch import Model, loss_of


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(torch.float64)
    d = pathlib.Path(args.dir)
    vocab, classes, L, E, H, layers, pad, lr, weight_decay = (d / "config.txt").read_text().split()
    model = Model(int(vocab), int(classes), int(L), int(E), int(H), int(layers), int(pad))
    model.load_state_dict({p.name[:-4]: torch.from_numpy(np.load(p)) for p in (d / "initial").glob("*.npy")})
    tokens = torch.from_numpy(np.load(d / "tokens.npy")).long()
    targets = torch.from_numpy(np.load(d / "targets.npy")).long()
    if float(weight_decay) == 0.0:
        opt = torch.optim.Adam(model.parameters(), lr=float(lr))
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=float(lr), weight_decay=float(weight_decay))
    steps = tokens.shape[0]
    start = time.perf_counter()
    for s in range(steps):
        loss = loss_of(model, tokens[s], targets[s])
        opt.zero_grad()
        loss.backward()
        opt.step()
    ms = (time.perf_counter() - start) * 1e3
    print(json.dumps({"name": "torch", "torch": torch.__version__, "threads": args.threads, "steps": steps,
                      "ms": round(ms, 3), "ms_per_step": round(ms / steps, 4), "last_loss": loss.item()}))


if __name__ == "__main__":
    main()
