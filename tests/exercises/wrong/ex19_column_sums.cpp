// A plausible wrong answer to exercise 19: the sum of dy ∘ y taken down each column (over the
// queries) instead of along each row.
// expect: you summed dy ∘ y down each column
#include "exercises.hpp"

namespace ex {

Matrix softmax_backward(const Matrix& y, const Matrix& dy) {
    const Matrix products = dy * y;
    const Matrix column_sums = xt::sum(products, {0}, xt::keep_dims);  // (1, S)
    return y * (dy - column_sums);
}

}  // namespace ex
