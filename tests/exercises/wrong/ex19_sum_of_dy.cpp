// A plausible wrong answer to exercise 19: subtracting the plain row sum of dy, not of dy ∘ y.
// expect: you subtracted the row's Σ_k dy\(i, k\), the plain sum of dy
#include "exercises.hpp"

namespace ex {

Matrix softmax_backward(const Matrix& y, const Matrix& dy) {
    const Matrix sums = xt::sum(dy, {1}, xt::keep_dims);  // (L, 1)
    return y * (dy - sums);
}

}  // namespace ex
