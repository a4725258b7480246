// A plausible wrong answer to exercise 20: the softmax's backward taken as P ∘ dP, forgetting
// that every weight of a row shares one sum.
// expect: comes from dS = P ∘ dP: you forgot the − rowsum term
#include <cmath>

#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& mask, const Matrix& dO) {
    const attn::Attention a = attn::attention(Q, K, V, &mask);
    const Matrix P_T = xt::transpose(a.weights);
    const Matrix dP = attn::scores(dO, V);
    const Matrix dS = a.weights * dP;
    const Matrix dS_T = xt::transpose(dS);
    const double scale = 1.0 / std::sqrt(static_cast<double>(Q.shape(1)));
    return {attn::weighted_sum(dS, K) * scale, attn::weighted_sum(dS_T, Q) * scale,
            attn::weighted_sum(P_T, dO)};
}

}  // namespace ex
