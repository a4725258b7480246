// A plausible wrong answer to exercise 04: the formula as written, exp(x) / Σ exp(x),
// right for small scores but NaN once exp overflows.
// expect: exp\(1000\) overflows to inf .* Subtract each row's max before exp
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    for (std::size_t i = 0; i < L; ++i) {
        double sum = 0.0;
        for (std::size_t j = 0; j < S; ++j) sum += out(i, j) = std::exp(x(i, j));
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    return out;
}

}  // namespace ex
