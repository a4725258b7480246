// A plausible wrong answer to exercise 14: the roles swapped, the queries taken from the
// source and the keys and values from the target.
// expect: one row per source token: Q from the source\?
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix cross_attention(const Matrix& target, const Matrix& source, const Matrix& W_q,
                       const Matrix& W_k, const Matrix& W_v) {
    const Matrix Q = attn::project(source, W_q, Vector{});
    const Matrix K = attn::project(target, W_k, Vector{});
    const Matrix V = attn::project(target, W_v, Vector{});
    return attn::attention(Q, K, V).output;
}

}  // namespace ex
