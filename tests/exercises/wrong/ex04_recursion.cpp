// A plausible wrong answer to exercise 04: the row's max by recursion, counting j down from
// S - 1 to a base case j == S that it never reaches, so it calls itself until the stack is
// full. The crash handler runs on a stack of its own and says so.
// through: ./workbook
// expect: stack overflow: a function that calls itself without end
#include <algorithm>
#include <cmath>

#include "exercises.hpp"

namespace ex {

namespace {
double max_up_to(const Matrix& x, std::size_t i, std::size_t j) {
    if (j == x.shape(1)) return -INFINITY;
    const double rest = max_up_to(x, i, j - 1);
    return std::max(rest, x(i, j));
}
}  // namespace

Matrix softmax(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    for (std::size_t i = 0; i < L; ++i) {
        const double m = max_up_to(x, i, S - 1);
        double sum = 0.0;
        for (std::size_t j = 0; j < S; ++j) sum += out(i, j) = std::exp(x(i, j) - m);
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    return out;
}

}  // namespace ex
