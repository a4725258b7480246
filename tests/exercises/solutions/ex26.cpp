// Exercise 26, the reference solution: the argmax of every aligned row, compared with its source word.
#include "exercises.hpp"

namespace ex {

// weights (n, L, S), aligned (n, L); returns a fraction in [0, 1].
double alignment_accuracy(const Tensor3& weights, const Matrix& aligned) {
    const std::size_t n = weights.shape(0), L = weights.shape(1), S = weights.shape(2);
    std::size_t rows = 0, right = 0;
    for (std::size_t b = 0; b < n; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            if (aligned(b, i) < 0) continue;  // a target word that translates no source word
            std::size_t best = 0;
            for (std::size_t j = 1; j < S; ++j)
                if (weights(b, i, j) > weights(b, i, best))
                    best = j;  // the largest weight, first on a tie
            right += double(best) == aligned(b, i);
            ++rows;
        }
    return double(right) / double(rows);
}

}  // namespace ex
