// A plausible wrong answer to exercise 09: the heads' scores of each query put side by side,
// (L, H·S), and one softmax run over all of them, so the heads share one budget of weight.
// expect: one softmax over all the heads' scores
#include <cmath>

#include <xtensor/xview.hpp>

#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

Tensor3 attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh) {
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), S = Kh.shape(1), d = Qh.shape(2);
    Matrix all = xt::zeros<double>({L, H * S});  // query i's scores in every head
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix s = attn::scale(attn::scores(xt::view(Qh, h), xt::view(Kh, h)), d);
        xt::view(all, xt::all(), xt::range(h * S, (h + 1) * S)) = s;
    }
    const Matrix w = attn::softmax(all);
    Tensor3 out = xt::zeros<double>({H, L, Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix w_h = xt::view(w, xt::all(), xt::range(h * S, (h + 1) * S));
        xt::view(out, h) = attn::weighted_sum(w_h, xt::view(Vh, h));
    }
    return out;
}

}  // namespace ex
