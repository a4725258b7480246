#!/usr/bin/python3
"""Part VI's model in PyTorch (Debian's python3-torch), the same as common/lesson's training.hpp.

    embedding + position -> N x (x + MultiheadAttention(x, x, x)) -> readout -> cross-entropy

Used by tools/make_training_fixtures.py (the fixture of chapter 22's test) and by
tools/bench_training_torch.py (`./workbook bench --training`). Its state_dict names are the
workbook's: embedding.weight, position.weight, layers.<i>.self_attn.in_proj_weight,
layers.<i>.self_attn.in_proj_bias, layers.<i>.self_attn.out_proj.weight,
layers.<i>.self_attn.out_proj.bias, readout.weight, readout.bias.
"""
import torch
import torch.nn as nn


class Layer(nn.Module):
    def __init__(self, E, H):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(E, H, batch_first=True)


class Model(nn.Module):
    def __init__(self, vocab, classes, L, E, H, layers, pad=-1):
        super().__init__()
        self.pad = pad
        self.embedding = nn.Embedding(vocab, E)
        self.position = nn.Embedding(L, E)
        self.layers = nn.ModuleList([Layer(E, H) for _ in range(layers)])
        self.readout = nn.Linear(E, classes)

    def forward(self, tokens):
        # 1) embed  2) attend, with the residual  3) read out (the loss is the caller's)
        x = self.embedding(tokens) + self.position.weight[: tokens.shape[1]]
        padding = (tokens == self.pad) if self.pad >= 0 else None
        for layer in self.layers:
            x = x + layer.self_attn(x, x, x, key_padding_mask=padding, need_weights=False)[0]
        return self.readout(x)


def loss_of(model, tokens, targets):
    """Mean cross-entropy over the positions whose target is not -100 (ignore_index)."""
    logits = model(tokens)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
