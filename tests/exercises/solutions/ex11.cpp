// Exercise 11, the reference solution: chapters 07-10's five steps, one call each.
// (With your own exercises 07-10 done, the same body without `attn::` calls them instead.)
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// query is (L, E), key and value are (S, E); returns (L, E).
Matrix mha_forward(const attn::MhaParams& p, const Matrix& query, const Matrix& key,
                   const Matrix& value) {
    // 1) project: each input with its own weights (L, E), (S, E), (S, E)
    const Matrix Q = attn::project(query, p.W_q(), p.b_q());
    const Matrix K = attn::project(key, p.W_k(), p.b_k());
    const Matrix V = attn::project(value, p.W_v(), p.b_v());
    // 2) split into heads: (H, L, d), (H, S, d), (H, S, d)
    const Tensor3 Qh = attn::split_heads(Q, p.H), Kh = attn::split_heads(K, p.H),
                  Vh = attn::split_heads(V, p.H);
    // 3) attention in every head: (H, L, d)
    const Tensor3 heads = attn::attend_heads(Qh, Kh, Vh).output;
    // 4) merge the heads (L, E), 5) the output projection (L, E)
    return attn::project(attn::merge_heads(heads), p.out_proj_weight, p.b_o());
}

}  // namespace ex
