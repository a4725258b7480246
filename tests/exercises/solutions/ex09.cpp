// Exercise 09, the reference solution: chapter 06's attention, once per head.
// (With your own exercise 06 done, `attention(Q_h, K_h, V_h)` calls it instead.)
#include <xtensor/xview.hpp>

#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

// Qh is (H, L, d), Kh is (H, S, d), Vh is (H, S, d); returns (H, L, d).
Tensor3 attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh) {
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), d_v = Vh.shape(2);
    Tensor3 out = xt::zeros<double>({H, L, d_v});
    for (std::size_t h = 0; h < H; ++h) {                          // every head on its own
        const Matrix Q_h = xt::view(Qh, h);                        // (L, d)
        const Matrix K_h = xt::view(Kh, h);                        // (S, d)
        const Matrix V_h = xt::view(Vh, h);                        // (S, d)
        xt::view(out, h) = attn::attention(Q_h, K_h, V_h).output;  // softmax(Q_h·K_hᵀ / √d)·V_h
    }
    return out;
}

}  // namespace ex
