// A plausible wrong answer to exercise 26: the largest weight of a column (a source word) instead of a row.
// expect: a row is one target word
#include "exercises.hpp"

namespace ex {

double alignment_accuracy(const Tensor3& weights, const Matrix& aligned) {
    std::size_t rows = 0, right = 0;
    for (std::size_t b = 0; b < weights.shape(0); ++b)
        for (std::size_t i = 0; i < weights.shape(1); ++i) {
            if (aligned(b, i) < 0) continue;
            const std::size_t j = std::size_t(aligned(b, i));
            std::size_t best = 0;  // the target row that looks most at source word j
            for (std::size_t r = 1; r < weights.shape(1); ++r)
                if (weights(b, r, j) > weights(b, best, j)) best = r;
            right += best == i;
            ++rows;
        }
    return double(right) / double(rows);
}

}  // namespace ex
