// Exercise 03 — scale(scores, d_k): divide the scores by √d_k.
//
// TODO: write scale(scores, d_k) below.
//   in:  scores (L, S) = Q·Kᵀ;  d_k, the width of the queries and keys (Q.shape(1))
//   out: (L, S), every score divided by √d_k
// Why √d_k and not d_k: chapter 03 measures it. xtensor divides a whole matrix by a
// number in one expression (m / x); a loop over the entries works too.
//
// Check it: ./workbook check 03    on every save: ./workbook watch 03    stuck: ./workbook hint 03
#include <cmath>

#include "exercises.hpp"

namespace ex {

// scores is (L, S); returns (L, S).
Matrix scale(const Matrix& scores, std::size_t d_k) {
    todo(3, scores, d_k);  // delete this line, then write the function
}

}  // namespace ex
