/// \file attention.hpp
/// \brief Part I: scaled dot-product attention, one step per function.
///
/// Each step comes twice: a vectorised version (what real code does) and a
/// `_loop` version written with plain for-loops (what the formula says). The
/// tests check that the two agree.
#pragma once

#include "attention/types.hpp"

namespace attn {

/// Step 1) scores: Every query's dot product with every key.
/// Q is (L, d_k), K is (S, d_k); returns scores (L, S) with scores(i, j) = q_i · k_j.
Matrix scores(const Matrix& Q, const Matrix& K);
/// The same with three nested loops.
Matrix scores_loop(const Matrix& Q, const Matrix& K);

/// Step 2) scale: Divides every score by √d_k so their spread does not grow with d_k.
/// scores is (L, S); returns (L, S).
Matrix scale(const Matrix& scores, std::size_t d_k);

/// Step 3) softmax: Numerically stable row-wise softmax: subtracts each row's max before exp.
/// x is (L, S); returns (L, S), each row non-negative and summing to 1.
/// A row that is entirely −∞ (every key masked) becomes NaN, as in PyTorch.
Matrix softmax(const Matrix& x);
/// Row-wise softmax straight from the formula exp(x) / Σ exp(x): overflows to
/// inf and then NaN once a score passes about 709. Shown in chapter 04; never used.
Matrix softmax_naive(const Matrix& x);
/// The stable softmax with plain loops.
Matrix softmax_loop(const Matrix& x);

/// Step 4) weighted sum: Each output row is the weighted average of the value rows.
/// weights is (L, S), V is (S, d_v); returns (L, d_v).
Matrix weighted_sum(const Matrix& weights, const Matrix& V);
/// The same with three nested loops.
Matrix weighted_sum_loop(const Matrix& weights, const Matrix& V);

/// Every intermediate of one attention call, named as in the chapters.
struct Attention {
    Matrix scores;         ///< (L, S) step 1: Q·Kᵀ
    Matrix scaled_scores;  ///< (L, S) step 2: Q·Kᵀ / √d_k (+ mask, if any)
    Matrix weights;        ///< (L, S) step 3: softmax over each row
    Matrix output;         ///< (L, d_v) step 4: weights·V
};

/// Scaled dot-product attention, softmax(Q·Kᵀ / √d_k)·V, keeping every step.
/// Q is (L, d_k), K is (S, d_k), V is (S, d_v). The optional mask is (L, S) and is
/// added to the scaled scores (0 = allowed, −∞ = blocked). The shapes must fit
/// (workbook/validation.hpp checks a user's input before it gets here).
Attention attention(const Matrix& Q, const Matrix& K, const Matrix& V,
                    const Matrix* mask = nullptr);
/// The same computation with plain loops; returns only the output (L, d_v).
Matrix attention_loop(const Matrix& Q, const Matrix& K, const Matrix& V);

}  // namespace attn
