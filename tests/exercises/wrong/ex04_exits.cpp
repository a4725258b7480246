// A plausible wrong answer to exercise 04: a debugging leftover ends the program with
// std::exit(0) once the weights are printed. Status 0 is not a pass: the harness reports
// the check during which the program ended.
// through: ./workbook
// expect: ✗ 1\. the toy example.*your code ended the program during this check
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    for (std::size_t i = 0; i < L; ++i) {
        double m = -INFINITY, sum = 0.0;
        for (std::size_t j = 0; j < S; ++j) m = std::max(m, x(i, j));
        for (std::size_t j = 0; j < S; ++j) sum += out(i, j) = std::exp(x(i, j) - m);
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    std::cout << "weights computed\n";
    std::exit(0);
}

}  // namespace ex
