// Exercise 21, the reference solution: merge the heads as the forward pass did, then the
// linear layer's three gradients, then split d_concat back into heads.
// (With your own exercise 08 done, `merge_heads` and `split_heads` without `attn::` call yours.)
#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// heads (H, L, d), W_o (E, E), dO (L, E); returns d_heads (H, L, d), dW_o (E, E), db_o (E,).
OutputProjectionGrads output_projection_backward(const Tensor3& heads, const Matrix& W_o,
                                                 const Matrix& dO) {
    const Matrix concat = attn::merge_heads(heads);        // the forward's step 4, (L, E)
    const Matrix dO_T = xt::transpose(dO);                 // (E, L)
    const Matrix d_concat = attn::weighted_sum(dO, W_o);   // 5) dO·W_o      (L, E)
    const Matrix dW_o = attn::weighted_sum(dO_T, concat);  //    dOᵀ·concat  (E, E)
    const Vector db_o = xt::sum(dO, {0});                  //    Σ_i dO(i, ·) (E,)
    return {attn::split_heads(d_concat, heads.shape(0)), dW_o, db_o};  // 4) the reverse of merging
}

}  // namespace ex
