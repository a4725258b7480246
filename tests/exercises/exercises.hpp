// The functions a learner writes, one exercise per chapter from 02 on.
// Each chapters/NN_slug/exercise.cpp defines its function(s) below; the checks in
// tests/exercises/exNN.cpp call them (./workbook check NN). Names follow the paper.
#pragma once

#include <cstddef>

#include <attention/types.hpp>

namespace ex {

using attn::Matrix;

/// Thrown by a function that is still the shipped stub: exercise `number` is not done yet.
struct NotDone {
    int number;
};

/// Marks a stub: throws NotDone{number}. The other arguments are the function's own
/// parameters, passed so that the stub compiles without unused-parameter warnings.
/// Delete the line that calls it when you write the function.
template <class... Args>
[[noreturn]] void todo(int number, const Args&...) {
    throw NotDone{number};
}

// Part I: scaled dot-product attention, one step per exercise.

/// Exercise 02: Q is (L, d_k), K is (S, d_k); returns the scores (L, S),
/// scores(i, j) = q_i · k_j = Σ_c Q(i, c)·K(j, c).
Matrix scores(const Matrix& Q, const Matrix& K);

/// Exercise 03: scores is (L, S); returns (L, S), every score divided by √d_k.
Matrix scale(const Matrix& scores, std::size_t d_k);

/// Exercise 04: x is (L, S); returns (L, S), the stable softmax of each row
/// (subtract the row's max, exp, divide by the row's sum).
Matrix softmax(const Matrix& x);

/// Exercise 05: weights is (L, S), V is (S, d_v); returns (L, d_v),
/// out(i, c) = Σ_j weights(i, j)·V(j, c).
Matrix weighted_sum(const Matrix& weights, const Matrix& V);

/// Exercise 06: Q is (L, d_k), K is (S, d_k), V is (S, d_v); returns the output
/// (L, d_v) = softmax(Q·Kᵀ / √d_k)·V.
Matrix attention(const Matrix& Q, const Matrix& K, const Matrix& V);

}  // namespace ex
