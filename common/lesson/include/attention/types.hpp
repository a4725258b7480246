/// \file types.hpp
/// \brief The array types of the lesson: matrices, vectors and stacks of doubles.
#pragma once

#include <string>

#include <xtensor/xtensor.hpp>

/// The workbook's reference library: small functions, one per step of attention.
namespace attn {

/// A matrix such as Q (L, d_k) or the attention weights (L, S).
using Matrix = xt::xtensor<double, 2>;
/// A vector such as one query q (d_k) or one bias b (E).
using Vector = xt::xtensor<double, 1>;
/// A stack of matrices, such as the weights of every head (H, L, S).
using Tensor3 = xt::xtensor<double, 3>;
/// A stack of stacks, such as a batch of per-head weights (B, H, L, S).
using Tensor4 = xt::xtensor<double, 4>;

/// "(3, 4)" for a shape, the way PyTorch and numpy write one.
template <class Shape>
std::string shape_str(const Shape& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        s += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace attn
