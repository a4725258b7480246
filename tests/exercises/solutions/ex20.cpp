// Exercise 20, the reference solution: the forward pass again, then its four steps reversed.
// (With your own exercise 19 done, `softmax_backward` without `attn::` calls yours.)
#include <cmath>

#include <attention/attention.hpp>
#include <attention/backward.hpp>

#include "exercises.hpp"

namespace ex {

// Q (L, d_k), K (S, d_k), V (S, d_v), mask (L, S), dO (L, d_v); returns dQ, dK, dV.
AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& mask, const Matrix& dO) {
    const attn::Attention a = attn::attention(Q, K, V, &mask);  // P (L, S), O (L, d_v)
    const Matrix P_T = xt::transpose(a.weights);
    const Matrix dV = attn::weighted_sum(P_T, dO);            // 4) Pᵀ·dO     (S, d_v)
    const Matrix dP = attn::scores(dO, V);                    //    dO·Vᵀ     (L, S)
    const Matrix dS = attn::softmax_backward(a.weights, dP);  // 3) P ∘ (dP − rowsum(dP ∘ P))
    const double scale = 1.0 / std::sqrt(static_cast<double>(Q.shape(1)));
    const Matrix dS_T = xt::transpose(dS);
    const Matrix dQ = attn::weighted_sum(dS, K) * scale;    // 2), 1) dS·K / √d_k
    const Matrix dK = attn::weighted_sum(dS_T, Q) * scale;  //        dSᵀ·Q / √d_k
    return {dQ, dK, dV};
}

}  // namespace ex
