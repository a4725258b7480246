// Exercise 19, the reference solution: one sum per row, then one product per entry.
#include "exercises.hpp"

namespace ex {

// y is (L, S), dy is (L, S); returns dx (L, S).
Matrix softmax_backward(const Matrix& y, const Matrix& dy) {
    const std::size_t L = y.shape(0), S = y.shape(1);
    Matrix dx = xt::empty<double>({L, S});
    for (std::size_t i = 0; i < L; ++i) {
        double s = 0.0;  // 1) Σ_k dy(i, k)·y(i, k): how the loss moves when the whole row moves
        for (std::size_t k = 0; k < S; ++k) s += dy(i, k) * y(i, k);
        for (std::size_t j = 0; j < S; ++j) dx(i, j) = y(i, j) * (dy(i, j) - s);  // 2)
    }
    return dx;
}

}  // namespace ex
