// A plausible wrong answer to exercise 08: numpy's x.reshape(H, L, d) with no transpose,
// for both directions. Right shapes, wrong contents.
// expect: reshaped without transposing\? .*tokens are mixed across heads
#include <xtensor/xstrided_view.hpp>

#include "exercises.hpp"

namespace ex {

Tensor3 split_heads(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), d = X.shape(1) / H;
    return xt::reshape_view(X, {H, L, d});
}

Matrix merge_heads(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    return xt::reshape_view(heads, {L, H * d});
}

}  // namespace ex
