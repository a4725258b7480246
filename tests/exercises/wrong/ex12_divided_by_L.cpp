// A plausible wrong answer to exercise 12: the sum over heads divided by the wrong count,
// L (weights.shape(1)) instead of H (weights.shape(0)).
// expect: divided by L = .* instead of H
#include "exercises.hpp"

namespace ex {

Matrix average_heads(const Tensor3& weights) {
    const Matrix sum = xt::sum(weights, {0});
    return sum / static_cast<double>(weights.shape(1));
}

}  // namespace ex
