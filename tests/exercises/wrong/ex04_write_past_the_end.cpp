// A plausible wrong answer to exercise 04: the result is made (L, L), not (L, S). On the
// square first check it works; on a wider x, writing out(i, j) for j >= L goes past its
// last column, which xtensor's bounds check stops (without it: a corrupted heap).
// expect: ✗ 2\. .* out of bounds: your code read or wrote index [0-9]+ of axis 1, whose size is [0-9]+
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, L});
    for (std::size_t i = 0; i < L; ++i) {
        double m = -INFINITY, sum = 0.0;
        for (std::size_t j = 0; j < S; ++j) m = std::max(m, x(i, j));
        for (std::size_t j = 0; j < S; ++j) sum += out(i, j) = std::exp(x(i, j) - m);
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    return out;
}

}  // namespace ex
