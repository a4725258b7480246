// A plausible wrong answer to exercise 10: the heads "concatenated" by a plain reshape of
// (H, L, d) to (L, E), then projected.
// expect: reshaped without transposing\?
#include <xtensor/xstrided_view.hpp>

#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix output_projection(const Tensor3& heads, const Matrix& W_o, const Vector& b_o) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Matrix concat = xt::reshape_view(heads, {L, H * d});
    return attn::project(concat, W_o, b_o);
}

}  // namespace ex
