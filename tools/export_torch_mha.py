#!/usr/bin/python3
"""Exports a PyTorch nn.MultiheadAttention call as .npy files the workbook's chapters --load.

The folder gets the module's state_dict (in_proj_weight.npy, in_proj_bias.npy,
out_proj.weight.npy, out_proj.bias.npy; no bias files for bias=False), the inputs
(query.npy, and key.npy / value.npy when they are not the query), attn_mask.npy and
key_padding_mask.npy when used (bool: True = not allowed; float: added), num_heads.txt,
and PyTorch's own results to compare with a chapter's --dump:
reference_output.npy, reference_weights.npy (per head) and reference_weights_mean.npy.
Everything is float32, as PyTorch computes it; inputs are batch-first, (B, L, E), or
unbatched, (L, E).

From the shell (Debian's python3-torch: tools/setup.sh --torch):

    tools/export_torch_mha.py out/mha --embed-dim 64 --heads 8 --seq-len 5 --seed 0
    tools/export_torch_mha.py out/causal --batch 2 --causal bool --padding
    ./workbook run 11 --load out/mha --dump out/mha/ours
    # then compare out/mha/ours/output.npy with out/mha/reference_output.npy

From Python, with YOUR OWN module (any nn.MultiheadAttention with kdim = vdim = embed_dim):

    import sys, torch
    sys.path.insert(0, "tools")
    from export_torch_mha import export

    mha = torch.nn.MultiheadAttention(64, 8, batch_first=True)
    mha.load_state_dict(torch.load("my_weights.pt"))   # or your trained model's .attn
    x = torch.rand(2, 5, 64)                            # (B, L, E)
    export(mha, x, out_dir="out/mine")                  # self-attention
    export(mha, x, key=memory, value=memory,            # cross-attention, with masks
           attn_mask=torch.ones(5, 7, dtype=torch.bool).triu(1),
           key_padding_mask=pad, out_dir="out/mine_cross")

A module built with batch_first=False takes batched inputs as (L, B, E): export() reads
them that way and writes them batch-first.
"""
import argparse
import math
import pathlib
import sys

import numpy as np
import torch
import torch.nn as nn

STATE_FILES = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def _np(t):
    t = t.detach().cpu()
    return t.numpy() if t.dtype == torch.bool else t.float().numpy()


def export(module, query, key=None, value=None, attn_mask=None, key_padding_mask=None, *,
           out_dir):
    """Writes module's state_dict, the inputs and PyTorch's results into out_dir.

    query (L, E) or batched (B, L, E) (or (L, B, E) if module.batch_first is False); key
    and value default to query (key) as in PyTorch; attn_mask (L, S) or (B·H, L, S);
    key_padding_mask (B, S) or (S,). Returns the folder as a pathlib.Path.
    """
    if not isinstance(module, nn.MultiheadAttention):
        raise TypeError(f"expected an nn.MultiheadAttention, got {type(module).__name__}")
    if not module._qkv_same_embed_dim or module.bias_k is not None or module.add_zero_attn:
        raise ValueError("only kdim = vdim = embed_dim, no add_bias_kv and no add_zero_attn "
                         "are supported (the workbook follows the packed in_proj_weight)")
    key = query if key is None else key
    value = key if value is None else value
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    # 1) PyTorch's results, in eval mode (no dropout), per head and averaged
    was_training = module.training
    module.eval()
    with torch.no_grad():
        kw = dict(attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=True)
        output, weights = module(query, key, value, average_attn_weights=False, **kw)
        _, weights_mean = module(query, key, value, average_attn_weights=True, **kw)
    module.train(was_training)

    # 2) batch-first, as the workbook reads it
    if query.dim() == 3 and not module.batch_first:
        query, key, value, output = (t.transpose(0, 1) for t in (query, key, value, output))

    # 3) the files
    state = module.state_dict()
    for name in STATE_FILES:
        path = out / f"{name}.npy"
        if state.get(name) is not None:
            np.save(path, _np(state[name]))
        elif path.exists():
            path.unlink()  # a bias=False module over an older export
    arrays = {"query": query, "key": key if key is not query else None,
              "value": value if value is not query else None,
              "attn_mask": attn_mask, "key_padding_mask": key_padding_mask,
              "reference_output": output, "reference_weights": weights,
              "reference_weights_mean": weights_mean}
    for name, a in arrays.items():
        path = out / f"{name}.npy"
        if a is not None:
            np.save(path, _np(a))
        elif path.exists():
            path.unlink()
    (out / "num_heads.txt").write_text(f"{module.num_heads}\n")
    return out


def build_inputs(args):
    """A module and inputs from the command-line options, reproducible from --seed."""
    torch.manual_seed(args.seed)
    E, L = args.embed_dim, args.seq_len
    S = args.kv_len or L
    batch = () if args.batch is None else (args.batch,)
    module = nn.MultiheadAttention(E, args.heads, bias=not args.no_bias, batch_first=True)
    query = torch.rand(*batch, L, E) * args.scale
    key = value = None
    if S != L:  # cross-attention: S keys and values of their own
        key = torch.rand(*batch, S, E) * args.scale
        value = torch.rand(*batch, S, E) * args.scale
    attn_mask = None
    if args.causal:
        blocked = torch.ones(L, S, dtype=torch.bool).triu(1)  # key j > query i
        attn_mask = blocked if args.causal == "bool" else \
            torch.zeros(L, S).masked_fill(blocked, -math.inf)
    key_padding_mask = None
    if args.padding:  # sample b has its last min(b, S-1) keys padded; unbatched: the last one
        if batch:
            n = torch.arange(args.batch).clamp(max=S - 1)
            key_padding_mask = torch.arange(S)[None, :] >= (S - n)[:, None]
        else:
            key_padding_mask = torch.arange(S) >= S - min(1, S - 1)
    return module, query, key, value, attn_mask, key_padding_mask


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("out_dir", help="folder to write the .npy files into")
    parser.add_argument("--embed-dim", type=int, default=64, help="E")
    parser.add_argument("--heads", type=int, default=8, help="H; must divide E")
    parser.add_argument("--seq-len", type=int, default=5, help="L, number of queries")
    parser.add_argument("--kv-len", type=int, default=None,
                        help="S, number of keys; different from L gives cross-attention")
    parser.add_argument("--batch", type=int, default=None,
                        help="B; without it the inputs are unbatched (L, E)")
    parser.add_argument("--no-bias", action="store_true", help="nn.MultiheadAttention(bias=False)")
    parser.add_argument("--causal", choices=("bool", "float"),
                        help="a causal attn_mask (L, S), bool or float (-inf above the diagonal)")
    parser.add_argument("--padding", action="store_true",
                        help="a bool key_padding_mask: sample b pads its last min(b, S-1) keys")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the inputs (torch.rand, in [0, 1)) by this")
    parser.add_argument("--module", type=pathlib.Path,
                        help="use this torch.save()'d nn.MultiheadAttention or its state_dict "
                             "instead of a freshly initialised one (--embed-dim and --heads "
                             "must match it)")
    args = parser.parse_args(argv)
    if args.heads < 1 or args.embed_dim % args.heads:
        parser.error(f"--embed-dim {args.embed_dim} is not divisible by --heads {args.heads}")
    for flag in ("embed_dim", "seq_len", "kv_len", "batch"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be at least 1")

    module, query, key, value, attn_mask, key_padding_mask = build_inputs(args)
    shape = tuple(query.shape)
    if args.module:
        loaded = torch.load(args.module, map_location="cpu")
        if isinstance(loaded, nn.MultiheadAttention):
            module = loaded
            if not module.batch_first and query.dim() == 3:  # our inputs are batch-first
                query, key, value = (None if t is None else t.transpose(0, 1)
                                     for t in (query, key, value))
        else:
            module.load_state_dict(loaded)
    out = export(module, query, key, value, attn_mask, key_padding_mask, out_dir=args.out_dir)
    print(f"wrote {out}: E = {module.embed_dim}, H = {module.num_heads}, "
          f"query {shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
