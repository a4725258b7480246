// A plausible wrong answer to exercise 14: self-attention on the target, the source never
// used — keys and values made from the query sequence.
// expect: keys and values came from the target
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix cross_attention(const Matrix& target, const Matrix&, const Matrix& W_q, const Matrix& W_k,
                       const Matrix& W_v) {
    const Matrix Q = attn::project(target, W_q, Vector{});
    const Matrix K = attn::project(target, W_k, Vector{});
    const Matrix V = attn::project(target, W_v, Vector{});
    return attn::attention(Q, K, V).output;
}

}  // namespace ex
