// Exercise 14, the reference solution: Q from the target, K and V from the source, then
// chapter 06's attention. (With your own exercises 06 and 07 done, drop the `attn::`.)
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// target is (L, E_t), source is (S, E_s); returns (L, d_v).
Matrix cross_attention(const Matrix& target, const Matrix& source, const Matrix& W_q,
                       const Matrix& W_k, const Matrix& W_v) {
    const Matrix Q = attn::project(target, W_q, Vector{});  // (L, d): the target asks
    const Matrix K = attn::project(source, W_k, Vector{});  // (S, d): the source answers …
    const Matrix V = attn::project(source, W_v, Vector{});  // (S, d_v): … and supplies the values
    return attn::attention(Q, K, V).output;                 // softmax(Q·Kᵀ / √d)·V: (L, d_v)
}

}  // namespace ex
