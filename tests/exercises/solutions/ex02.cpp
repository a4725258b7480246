// Exercise 02, the reference solution: Q·Kᵀ with three nested loops.
#include "exercises.hpp"

namespace ex {

// Q is (L, d_k), K is (S, d_k); returns (L, S).
Matrix scores(const Matrix& Q, const Matrix& K) {
    const std::size_t L = Q.shape(0), S = K.shape(0), d_k = Q.shape(1);
    Matrix out = xt::zeros<double>({L, S});
    for (std::size_t i = 0; i < L; ++i)            // every query
        for (std::size_t j = 0; j < S; ++j)        // against every key
            for (std::size_t c = 0; c < d_k; ++c)  // q_i · k_j
                out(i, j) += Q(i, c) * K(j, c);
    return out;
}

}  // namespace ex
