// A plausible wrong answer to exercise 21: d_concat = dO·W_oᵀ, "the forward used W_oᵀ, so
// the backward uses it too".
// expect: your d_heads come from dO·W_oᵀ: the transposes are swapped
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

OutputProjectionGrads output_projection_backward(const Tensor3& heads, const Matrix& W_o,
                                                 const Matrix& dO) {
    const Matrix concat = attn::merge_heads(heads);
    const Matrix dO_T = xt::transpose(dO), W_o_T = xt::transpose(W_o);
    const Vector db_o = xt::sum(dO, {0});
    return {attn::split_heads(attn::weighted_sum(dO, W_o_T), heads.shape(0)),
            attn::weighted_sum(dO_T, concat), db_o};
}

}  // namespace ex
