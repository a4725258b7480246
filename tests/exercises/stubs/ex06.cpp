// Exercise 06 — attention(Q, K, V): the whole of it, softmax(Q·Kᵀ / √d_k)·V.
//
// TODO: write attention(Q, K, V) below.
//   in:  Q (L, d_k) queries, K (S, d_k) keys, V (S, d_v) values
//   out: the output (L, d_v) = weights·V, with weights = softmax(Q·Kᵀ / √d_k) (L, S)
// The four steps of chapters 02-05, in order. Call your own functions from exercises
// 02-05 (scores, scale, softmax, weighted_sum: they are in namespace ex, declared in
// exercises.hpp) or the reference library's (attn::scores, attn::scale, attn::softmax,
// attn::weighted_sum, from <attention/attention.hpp>) - but not attn::attention itself.
//
// Check it: ./workbook check 06    on every save: ./workbook watch 06    stuck: ./workbook hint 06
#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

// Q is (L, d_k), K is (S, d_k), V is (S, d_v); returns (L, d_v).
Matrix attention(const Matrix& Q, const Matrix& K, const Matrix& V) {
    todo(6, Q, K, V);  // delete this line, then write the function
}

}  // namespace ex
