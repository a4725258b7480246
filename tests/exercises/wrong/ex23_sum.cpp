// A plausible wrong answer to exercise 23: the sum of the weights, not their mean.
// expect: your score is the sum of the weights
#include "exercises.hpp"

namespace ex {

double role_score(const Tensor3& weights, const Matrix& keys) {
    double total = 0.0;
    for (std::size_t b = 0; b < keys.shape(0); ++b)
        for (std::size_t i = 0; i < keys.shape(1); ++i)
            if (keys(b, i) >= 0) total += weights(b, i, static_cast<std::size_t>(keys(b, i)));
    return total;
}

}  // namespace ex
