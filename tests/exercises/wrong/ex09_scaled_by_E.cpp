// A plausible wrong answer to exercise 09: every head's scores divided by √E, the width of
// the whole model, instead of √d, the width of one head.
// expect: divided by √E = .*instead of √d
#include <cmath>

#include <xtensor/xview.hpp>

#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

Tensor3 attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh) {
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), d = Qh.shape(2);
    const double E = static_cast<double>(H * d);
    Tensor3 out = xt::zeros<double>({H, L, Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix Q_h = xt::view(Qh, h), K_h = xt::view(Kh, h), V_h = xt::view(Vh, h);
        const Matrix w = attn::softmax(attn::scores(Q_h, K_h) / std::sqrt(E));
        xt::view(out, h) = attn::weighted_sum(w, V_h);
    }
    return out;
}

}  // namespace ex
