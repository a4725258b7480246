/// \file contrast.hpp
/// \brief What attention does that a convolution and a recurrent network do not (chapter 06):
/// which inputs can reach an output, and how many steps must run one after another.
///
/// Every count here is measured, not assumed: an input is perturbed and the outputs that
/// change are counted; a step's dependence on earlier results is found the same way.
#pragma once

#include <array>
#include <functional>
#include <vector>

#include "attention/types.hpp"

namespace attn {

/// A sequence layer: (L, E) inputs to (L, E) outputs.
using SequenceLayer = std::function<Matrix(const Matrix&)>;

/// A 3-wide convolution over the positions, one weight per offset and the same for every
/// dimension: out_i = w[0]·x_{i−1} + w[1]·x_i + w[2]·x_{i+1}, with zeros beyond the ends.
Matrix convolve3(const Matrix& X, const std::array<double, 3>& w);

/// Self-attention with Q = K = V = X: softmax(X·Xᵀ / √E)·X.
Matrix self_attention_layer(const Matrix& X);

/// The positions j whose input row, perturbed, changes output row `row` of `layer` (by more
/// than 1e-12): the positions that can influence that output.
std::vector<std::size_t> influencers(const SequenceLayer& layer, const Matrix& X, std::size_t row);

/// How many times `layer` must be stacked before input `from` can change output `to`
/// (0 if it cannot within max_layers).
std::size_t layers_to_reach(const SequenceLayer& layer, const Matrix& X, std::size_t from,
                            std::size_t to, std::size_t max_layers);

/// One output row of a sequence model, computed from the inputs X and the outputs H already
/// computed (rows not yet computed are zero).
using RowStep = std::function<Vector(std::size_t t, const Matrix& X, const Matrix& H)>;

/// A recurrent update h_t = tanh(W·h_{t−1} + U·x_t), h_{−1} = 0: row t reads row t−1 of H.
RowStep recurrent_step(const Matrix& W, const Matrix& U);
/// Attention's row t: softmax(x_t·Xᵀ / √E)·X, from the inputs alone; it never reads H.
RowStep attention_step();

/// The number of steps that must run one after another to compute all L rows: each row is
/// one step after the latest row it reads, where "row t reads row s" is found by perturbing
/// row s of H and seeing whether row t changes. A recurrent update needs L, attention 1.
std::size_t sequential_steps(const RowStep& step, const Matrix& X, std::size_t E_out);

}  // namespace attn
