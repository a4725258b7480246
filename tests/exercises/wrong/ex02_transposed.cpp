// A plausible wrong answer to exercise 02: K·Qᵀ, one row per key instead of per query.
// expect: K·Qᵀ instead of Q·Kᵀ
#include "exercises.hpp"

namespace ex {

Matrix scores(const Matrix& Q, const Matrix& K) {
    const std::size_t L = Q.shape(0), S = K.shape(0), d_k = Q.shape(1);
    Matrix out = xt::zeros<double>({S, L});
    for (std::size_t j = 0; j < S; ++j)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d_k; ++c) out(j, i) += K(j, c) * Q(i, c);
    return out;
}

}  // namespace ex
