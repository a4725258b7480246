// A plausible wrong answer to exercise 05: numpy's habits in xtensor, where * multiplies
// entry by entry (and throws when the shapes do not broadcast).
// expect: A \* B is not a matrix product
#include "exercises.hpp"

namespace ex {

Matrix weighted_sum(const Matrix& weights, const Matrix& V) {
    return weights * V;
}

}  // namespace ex
