// Exercise 04, the reference solution: the stable softmax, one row at a time.
#include <cmath>

#include "exercises.hpp"

namespace ex {

// x is (L, S); returns (L, S).
Matrix softmax(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    for (std::size_t i = 0; i < L; ++i) {
        // 1) the row's max
        double m = x(i, 0);
        for (std::size_t j = 1; j < S; ++j) m = std::max(m, x(i, j));
        // 2) exp of the shifted scores, and their sum; the largest is exp(0) = 1
        double sum = 0.0;
        for (std::size_t j = 0; j < S; ++j) {
            out(i, j) = std::exp(x(i, j) - m);
            sum += out(i, j);
        }
        // 3) divide by the sum: the row adds up to 1
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    return out;
}

}  // namespace ex
