// Exercise 06, the reference solution: the four steps of chapters 02-05, one call each.
// (With your own exercises 02-05 done, the same body without `attn::` calls them instead.)
#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

// Q is (L, d_k), K is (S, d_k), V is (S, d_v); returns (L, d_v).
Matrix attention(const Matrix& Q, const Matrix& K, const Matrix& V) {
    const std::size_t d_k = Q.shape(1);
    const Matrix s = attn::scores(Q, K);        // 1) scores (L, S)
    const Matrix scaled = attn::scale(s, d_k);  // 2) scale by 1/√d_k
    const Matrix w = attn::softmax(scaled);     // 3) softmax over each row (L, S)
    return attn::weighted_sum(w, V);            // 4) weighted sum (L, d_v)
}

}  // namespace ex
