// Exercise 14 — cross_attention(target, source, W_q, W_k, W_v): one sequence asks, another answers.
//
// TODO: write cross_attention(target, source, W_q, W_k, W_v) below.
//   in:  target (L, E_t), the sequence that asks: in translation, the French written so far
//        source (S, E_s), the sequence it reads: the English sentence (S ≠ L in general)
//        W_q (d, E_t), W_k (d, E_s), W_v (d_v, E_s), stored (out, in) as in PyTorch
//   out: (L, d_v) = softmax(Q·Kᵀ / √d)·V, one row per TARGET token, with
//        Q = target·W_qᵀ (L, d), K = source·W_kᵀ (S, d), V = source·W_vᵀ (S, d_v)
// Chapter 14: the same formula as self-attention, but the queries come from one sequence
// and the keys and values from the other; the weights are (L, S). No biases here. Call
// your own project and attention from exercises 07 and 06 (namespace ex; pass Vector{}
// as the bias), or attn::project and attn::attention(…).output — or write the loops.
//
// Check it: ./workbook check 14    on every save: ./workbook watch 14    stuck: ./workbook hint 14
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// target is (L, E_t), source is (S, E_s); W_q (d, E_t), W_k (d, E_s), W_v (d_v, E_s);
// returns (L, d_v).
Matrix cross_attention(const Matrix& target, const Matrix& source, const Matrix& W_q,
                       const Matrix& W_k, const Matrix& W_v) {
    todo(14, target, source, W_q, W_k, W_v);  // delete this line, then write the function
}

}  // namespace ex
