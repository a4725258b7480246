// Exercise 26 — alignment_accuracy(weights, aligned): how often a learned cross-attention
// looks most at the word it translates.
//
// TODO: write alignment_accuracy(weights, aligned) below.
//   in:  weights (n, L, S): for each of n sentence pairs, row i is target word i's attention
//        over the S source words; aligned (n, L): the source position target word i
//        translates, or -1 when it translates none
//   out: over the rows (b, i) with aligned(b, i) >= 0, the fraction whose largest weight
//        (the first, on a tie) is at column aligned(b, i)
// Chapter 26, step 4.
//
// Check it: ./workbook check 26    on every save: ./workbook watch 26    stuck: ./workbook hint 26
#include "exercises.hpp"

namespace ex {

// weights (n, L, S), aligned (n, L); returns a fraction in [0, 1].
double alignment_accuracy(const Tensor3& weights, const Matrix& aligned) {
    todo(26, weights, aligned);  // delete this line, then write the function
}

}  // namespace ex
