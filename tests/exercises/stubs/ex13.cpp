// Exercise 13 — causal_mask(L): no peeking ahead.
//
// TODO: write causal_mask(L) below.
//   in:  L, the number of tokens
//   out: (L, L), the additive causal mask: entry (i, j) is 0 where key j ≤ query i (the
//        token itself and the ones before it: allowed) and -INFINITY where j > i (a later
//        token: blocked). It is added to the scaled scores before the softmax, and
//        exp(-inf) = 0.
// Chapter 13, step 1. -INFINITY comes from <cmath>. (PyTorch's bool form of the same mask
// is True = blocked above the diagonal; here it is the additive form.)
//
// Check it: ./workbook check 13    on every save: ./workbook watch 13    stuck: ./workbook hint 13
#include <cmath>

#include "exercises.hpp"

namespace ex {

// Returns (L, L): 0 on and below the diagonal, -inf above it.
Matrix causal_mask(std::size_t L) {
    todo(13, L);  // delete this line, then write the function
}

}  // namespace ex
