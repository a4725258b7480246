// Exercise 10, the reference solution: merge the heads, then the output projection.
// (With your own exercises 07 and 08 done, the same body without `attn::` calls them.)
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// heads is (H, L, d), W_o is (E, E), b_o is (E,) or empty; returns (L, E).
Matrix output_projection(const Tensor3& heads, const Matrix& W_o, const Vector& b_o) {
    const Matrix concat = attn::merge_heads(heads);  // 1) concatenate: (L, E)
    return attn::project(concat, W_o, b_o);          // 2) concat·W_oᵀ + b_o: (L, E)
}

}  // namespace ex
