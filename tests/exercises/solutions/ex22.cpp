// Exercise 22, the reference solution: count the targets, then softmax minus one-hot, row by row.
#include <algorithm>
#include <cmath>

#include "exercises.hpp"

namespace ex {

// logits is (n, C), targets has n entries; returns dlogits (n, C).
Matrix cross_entropy_backward(const Matrix& logits, const std::vector<long>& targets) {
    const std::size_t n = logits.shape(0), C = logits.shape(1);
    double N = 0;  // 1) the rows with a target: the loss is their mean
    for (long t : targets) N += t != -100;
    Matrix d = xt::zeros<double>({n, C});
    for (std::size_t r = 0; r < n; ++r) {
        if (targets[r] == -100) continue;    // no target: this row is in no loss
        double top = logits(r, 0), sum = 0;  // 2) softmax of the row, its largest logit first
        for (std::size_t k = 0; k < C; ++k) top = std::max(top, logits(r, k));
        for (std::size_t k = 0; k < C; ++k) sum += std::exp(logits(r, k) - top);
        for (std::size_t k = 0; k < C; ++k) d(r, k) = std::exp(logits(r, k) - top) / sum / N;
        d(r, std::size_t(targets[r])) -= 1.0 / N;  // 3) minus the one-hot answer
    }
    return d;
}

}  // namespace ex
