// Exercise 05 — weighted_sum(weights, V): mix the values with the weights.
//
// TODO: write weighted_sum(weights, V) below.
//   in:  weights (L, S), row i = query i's weights over the S keys (each row sums to 1);
//        V (S, d_v), one value row per key
//   out: (L, d_v), out(i, c) = Σ_j weights(i, j)·V(j, c): output row i is the average of
//        the value rows, weighted by query i's weights
// A matrix product written as loops (chapter 05, step 2). Careful: in xtensor, weights * V
// multiplies entry by entry; it is not the matrix product.
//
// Check it: ./workbook check 05    on every save: ./workbook watch 05    stuck: ./workbook hint 05
#include "exercises.hpp"

namespace ex {

// weights is (L, S), V is (S, d_v); returns (L, d_v).
Matrix weighted_sum(const Matrix& weights, const Matrix& V) {
    todo(5, weights, V);  // delete this line, then write the function
}

}  // namespace ex
