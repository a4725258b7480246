// A plausible wrong answer to exercise 04: each row's loops run j <= S, one past the last
// column, so x(i, S) is read; xtensor's bounds check (on in the learner's file) stops it.
// expect: out of bounds: your code read or wrote index 3 of axis 1, whose size is 3 .* a loop over axis 1 of m must stop before m\.shape\(1\)
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    for (std::size_t i = 0; i < L; ++i) {
        double m = -INFINITY, sum = 0.0;
        for (std::size_t j = 0; j <= S; ++j) m = std::max(m, x(i, j));
        for (std::size_t j = 0; j < S; ++j) sum += out(i, j) = std::exp(x(i, j) - m);
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    return out;
}

}  // namespace ex
