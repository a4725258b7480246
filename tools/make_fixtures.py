#!/usr/bin/python3
"""Regenerates tests/fixtures/ from PyTorch (Debian's python3-torch).

The tests read these .npy files and never need PyTorch. Run after changing a case:
    tools/setup.sh --torch && tools/make_fixtures.py
Every case is a folder: inputs named as PyTorch names them (query.npy, key.npy,
value.npy, ...) and PyTorch's results named as the chapters dump them.
"""
import contextlib
import copy
import io
import math
import pathlib
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures"
# The 5-token module is chapter 11's built-in example, so it lives with chapter 11.
FIVE_TOKEN_MODULE = ROOT / "chapters" / "11_multihead_attention" / "data" / "five_token_module"


def save(folder, **arrays):
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        a = a.detach().numpy() if isinstance(a, torch.Tensor) else a
        np.save(folder / f"{name}.npy", a)


def toy_program():
    """The toy example's PyTorch program, run as written; its stdout is what chapter 06 must print."""
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
    (OUT / "toy_program_stdout.txt").write_text(stdout.getvalue())
    save(OUT / "scaled_dot_product_attention" / "toy", query=tokens, scores=torch.matmul(Q, K.T),
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
    save(OUT / "scaled_dot_product_attention" / name, query=Q, key=K, value=V, scores=scores,
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


# ---------------------------------------------------------------------------------------
# Part II: nn.MultiheadAttention(E, H, batch_first=True), computed twice: in float32 (what
# users run) and in float64 (module.double(), the same float32 values widened) so the C++
# double implementation can be held to ~1e-10.

class SimpleMultiHeadAttention(nn.Module):
    """The 5-token module's wrapper, embedded here (batch_first=False, batch of one)."""

    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads)

    def forward(self, x):
        x = x.unsqueeze(1)  # (seq_len, batch, embed_dim)
        out, _ = self.attn(x, x, x)
        return out.squeeze(1)


def mha_module(E, H, bias=True):
    """A module with PyTorch's initialisation, except that the biases (zero at init) are
    drawn small and nonzero so that the fixtures exercise them."""
    m = nn.MultiheadAttention(E, H, bias=bias, batch_first=True)
    if bias:
        with torch.no_grad():
            nn.init.uniform_(m.in_proj_bias, -0.2, 0.2)
            nn.init.uniform_(m.out_proj.bias, -0.2, 0.2)
    return m.eval()


def run_mha(m, query, key, value, attn_mask, key_padding_mask):
    """output, per-head weights, mean weights. Calling the module with gradients on (its
    parameters require grad) keeps PyTorch on F.multi_head_attention_forward, the slow path."""
    kw = dict(attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=True)
    out, w = m(query, key, value, average_attn_weights=False, **kw)
    _, w_mean = m(query, key, value, average_attn_weights=True, **kw)
    return out, w, w_mean


def as64(x):
    return None if x is None else (x.double() if x.is_floating_point() else x)


def mha_steps(m, query, key, value, attn_mask, key_padding_mask):
    """The intermediates of F.multi_head_attention_forward (1.13), unbatched: q, k, v (L, E),
    the heads (H, L, d), scaled scores (H, L, S), head outputs (H, L, d), concat (L, E)."""
    E, H = m.embed_dim, m.num_heads
    d = E // H
    b = m.in_proj_bias.chunk(3) if m.in_proj_bias is not None else (None, None, None)
    w = m.in_proj_weight.chunk(3)
    q, k, v = (F.linear(x, wi, bi) for x, wi, bi in zip((query, key, value), w, b))
    qh, kh, vh = (x.reshape(x.shape[0], H, d).transpose(0, 1) for x in (q, k, v))
    mask = torch.zeros(query.shape[0], key.shape[0], dtype=q.dtype)
    if attn_mask is not None:
        mask = mask.masked_fill(attn_mask, float("-inf")) if attn_mask.dtype == torch.bool \
            else mask + attn_mask
    if key_padding_mask is not None:
        mask = mask.masked_fill(key_padding_mask, float("-inf"))
    scaled = (qh / math.sqrt(d)) @ kh.transpose(1, 2) + mask
    heads = torch.softmax(scaled, dim=-1) @ vh
    concat = heads.transpose(0, 1).reshape(query.shape[0], E)
    out = F.linear(concat, m.out_proj.weight, m.out_proj.bias)
    return dict(q=q, k=k, v=v, q_heads=qh, k_heads=kh, v_heads=vh, scaled_scores=scaled,
                head_outputs=heads, concat=concat), out


def part2_case(name, m, query, key=None, value=None, attn_mask=None, key_padding_mask=None,
               steps=False, folder=None):
    """One folder: the module's state_dict and inputs (float32, bool masks as bool), the
    results of the float32 module and of its float64 copy, and optionally every step."""
    folder = folder or OUT / "multihead_attention" / name
    key = query if key is None else key
    value = key if value is None else value
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
    out, w, w_mean = run_mha(m, query, key, value, attn_mask, key_padding_mask)
    m64 = copy.deepcopy(m).double()
    q64, k64, v64 = as64(query), as64(key), as64(value)
    if key is query:
        k64 = q64
    if value is key:
        v64 = k64
    out64, w64, w_mean64 = run_mha(m64, q64, k64, v64, as64(attn_mask), as64(key_padding_mask))
    save(folder, **files, output=out, weights=w, weights_mean=w_mean,
         output64=out64, weights64=w64, weights_mean64=w_mean64)
    (folder / "num_heads.txt").write_text(f"{m.num_heads}\n")
    if steps:
        batched = query.dim() == 3
        samples = range(query.shape[0]) if batched else [None]
        per_sample = []
        for b in samples:
            pick = (lambda x: x[b]) if batched else (lambda x: x)
            kpm = None if key_padding_mask is None else pick(key_padding_mask)
            st, o = mha_steps(m64, pick(q64), pick(k64), pick(v64), as64(attn_mask), kpm)
            assert torch.allclose(o, pick(out64), atol=1e-12, rtol=0, equal_nan=True), name
            per_sample.append(st)
        stacked = {k: torch.stack([s[k] for s in per_sample]) if batched else per_sample[0][k]
                   for k in per_sample[0]}
        save(folder, **stacked)


def causal(L, S=None):
    """bool (L, S): True above the diagonal, i.e. key j > query i is not allowed."""
    return torch.ones(L, S or L, dtype=torch.bool).triu(1)


def part2():
    # the 5-token module: x = torch.rand(5, 64) and SimpleMultiHeadAttention(64, 8), unbatched;
    # the biases stay PyTorch's initial zeros
    torch.manual_seed(0)
    x = torch.rand(5, 64)
    five = SimpleMultiHeadAttention(embed_dim=64, num_heads=8)
    five_out = five(x)
    m = nn.MultiheadAttention(64, 8, batch_first=True).eval()
    m.load_state_dict(five.attn.state_dict())
    assert torch.allclose(m(x, x, x)[0], five_out, atol=1e-6)
    part2_case("five_token_module", m, x, steps=True, folder=FIVE_TOKEN_MODULE)

    torch.manual_seed(2)
    x = torch.randn(2, 4, 8)
    part2_case("self", mha_module(8, 2), x, steps=True)

    torch.manual_seed(3)
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 8)
    part2_case("cross", mha_module(8, 4), q, k, v, steps=True)

    torch.manual_seed(4)
    x = torch.randn(2, 4, 8)
    m = mha_module(8, 2)
    part2_case("causal_bool", m, x, attn_mask=causal(4))
    # a float mask is added: −∞ above the diagonal and a distance penalty below it
    i = torch.arange(4.0)
    penalty = -0.5 * (i[:, None] - i[None, :]).clamp(min=0)
    part2_case("causal_float", m, x, attn_mask=penalty.masked_fill(causal(4), float("-inf")))

    torch.manual_seed(5)
    x = torch.randn(3, 5, 8)
    lengths = torch.tensor([5, 3, 1])
    padding = torch.arange(5)[None, :] >= lengths[:, None]  # True = padding
    part2_case("padding", mha_module(8, 2), x, key_padding_mask=padding)

    # a float key_padding_mask on its own is added to the scores, like a float attn_mask
    torch.manual_seed(6)
    x = torch.randn(2, 4, 8)
    kpm = torch.tensor([[0.0, -1.5, 0.0, float("-inf")], [0.0, 0.0, 2.0, 0.0]])
    part2_case("padding_float", mha_module(8, 2), x, key_padding_mask=kpm)
    # ... but beside a bool attn_mask, 1.13 merges them with logical_or: nonzero = padding
    part2_case("bool_mask_float_padding", mha_module(8, 2), x, attn_mask=causal(4),
               key_padding_mask=torch.tensor([[0.0, 0.5, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0]]))

    # a 3-D float attn_mask: one (L, S) mask per sample and head, index b·H + h
    torch.manual_seed(7)
    q, kv = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
    mask3 = torch.randn(2 * 2, 3, 4)
    mask3[1, 0, 2] = mask3[2, 2, 0] = float("-inf")
    part2_case("mask3d", mha_module(8, 2), q, kv, kv, attn_mask=mask3)

    torch.manual_seed(8)
    x = torch.randn(2, 3, 4)
    part2_case("one_head", mha_module(4, 1), x)

    torch.manual_seed(9)
    x = torch.randn(2, 4, 8)
    part2_case("no_bias", mha_module(8, 2, bias=False), x)

    torch.manual_seed(10)
    x = torch.randn(2, 4, 8) * 100
    part2_case("large", mha_module(8, 2), x)

    # causal mask + left padding of sample 1's first key: query 0 of sample 1 may look only
    # at key 0, which is padding, so its row of scores is all −∞. PyTorch 1.13 gives NaN for
    # that row of the weights (in every head) and of the output, and nothing else changes.
    torch.manual_seed(11)
    x = torch.randn(2, 4, 8)
    padding = torch.tensor([[False] * 4, [True, False, False, False]])
    part2_case("fully_masked", mha_module(8, 2), x, attn_mask=causal(4),
               key_padding_mask=padding)


def main():
    if OUT.exists():
        for sub in ("scaled_dot_product_attention", "multihead_attention"):
            shutil.rmtree(OUT / sub, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    toy_program()
    part1()
    part2()
    print(f"fixtures written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
