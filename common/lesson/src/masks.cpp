// Masks: which keys each query may look at (see masks.hpp).
#include "attention/masks.hpp"

#include <limits>

#include <xtensor/xoperation.hpp>

namespace attn {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

// Returns (L, L): 0 where j <= i, −∞ where j > i.
Matrix causal_mask(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = i + 1; j < L; ++j) m(i, j) = -kInf;
    return m;
}

// Returns (L, L): 1 where j > i (blocked), 0 elsewhere.
Matrix causal_mask_bool(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = i + 1; j < L; ++j) m(i, j) = 1.0;
    return m;
}

// lengths has B entries; returns (B, S).
Matrix padding_mask(const std::vector<std::size_t>& lengths, std::size_t S) {
    Matrix m = xt::zeros<double>({lengths.size(), S});
    for (std::size_t b = 0; b < lengths.size(); ++b)
        for (std::size_t j = lengths[b]; j < S; ++j) m(b, j) = -kInf;
    return m;
}

//! [conventions]
// Nonzero (True) = blocked.
Matrix additive_from_blocked(const Matrix& blocked) {
    return xt::where(xt::not_equal(blocked, 0.0), -kInf, 0.0);
}

// Nonzero (True) = allowed: the logical_not of the allowed mask is what gets −∞.
Matrix additive_from_allowed(const Matrix& allowed) {
    return xt::where(xt::equal(allowed, 0.0), -kInf, 0.0);
}

// 1 = attend, 0 = padding: the same reading as additive_from_allowed.
Matrix additive_from_attention_mask(const Matrix& attention_mask) {
    return additive_from_allowed(attention_mask);
}
//! [conventions]

}  // namespace attn
