#!/usr/bin/python3
"""Regenerates the gradients of Part V's tests from PyTorch's autograd (Debian's python3-torch).

    tools/setup.sh --torch && tools/make_backward_fixtures.py

Writes two folders of cases; the tests read the .npy files and never need PyTorch.

tests/fixtures/attention_backward/<case>/ (chapter 20): scaled dot-product attention on
query.npy (L, d_k), key.npy (S, d_k), value.npy (S, d_v), with attn_mask.npy (L, S) when the
case has one (bool: True = not allowed; float: added to the scaled scores), and the upstream
gradient grad_output.npy (L, d_v), all float64. The loss is (O * grad_output).sum(), so
grad_output is dO; autograd's gradients, float64, are saved as the chapter dumps them:
dQ.npy, dK.npy, dV.npy, and the gradients of two intermediates kept with retain_grad():
dP.npy (the weights P) and dS.npy (the scaled scores S, after the mask). weights.npy and
output.npy are the forward pass. A bool mask is added as −∞, the way nn.MultiheadAttention
applies one, except in the case fully_masked_fill (masked_fill, see attention_case).

tests/fixtures/multihead_backward/<case>/ (chapter 21): an nn.MultiheadAttention(E, H,
batch_first=True) call saved like tests/fixtures/part2 (its state_dict, query.npy, key.npy
and value.npy when they are separate tensors, attn_mask.npy, key_padding_mask.npy,
num_heads.txt), a fixed upstream gradient grad_output.npy (G, the shape of the output),
and the gradients of loss = (out * G).sum() for every parameter and every input tensor,
named `<name>.grad.npy` as PyTorch names them (in_proj_weight.grad, out_proj.weight.grad,
query.grad, ...), from the float32 module (what users run), and `<name>.grad64.npy` from its
float64 copy (module.double(), the same float32 numbers widened, so a double implementation
can be held to 1e-12). In self-attention query, key and value are one tensor x, used three
times: its gradient is the sum of three and is saved as query.grad (key.npy and value.npy are
absent, as the chapters then read key = value = query).
"""
import copy
import math
import pathlib
import shutil

import numpy as np
import torch
import torch.nn as nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures"


def save(folder, **arrays):
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        a = a.detach().numpy() if isinstance(a, torch.Tensor) else a
        np.save(folder / f"{name}.npy", a)


# ---------------------------------------------------------------------------------------
# Scaled dot-product attention, float64

# The toy example (3 tokens × 4 dims) and chapter 20's fixed upstream gradient dO.
TOY = [[1., 0., 1., 0.], [0., 2., 0., 2.], [1., 1., 1., 1.]]
TOY_DO = [[1., 0., 0., -1.], [0., 2., -1., 0.], [0., 1., 1., 2.]]


def attention_case(name, Q, K, V, dO, mask=None, masked_fill=False):
    """A bool mask is applied as nn.MultiheadAttention (1.13) applies one: turned into a
    float mask, −∞ where True, and added to the scaled scores, as a float mask is; with
    masked_fill=True it is applied with S.masked_fill(mask, −∞) instead, whose backward
    sets the gradient of every blocked score to 0."""
    q, k, v = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (Q, K, V))
    g = torch.tensor(dO, dtype=torch.float64)
    S = q @ k.T / math.sqrt(q.shape[1])
    if masked_fill:
        S = S.masked_fill(mask, float("-inf"))
    elif mask is not None:
        additive = torch.zeros(mask.shape, dtype=torch.float64).masked_fill(mask, float("-inf")) \
            if mask.dtype == torch.bool else mask
        S = S + additive
    S.retain_grad()
    P = torch.softmax(S, dim=-1)
    P.retain_grad()
    O = P @ v
    (O * g).sum().backward()
    files = dict(query=q, key=k, value=v, grad_output=g, weights=P, output=O,
                 dQ=q.grad, dK=k.grad, dV=v.grad, dP=P.grad, dS=S.grad)
    if mask is not None:
        files["attn_mask"] = mask
    save(OUT / "attention_backward" / name, **files)


def attention_cases():
    attention_case("toy", TOY, TOY, TOY, TOY_DO)
    causal3 = torch.ones(3, 3, dtype=torch.bool).triu(1)
    attention_case("toy_causal", TOY, TOY, TOY, TOY_DO, causal3)
    rng = np.random.default_rng(20260520)
    # cross-attention: L = 4 queries, S = 6 keys, d_k = 5, d_v = 3
    Q, K, V, dO = (rng.normal(size=s) for s in ((4, 5), (6, 5), (6, 3), (4, 3)))
    attention_case("cross", Q, K, V, dO)
    # a bool mask: key 5 blocked for every query, and a few single blocks
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[:, 5] = True
    mask[0, 1] = mask[2, 3] = mask[3, 0] = True
    attention_case("masked", Q, K, V, dO, mask)
    # a float mask: added, finite penalties and a −∞
    fmask = torch.tensor(rng.normal(size=(4, 6)))
    fmask[1, 2] = float("-inf")
    attention_case("float_mask", Q, K, V, dO, fmask)
    # query 2 may see no key at all: its row of P is NaN, and autograd spreads the NaN
    full = torch.zeros(4, 6, dtype=torch.bool)
    full[2, :] = True
    attention_case("fully_masked", Q, K, V, dO, full)
    # the same with masked_fill: query 2's row of dQ is 0 instead of NaN (dV is NaN still)
    attention_case("fully_masked_fill", Q, K, V, dO, full, masked_fill=True)


# ---------------------------------------------------------------------------------------
# nn.MultiheadAttention, float32 and float64

def mha_module(E, H, bias=True):
    """PyTorch's initialisation, except that the biases (zero at init) are drawn small and
    nonzero so that their gradients are checked against nonzero numbers too."""
    m = nn.MultiheadAttention(E, H, bias=bias, batch_first=True)
    if bias:
        with torch.no_grad():
            nn.init.uniform_(m.in_proj_bias, -0.2, 0.2)
            nn.init.uniform_(m.out_proj.bias, -0.2, 0.2)
    return m


def leaves(tensors, dtype):
    """Each distinct input tensor as a new leaf of `dtype` that requires grad; a tensor
    passed twice stays one leaf (self-attention: x is query, key and value)."""
    made = {}
    out = []
    for t in tensors:
        if id(t) not in made:
            made[id(t)] = t.detach().to(dtype).requires_grad_()
        out.append(made[id(t)])
    return out


def mha_grads(m, query, key, value, G, attn_mask, key_padding_mask, dtype):
    """Runs m in `dtype` and returns its output and {name: gradient} of (out * G).sum()."""
    m = copy.deepcopy(m).to(dtype)
    q, k, v = leaves((query, key, value), dtype)
    widen = (lambda x: None if x is None else x.to(dtype) if x.is_floating_point() else x)
    out, _ = m(q, k, v, attn_mask=widen(attn_mask), key_padding_mask=widen(key_padding_mask))
    (out * G.to(dtype)).sum().backward()
    grads = {name: p.grad for name, p in m.named_parameters()}
    grads["query"] = q.grad
    if k is not q:
        grads["key"] = k.grad
    if v is not q and v is not k:
        grads["value"] = v.grad
    return out, grads


def mha_case(name, m, query, key=None, value=None, attn_mask=None, key_padding_mask=None):
    folder = OUT / "multihead_backward" / name
    key = query if key is None else key
    value = key if value is None else value
    if value is key and key is not query:
        raise ValueError("key and value as one tensor other than query: not a case the chapters read")
    files = {"query": query}
    if key is not query:
        files["key"] = key
    if value is not query:
        files["value"] = value
    for k, t in m.state_dict().items():
        files[k] = t
    if attn_mask is not None:
        files["attn_mask"] = attn_mask
    if key_padding_mask is not None:
        files["key_padding_mask"] = key_padding_mask
    with torch.no_grad():
        shape = m(query, key, value, attn_mask=attn_mask, key_padding_mask=key_padding_mask)[0].shape
    G = torch.randn(shape)
    out32, g32 = mha_grads(m, query, key, value, G, attn_mask, key_padding_mask, torch.float32)
    out64, g64 = mha_grads(m, query, key, value, G, attn_mask, key_padding_mask, torch.float64)
    assert g32.keys() == g64.keys(), name
    files["grad_output"] = G
    files["output"] = out32
    files["output64"] = out64
    for k in g32:
        files[f"{k}.grad"] = g32[k]
        files[f"{k}.grad64"] = g64[k]
    save(folder, **files)
    (folder / "num_heads.txt").write_text(f"{m.num_heads}\n")


def causal(L, S=None):
    """bool (L, S): True above the diagonal, i.e. key j > query i is not allowed."""
    return torch.ones(L, S or L, dtype=torch.bool).triu(1)


def mha_cases():
    torch.manual_seed(21)
    mha_case("self", mha_module(8, 2), torch.randn(2, 4, 8))

    torch.manual_seed(22)
    mha_case("unbatched", mha_module(8, 4), torch.randn(5, 8))

    torch.manual_seed(23)
    mha_case("cross", mha_module(8, 4), torch.randn(2, 3, 8), torch.randn(2, 5, 8),
             torch.randn(2, 5, 8))

    torch.manual_seed(24)
    m = mha_module(8, 2)
    x = torch.randn(2, 4, 8)
    mha_case("causal_bool", m, x, attn_mask=causal(4))
    i = torch.arange(4.0)
    penalty = -0.5 * (i[:, None] - i[None, :]).clamp(min=0)
    mha_case("causal_float", m, x, attn_mask=penalty.masked_fill(causal(4), float("-inf")))

    torch.manual_seed(25)
    lengths = torch.tensor([5, 3, 1])
    padding = torch.arange(5)[None, :] >= lengths[:, None]  # True = padding
    mha_case("padding", mha_module(8, 2), torch.randn(3, 5, 8), key_padding_mask=padding)

    # a 3-D float attn_mask, one (L, S) mask per sample and head (index b·H + h), cross
    torch.manual_seed(26)
    mask3 = torch.randn(2 * 2, 3, 4)
    mask3[1, 0, 2] = mask3[2, 2, 0] = float("-inf")
    mha_case("mask3d", mha_module(8, 2), torch.randn(2, 3, 8), torch.randn(2, 4, 8),
             torch.randn(2, 4, 8), attn_mask=mask3)

    torch.manual_seed(27)
    mha_case("one_head", mha_module(4, 1), torch.randn(2, 3, 4))

    torch.manual_seed(28)
    mha_case("no_bias", mha_module(8, 2, bias=False), torch.randn(2, 4, 8))

    # causal + sample 1's key 0 is padding: sample 1's query 0 may see no key at all
    torch.manual_seed(29)
    padding = torch.tensor([[False] * 4, [True, False, False, False]])
    mha_case("fully_masked", mha_module(8, 2), torch.randn(2, 4, 8), attn_mask=causal(4),
             key_padding_mask=padding)


def main():
    for sub in ("attention_backward", "multihead_backward"):
        shutil.rmtree(OUT / sub, ignore_errors=True)
    attention_cases()
    mha_cases()
    print(f"fixtures written to {(OUT / 'attention_backward').relative_to(ROOT)} and "
          f"{(OUT / 'multihead_backward').relative_to(ROOT)} (PyTorch {torch.__version__})")


if __name__ == "__main__":
    main()
