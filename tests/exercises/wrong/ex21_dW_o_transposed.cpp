// A plausible wrong answer to exercise 21: dW_o = concatᵀ·dO, the right shape (W_o is square)
// but the transposes swapped.
// expect: your dW_o is concatᵀ·dO: the transposes are swapped
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

OutputProjectionGrads output_projection_backward(const Tensor3& heads, const Matrix& W_o,
                                                 const Matrix& dO) {
    const Matrix concat = attn::merge_heads(heads);
    const Matrix concat_T = xt::transpose(concat);
    const Vector db_o = xt::sum(dO, {0});
    return {attn::split_heads(attn::weighted_sum(dO, W_o), heads.shape(0)),
            attn::weighted_sum(concat_T, dO), db_o};
}

}  // namespace ex
