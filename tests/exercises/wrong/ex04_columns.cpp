// A plausible wrong answer to exercise 04: the softmax of each column instead of each row.
// expect: did you normalise over the wrong axis\?
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    for (std::size_t j = 0; j < S; ++j) {
        double m = x(0, j), sum = 0.0;
        for (std::size_t i = 1; i < L; ++i) m = std::max(m, x(i, j));
        for (std::size_t i = 0; i < L; ++i) sum += out(i, j) = std::exp(x(i, j) - m);
        for (std::size_t i = 0; i < L; ++i) out(i, j) /= sum;
    }
    return out;
}

}  // namespace ex
