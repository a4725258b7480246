// Exercise 02 — scores(Q, K): every query's dot product with every key.
//
// TODO: write scores(Q, K) below.
//   in:  Q (L, d_k), one query per row;  K (S, d_k), one key per row
//   out: scores (L, S), with scores(i, j) = q_i · k_j = Σ_c Q(i, c)·K(j, c)
// Plain for-loops are the point (chapter 02, step 2). L = Q.shape(0), S = K.shape(0),
// d_k = Q.shape(1); create the result with xt::zeros<double>({L, S}) and fill it.
//
// Check it: ./workbook check 02    on every save: ./workbook watch 02    stuck: ./workbook hint 02
#include "exercises.hpp"

namespace ex {

// Q is (L, d_k), K is (S, d_k); returns (L, S).
Matrix scores(const Matrix& Q, const Matrix& K) {
    todo(2, Q, K);  // delete this line, then write the function
}

}  // namespace ex
