// Exercise 23 — role_score(weights, keys): how much a head does what a template says.
//
// TODO: write role_score(weights, keys) below.
//   in:  weights (n, L, S), one head's attention weights on n sequences (each row sums to 1)
//        keys (n, L), for every query i of sequence b the key its role template points at,
//        e.g. i - 1 for "the previous token", or -1 to leave that row out
//   out: the mean of weights(b, i, keys(b, i)) over the rows whose key is not -1
// Chapter 23, step 3: a score of 1 means the head always looks exactly where the template
// says; a flat head over S keys scores about 1/S. Plain loops are fine.
//
// Check it: ./workbook check 23    on every save: ./workbook watch 23    stuck: ./workbook hint 23
#include "exercises.hpp"

namespace ex {

// weights is (n, L, S), keys is (n, L); returns one number.
double role_score(const Tensor3& weights, const Matrix& keys) {
    todo(23, weights, keys);  // delete this line, then write the function
}

}  // namespace ex
