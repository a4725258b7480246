// Exercise 12 — average_heads(weights): the heads' weights as one map, PyTorch's default view.
// (Not how the heads are combined: that is concatenate, then W_o - chapter 10.)
//
// TODO: write average_heads(weights) below.
//   in:  weights (H, L, S), one attention map per head: weights(h, i, j) is how much
//        query i attends to key j in head h
//   out: (L, S), the mean over the heads: out(i, j) = (1/H)·Σ_h weights(h, i, j)
// nn.MultiheadAttention returns exactly this unless you pass average_attn_weights=False
// (chapter 11 prints both). Each row of the result still sums to 1. On chapter 12's
// sentence it shows what one averaged map does to three sharp relationships.
//
// Check it: ./workbook check 12    on every save: ./workbook watch 12    stuck: ./workbook hint 12
#include "exercises.hpp"

namespace ex {

// weights is (H, L, S); returns (L, S).
Matrix average_heads(const Tensor3& weights) {
    todo(12, weights);  // delete this line, then write the function
}

}  // namespace ex
