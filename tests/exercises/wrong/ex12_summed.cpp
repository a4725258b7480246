// A plausible wrong answer to exercise 12: the heads added up, but never divided by H.
// expect: summed instead of averaged
#include "exercises.hpp"

namespace ex {

Matrix average_heads(const Tensor3& weights) {
    const Matrix sum = xt::sum(weights, {0});
    return sum;
}

}  // namespace ex
