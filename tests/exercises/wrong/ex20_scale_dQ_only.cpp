// A plausible wrong answer to exercise 20: the 1/√d_k applied to dQ only, as if only the
// queries had been scaled.
// expect: dK lacks the 1/√d_k
#include <cmath>

#include <attention/attention.hpp>
#include <attention/backward.hpp>

#include "exercises.hpp"

namespace ex {

AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& mask, const Matrix& dO) {
    const attn::Attention a = attn::attention(Q, K, V, &mask);
    const Matrix P_T = xt::transpose(a.weights);
    const Matrix dS = attn::softmax_backward(a.weights, attn::scores(dO, V));
    const Matrix dS_T = xt::transpose(dS);
    const double scale = 1.0 / std::sqrt(static_cast<double>(Q.shape(1)));
    return {attn::weighted_sum(dS, K) * scale, attn::weighted_sum(dS_T, Q),
            attn::weighted_sum(P_T, dO)};
}

}  // namespace ex
