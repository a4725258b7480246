// A plausible wrong answer to exercise 12: the mean over axis 1 (the queries) instead of
// axis 0 (the heads).
// expect: averaged over the queries \(axis 1\) instead of the heads \(axis 0\)
#include "exercises.hpp"

namespace ex {

Matrix average_heads(const Tensor3& weights) {
    const Matrix mean = xt::mean(weights, {1});
    return mean;
}

}  // namespace ex
