// A plausible wrong answer to exercise 11: stops after concatenating the heads.
// expect: forgot the output projection\?
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix mha_forward(const attn::MhaParams& p, const Matrix& query, const Matrix& key,
                   const Matrix& value) {
    const Tensor3 Qh = attn::split_heads(attn::project(query, p.W_q(), p.b_q()), p.H);
    const Tensor3 Kh = attn::split_heads(attn::project(key, p.W_k(), p.b_k()), p.H);
    const Tensor3 Vh = attn::split_heads(attn::project(value, p.W_v(), p.b_v()), p.H);
    return attn::merge_heads(attn::attend_heads(Qh, Kh, Vh).output);
}

}  // namespace ex
