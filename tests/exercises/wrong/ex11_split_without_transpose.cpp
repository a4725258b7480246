// A plausible wrong answer to exercise 11: heads made by reshaping (L, E) straight to
// (H, L, d) and merged back by the reverse reshape: every shape fits, the numbers do not.
// expect: reshaped without transposing\? .*tokens are mixed across heads
#include <xtensor/xstrided_view.hpp>

#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

namespace {
Tensor3 split(const Matrix& X, std::size_t H) {
    return xt::reshape_view(X, {H, X.shape(0), X.shape(1) / H});
}
}  // namespace

Matrix mha_forward(const attn::MhaParams& p, const Matrix& query, const Matrix& key,
                   const Matrix& value) {
    const Tensor3 Qh = split(attn::project(query, p.W_q(), p.b_q()), p.H);
    const Tensor3 Kh = split(attn::project(key, p.W_k(), p.b_k()), p.H);
    const Tensor3 Vh = split(attn::project(value, p.W_v(), p.b_v()), p.H);
    const Matrix concat =
            xt::reshape_view(attn::attend_heads(Qh, Kh, Vh).output, {query.shape(0), p.E});
    return attn::project(concat, p.out_proj_weight, p.b_o());
}

}  // namespace ex
