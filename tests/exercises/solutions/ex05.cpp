// Exercise 05, the reference solution: weights·V with three nested loops.
#include "exercises.hpp"

namespace ex {

// weights is (L, S), V is (S, d_v); returns (L, d_v).
Matrix weighted_sum(const Matrix& weights, const Matrix& V) {
    const std::size_t L = weights.shape(0), S = V.shape(0), d_v = V.shape(1);
    Matrix out = xt::zeros<double>({L, d_v});
    for (std::size_t i = 0; i < L; ++i)      // every query
        for (std::size_t j = 0; j < S; ++j)  // adds value row j, weighted
            for (std::size_t c = 0; c < d_v; ++c) out(i, c) += weights(i, j) * V(j, c);
    return out;
}

}  // namespace ex
