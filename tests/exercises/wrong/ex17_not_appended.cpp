// A plausible wrong answer to exercise 17: the new key and value are used for this step,
// but the caches are passed by value in spirit — never written back, so they never grow.
// expect: the cache did not grow
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

Vector kv_cache_step(const attn::MhaParams& p, Matrix& K_cache, Matrix& V_cache, const Vector& x) {
    const std::size_t t = K_cache.shape(0);
    const Matrix row = xt::view(x, xt::newaxis(), xt::all());
    const Matrix q = attn::project(row, p.W_q(), p.b_q());
    Matrix K = xt::zeros<double>({t + 1, p.E}), V = xt::zeros<double>({t + 1, p.E});
    xt::view(K, xt::range(0, t), xt::all()) = K_cache;
    xt::view(V, xt::range(0, t), xt::all()) = V_cache;
    xt::row(K, t) = xt::row(attn::project(row, p.W_k(), p.b_k()), 0);
    xt::row(V, t) = xt::row(attn::project(row, p.W_v(), p.b_v()), 0);
    const Tensor3 heads = attn::attend_heads(attn::split_heads(q, p.H), attn::split_heads(K, p.H),
                                             attn::split_heads(V, p.H))
                                  .output;
    return xt::row(attn::project(attn::merge_heads(heads), p.out_proj_weight, p.b_o()), 0);
}

}  // namespace ex
