// A plausible wrong answer to exercise 14: the keys taken from the query sequence (the
// target), the values from the source: L keys for S values.
// expect: keys and values both come from the sequence being attended to
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix cross_attention(const Matrix& target, const Matrix& source, const Matrix& W_q,
                       const Matrix& W_k, const Matrix& W_v) {
    const Matrix Q = attn::project(target, W_q, Vector{});
    const Matrix K = attn::project(target, W_k, Vector{});
    const Matrix V = attn::project(source, W_v, Vector{});
    return attn::attention(Q, K, V).output;
}

}  // namespace ex
