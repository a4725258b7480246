// A plausible wrong answer to exercise 10: concat·W_o + b_o, reading W_o as (in, out).
// expect: concat·W_o \+ b_o, without the transpose
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix output_projection(const Tensor3& heads, const Matrix& W_o, const Vector& b_o) {
    const Matrix concat = attn::merge_heads(heads);
    const std::size_t L = concat.shape(0), E = W_o.shape(0);
    Matrix out = xt::zeros<double>({L, E});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t r = 0; r < E; ++r) {
            for (std::size_t c = 0; c < E; ++c) out(i, r) += concat(i, c) * W_o(c, r);
            if (b_o.size() != 0) out(i, r) += b_o(r);
        }
    return out;
}

}  // namespace ex
