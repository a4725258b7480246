// A plausible wrong answer to exercise 11: written for self-attention only, projecting
// K and V from `query` as well. Right on the toy example, wrong for cross-attention.
// expect: K and V were projected from query
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix mha_forward(const attn::MhaParams& p, const Matrix& query, const Matrix&, const Matrix&) {
    const Tensor3 Qh = attn::split_heads(attn::project(query, p.W_q(), p.b_q()), p.H);
    const Tensor3 Kh = attn::split_heads(attn::project(query, p.W_k(), p.b_k()), p.H);
    const Tensor3 Vh = attn::split_heads(attn::project(query, p.W_v(), p.b_v()), p.H);
    return attn::project(attn::merge_heads(attn::attend_heads(Qh, Kh, Vh).output),
                         p.out_proj_weight, p.b_o());
}

}  // namespace ex
