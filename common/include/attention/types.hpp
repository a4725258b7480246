/// \file types.hpp
/// \brief The array types every chapter uses, and the error for bad input.
#pragma once

#include <stdexcept>
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

/// Bad input from the user: a missing or malformed file, a shape that does not fit,
/// heads that do not divide the width, a NaN. Chapters print its message on one line
/// and exit with status 2.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

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
