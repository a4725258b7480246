// Exercise 07, the reference solution: X·Wᵀ + b with three nested loops.
#include "exercises.hpp"

namespace ex {

// X is (n, E_in), W is (E_out, E_in), b is (E_out,) or empty; returns (n, E_out).
Matrix project(const Matrix& X, const Matrix& W, const Vector& b) {
    const std::size_t n = X.shape(0), E_in = X.shape(1), E_out = W.shape(0);
    Matrix out = xt::zeros<double>({n, E_out});
    for (std::size_t i = 0; i < n; ++i)             // every token
        for (std::size_t r = 0; r < E_out; ++r) {   // every output entry: row r of W
            for (std::size_t c = 0; c < E_in; ++c)  // x_i · w_r
                out(i, r) += X(i, c) * W(r, c);
            if (b.size() != 0) out(i, r) += b(r);  // the bias of entry r
        }
    return out;
}

}  // namespace ex
