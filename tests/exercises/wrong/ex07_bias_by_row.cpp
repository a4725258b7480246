// A plausible wrong answer to exercise 07: the bias indexed by the token, b(i), instead of
// by the output entry, b(r).
// expect: the bias was added by row
#include "exercises.hpp"

namespace ex {

Matrix project(const Matrix& X, const Matrix& W, const Vector& b) {
    const std::size_t n = X.shape(0), E_in = X.shape(1), E_out = W.shape(0);
    Matrix out = xt::zeros<double>({n, E_out});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t r = 0; r < E_out; ++r) {
            for (std::size_t c = 0; c < E_in; ++c) out(i, r) += X(i, c) * W(r, c);
            if (b.size() != 0) out(i, r) += b(i);
        }
    return out;
}

}  // namespace ex
