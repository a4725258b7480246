// Exercise 19 — softmax_backward(y, dy): the softmax's gradient, row by row, without a Jacobian.
//
// TODO: write softmax_backward(y, dy) below.
//   in:  y (L, S), the weights: the softmax of each row of some scores x (chapter 04)
//        dy (L, S), the upstream gradient ∂loss/∂y, one number per weight
//   out: dx (L, S) = ∂loss/∂x. In each row i, first s_i = Σ_k dy(i, k)·y(i, k), then
//        dx(i, j) = y(i, j)·(dy(i, j) - s_i)
// Chapter 19, step 2: this is gᵀ·J for every row's Jacobian J(i, j) = y_i·(δ_ij - y_j),
// without building J. Every row of dx sums to 0. Plain loops are fine.
//
// Check it: ./workbook check 19    on every save: ./workbook watch 19    stuck: ./workbook hint 19
#include "exercises.hpp"

namespace ex {

// y is (L, S), dy is (L, S); returns dx (L, S).
Matrix softmax_backward(const Matrix& y, const Matrix& dy) {
    todo(19, y, dy);  // delete this line, then write the function
}

}  // namespace ex
