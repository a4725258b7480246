// Exercise 11 — mha_forward(p, query, key, value): the whole multi-head attention module.
//
// TODO: write mha_forward(p, query, key, value) below.
//   in:  p, the module as nn.MultiheadAttention stores it: p.W_q(), p.W_k(), p.W_v() and
//        p.out_proj_weight (E, E), each (out, in); p.b_q(), p.b_k(), p.b_v(), p.b_o() (E,)
//        (zeros when the module has no bias); p.H heads of p.d_head() = E / H columns
//        query (L, E); key (S, E) and value (S, E) — the same matrix as query for
//        self-attention, another sequence for cross-attention
//   out: the output (L, E), what nn.MultiheadAttention returns first
// The five steps of chapters 07-10, in order: 1) project query, key and value with their
// own weights; 2) split each into H heads; 3) attention in every head; 4) merge the
// heads; 5) the output projection. Call your own functions from exercises 07-10 (project,
// split_heads, attend_heads, merge_heads, output_projection: namespace ex) or the
// reference library's (attn::project, attn::split_heads, attn::attend_heads(…).output,
// attn::merge_heads) — but not attn::mha_forward itself.
//
// Check it: ./workbook check 11    on every save: ./workbook watch 11    stuck: ./workbook hint 11
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// query is (L, E), key and value are (S, E); returns (L, E).
Matrix mha_forward(const attn::MhaParams& p, const Matrix& query, const Matrix& key,
                   const Matrix& value) {
    todo(11, p, query, key, value);  // delete this line, then write the function
}

}  // namespace ex
