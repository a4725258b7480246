// Exercise 07 — project(X, W, b): X·Wᵀ + b, one learned projection, as nn.Linear computes it.
//
// TODO: write project(X, W, b) below.
//   in:  X (n, E_in), one token per row
//        W (E_out, E_in), as PyTorch stores a weight: one row per OUTPUT entry
//        b (E_out,), or empty (b.size() == 0) when the layer has no bias
//   out: (n, E_out), with out(i, r) = Σ_c X(i, c)·W(r, c) + b(r)
// Chapter 07, step 2: row r of W makes entry r of the result. The same function gives
// Q = X·W_qᵀ + b_q, K and V, the output projection of chapter 10, and with the packed
// in_proj_weight (3E, E) all three at once (step 4). Plain loops are fine.
//
// Check it: ./workbook check 07    on every save: ./workbook watch 07    stuck: ./workbook hint 07
#include "exercises.hpp"

namespace ex {

// X is (n, E_in), W is (E_out, E_in), b is (E_out,) or empty; returns (n, E_out).
Matrix project(const Matrix& X, const Matrix& W, const Vector& b) {
    todo(7, X, W, b);  // delete this line, then write the function
}

}  // namespace ex
