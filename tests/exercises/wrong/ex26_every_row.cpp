// A plausible wrong answer to exercise 26: the rows that translate no word counted as misses.
// expect: translate no source word
#include "exercises.hpp"

namespace ex {

double alignment_accuracy(const Tensor3& weights, const Matrix& aligned) {
    std::size_t right = 0;
    for (std::size_t b = 0; b < weights.shape(0); ++b)
        for (std::size_t i = 0; i < weights.shape(1); ++i) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < weights.shape(2); ++j)
                if (weights(b, i, j) > weights(b, i, best)) best = j;
            right += double(best) == aligned(b, i);
        }
    return double(right) / double(weights.shape(0) * weights.shape(1));
}

}  // namespace ex
