// A plausible wrong answer to exercise 20: dV = P·dO, the transpose forgotten. It even has
// the right shape when L = S, as in the toy example.
// expect: your dV is P·dO: the transposes are swapped
#include <cmath>

#include <attention/attention.hpp>
#include <attention/backward.hpp>

#include "exercises.hpp"

namespace ex {

AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& mask, const Matrix& dO) {
    const attn::Attention a = attn::attention(Q, K, V, &mask);
    const Matrix dS = attn::softmax_backward(a.weights, attn::scores(dO, V));
    const Matrix dS_T = xt::transpose(dS);
    const double scale = 1.0 / std::sqrt(static_cast<double>(Q.shape(1)));
    return {attn::weighted_sum(dS, K) * scale, attn::weighted_sum(dS_T, Q) * scale,
            attn::weighted_sum(a.weights, dO)};
}

}  // namespace ex
