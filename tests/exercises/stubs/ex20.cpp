// Exercise 20 — attention_backward(Q, K, V, mask, dO): the gradients of attention's inputs.
//
// TODO: write attention_backward(Q, K, V, mask, dO) below.
//   in:  Q (L, d_k), K (S, d_k), V (S, d_v): the inputs of O = softmax(Q·Kᵀ / √d_k + mask)·V
//        mask (L, S), added to the scaled scores: 0 = allowed, -inf = blocked (all zeros:
//        no mask)
//        dO (L, d_v), the upstream gradient ∂loss/∂O
//   out: {dQ (L, d_k), dK (S, d_k), dV (S, d_v)}, each the shape of its input:
//        first the forward pass again, the weights P (L, S) and the output O (L, d_v), then
//        dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ∘ (dP - rowsum(dO ∘ O)),
//        dQ = dS·K / √d_k, dK = dSᵀ·Q / √d_k
// Chapter 20, steps 1 to 4. For the forward pass call the reference attn::attention(Q, K, V,
// &mask) from <attention/attention.hpp> (its .weights and .output), or your own exercises
// 02-05 (scores, scale, + mask, softmax, weighted_sum); for the softmax's backward your own
// exercise 19 (ex::softmax_backward). Plain loops are fine.
//
// Check it: ./workbook check 20    on every save: ./workbook watch 20    stuck: ./workbook hint 20
#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

// Q (L, d_k), K (S, d_k), V (S, d_v), mask (L, S), dO (L, d_v); returns dQ, dK, dV.
AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& mask, const Matrix& dO) {
    todo(20, Q, K, V, mask, dO);  // delete this line, then write the function
}

}  // namespace ex
