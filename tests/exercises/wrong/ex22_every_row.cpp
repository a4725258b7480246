// A plausible wrong answer to exercise 22: the mean taken over every row, targets or not.
// expect: you divided by every row, n
#include <algorithm>
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix cross_entropy_backward(const Matrix& logits, const std::vector<long>& targets) {
    const double n = double(logits.shape(0));
    Matrix d = xt::zeros<double>(logits.shape());
    for (std::size_t r = 0; r < logits.shape(0); ++r) {
        if (targets[r] == -100) continue;
        double sum = 0, top = logits(r, 0);
        for (std::size_t k = 0; k < logits.shape(1); ++k) top = std::max(top, logits(r, k));
        for (std::size_t k = 0; k < logits.shape(1); ++k) sum += std::exp(logits(r, k) - top);
        for (std::size_t k = 0; k < logits.shape(1); ++k)
            d(r, k) = std::exp(logits(r, k) - top) / sum / n;
        d(r, std::size_t(targets[r])) -= 1.0 / n;
    }
    return d;
}

}  // namespace ex
