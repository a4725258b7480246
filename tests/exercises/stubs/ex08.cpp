// Exercise 08 — split_heads(X, H) and merge_heads(heads): (L, E) → (H, L, E/H) and back.
//
// TODO: write split_heads and merge_heads below.
//   split_heads  in:  X (L, E), one token per row; H, the number of heads (it divides E)
//                out: (H, L, d) with d = E / H: head h gets columns h·d … (h+1)·d - 1 of
//                     every token, heads(h, i, c) = X(i, h·d + c)
//   merge_heads  in:  heads (H, L, d)
//                out: (L, H·d), the heads side by side again: out(i, h·d + c) = heads(h, i, c)
// Chapter 08: in PyTorch, x.view(L, H, d).transpose(0, 1) — the transpose is the point
// (step 3 shows what x.view(H, L, d) alone does). Plain loops are fine: create the
// result with xt::zeros<double>({H, L, d}) and fill it; a Tensor3 is indexed t(h, i, c).
//
// Check it: ./workbook check 08    on every save: ./workbook watch 08    stuck: ./workbook hint 08
#include "exercises.hpp"

namespace ex {

// X is (L, E); returns (H, L, E/H).
Tensor3 split_heads(const Matrix& X, std::size_t H) {
    todo(8, X, H);  // delete this line, then write the function
}

// heads is (H, L, d); returns (L, H·d).
Matrix merge_heads(const Tensor3& heads) {
    todo(8, heads);  // delete this line, then write the function
}

}  // namespace ex
