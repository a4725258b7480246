// Exercise 21 — output_projection_backward(heads, W_o, dO): steps 5 and 4 of multi-head
// attention, reversed.
//
// TODO: write output_projection_backward(heads, W_o, dO) below.
//   in:  heads (H, L, d), every head's output (chapter 09)
//        W_o (E, E) with E = H·d, out_proj.weight as PyTorch stores it (out, in)
//        dO (L, E), the upstream gradient of output = concat·W_oᵀ + b_o, where concat (L, E)
//        is the heads side by side, concat(i, h·d + c) = heads(h, i, c)
//   out: {d_heads (H, L, d), dW_o (E, E), db_o (E,)}:
//        d_concat = dO·W_o (L, E), then d_heads(h, i, c) = d_concat(i, h·d + c);
//        dW_o = dOᵀ·concat (out_proj.weight.grad); db_o(r) = Σ_i dO(i, r) (out_proj.bias.grad)
// Chapter 21, steps 2 and 3. Call your own merge_heads and split_heads from exercise 08
// (in namespace ex), or the reference attn::merge_heads and attn::split_heads from
// <attention/mha.hpp>; attn::weighted_sum(A, B) from <attention/attention.hpp> is the product
// A·B of any matrices that fit — or write the loops yourself.
//
// Check it: ./workbook check 21    on every save: ./workbook watch 21    stuck: ./workbook hint 21
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// heads (H, L, d), W_o (E, E), dO (L, E); returns d_heads (H, L, d), dW_o (E, E), db_o (E,).
OutputProjectionGrads output_projection_backward(const Tensor3& heads, const Matrix& W_o,
                                                 const Matrix& dO) {
    todo(21, heads, W_o, dO);  // delete this line, then write the function
}

}  // namespace ex
