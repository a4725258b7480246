// Exercise 09 — attend_heads(Qh, Kh, Vh): attention in every head, each on its own.
//
// TODO: write attend_heads(Qh, Kh, Vh) below.
//   in:  Qh (H, L, d), Kh (H, S, d), Vh (H, S, d): the queries, keys and values split
//        into H heads of d = E / H columns (chapter 08)
//   out: (H, L, d), head h's output = softmax(Q_h·K_hᵀ / √d)·V_h, where Q_h is Qh's
//        matrix h (L, d), K_h and V_h likewise (S, d)
// Chapter 09: head h is chapter 06's attention on its own slices, scaled by √d (the width
// of a head), and nothing in it depends on another head. xt::view(Qh, h) is head h as an
// (L, d) matrix: Matrix Q_h = xt::view(Qh, h); and xt::view(out, h) = … writes head h.
// Call your own attention from exercise 06 (ex::attention), or the reference one,
// attn::attention(Q_h, K_h, V_h).output from <attention/attention.hpp> — or write the
// steps yourself.
//
// Check it: ./workbook check 09    on every save: ./workbook watch 09    stuck: ./workbook hint 09
#include <xtensor/xview.hpp>

#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

// Qh is (H, L, d), Kh is (H, S, d), Vh is (H, S, d); returns (H, L, d).
Tensor3 attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh) {
    todo(9, Qh, Kh, Vh);  // delete this line, then write the function
}

}  // namespace ex
