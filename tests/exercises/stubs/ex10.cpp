// Exercise 10 — output_projection(heads, W_o, b_o): concatenate the heads, then W_o.
//
// TODO: write output_projection(heads, W_o, b_o) below.
//   in:  heads (H, L, d), every head's output (chapter 09)
//        W_o (E, E) with E = H·d, out_proj.weight as PyTorch stores it (out, in)
//        b_o (E,), out_proj.bias, or empty (b_o.size() == 0) when there is no bias
//   out: (L, E) = concat·W_oᵀ + b_o, where concat (L, E) is the heads side by side:
//        concat(i, h·d + c) = heads(h, i, c)
// Chapter 10: step 1 concatenates (merge_heads from chapter 08), step 2 is the explainer's
// "Final Linear layer" (project from chapter 07). Call your own merge_heads and project
// from exercises 08 and 07 (in namespace ex), or the reference attn::merge_heads and
// attn::project from <attention/mha.hpp> — or write the loops yourself.
//
// Check it: ./workbook check 10    on every save: ./workbook watch 10    stuck: ./workbook hint 10
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// heads is (H, L, d), W_o is (E, E), b_o is (E,) or empty; returns (L, E).
Matrix output_projection(const Tensor3& heads, const Matrix& W_o, const Vector& b_o) {
    todo(10, heads, W_o, b_o);  // delete this line, then write the function
}

}  // namespace ex
