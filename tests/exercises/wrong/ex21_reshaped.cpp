// A plausible wrong answer to exercise 21: d_concat (L, E) reshaped straight to (H, L, d),
// the reshape-without-transpose bug of chapter 08 run backwards.
// expect: reshaped without transposing\? d_concat \(L, E\) read in memory order
#include <xtensor/xstrided_view.hpp>

#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

OutputProjectionGrads output_projection_backward(const Tensor3& heads, const Matrix& W_o,
                                                 const Matrix& dO) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Matrix concat = attn::merge_heads(heads);
    const Matrix dO_T = xt::transpose(dO);
    const Matrix d_concat = attn::weighted_sum(dO, W_o);
    const Tensor3 d_heads = xt::reshape_view(d_concat, {H, L, d});
    const Vector db_o = xt::sum(dO, {0});
    return {d_heads, attn::weighted_sum(dO_T, concat), db_o};
}

}  // namespace ex
