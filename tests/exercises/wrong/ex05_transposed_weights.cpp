// A plausible wrong answer to exercise 05: indexes the weights (j, i) instead of (i, j).
// expect: you used the weights transposed
#include "exercises.hpp"

namespace ex {

Matrix weighted_sum(const Matrix& weights, const Matrix& V) {
    const std::size_t L = weights.shape(0), S = V.shape(0), d_v = V.shape(1);
    Matrix out = xt::zeros<double>({L, d_v});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < S; ++j)
            for (std::size_t c = 0; c < d_v; ++c) out(i, c) += weights(j, i) * V(j, c);
    return out;
}

}  // namespace ex
