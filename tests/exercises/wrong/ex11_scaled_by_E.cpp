// A plausible wrong answer to exercise 11: each head's scores divided by √E, the model's
// width, instead of √d_head.
// expect: divided by √E = .*instead of √d_head
#include <cmath>

#include <xtensor/xview.hpp>

#include <attention/attention.hpp>
#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Matrix mha_forward(const attn::MhaParams& p, const Matrix& query, const Matrix& key,
                   const Matrix& value) {
    const Tensor3 Qh = attn::split_heads(attn::project(query, p.W_q(), p.b_q()), p.H);
    const Tensor3 Kh = attn::split_heads(attn::project(key, p.W_k(), p.b_k()), p.H);
    const Tensor3 Vh = attn::split_heads(attn::project(value, p.W_v(), p.b_v()), p.H);
    Tensor3 heads = xt::zeros<double>({p.H, query.shape(0), p.d_head()});
    for (std::size_t h = 0; h < p.H; ++h) {
        const Matrix s = attn::scores(xt::view(Qh, h), xt::view(Kh, h)) / std::sqrt(double(p.E));
        xt::view(heads, h) = attn::weighted_sum(attn::softmax(s), xt::view(Vh, h));
    }
    return attn::project(attn::merge_heads(heads), p.out_proj_weight, p.b_o());
}

}  // namespace ex
