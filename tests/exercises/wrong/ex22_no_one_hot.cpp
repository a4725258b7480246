// A plausible wrong answer to exercise 22: the softmax over N, the one-hot answer forgotten.
// expect: you forgot to subtract the one-hot answer
#include <algorithm>
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix cross_entropy_backward(const Matrix& logits, const std::vector<long>& targets) {
    double N = 0;
    for (long t : targets) N += t != -100;
    Matrix d = xt::zeros<double>(logits.shape());
    for (std::size_t r = 0; r < logits.shape(0); ++r) {
        if (targets[r] == -100) continue;
        double sum = 0, top = logits(r, 0);
        for (std::size_t k = 0; k < logits.shape(1); ++k) top = std::max(top, logits(r, k));
        for (std::size_t k = 0; k < logits.shape(1); ++k) sum += std::exp(logits(r, k) - top);
        for (std::size_t k = 0; k < logits.shape(1); ++k)
            d(r, k) = std::exp(logits(r, k) - top) / sum / N;
    }
    return d;
}

}  // namespace ex
