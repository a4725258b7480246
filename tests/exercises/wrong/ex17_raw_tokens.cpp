// A plausible wrong answer to exercise 17: the cache keeps the raw tokens and projects the
// whole of it again at every step — the outputs of a run from an empty cache are right,
// but the cache holds tokens, not keys and values, and the work it was meant to save is
// done anyway.
// expect: your K cache holds the raw tokens
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

namespace {
Matrix appended(const Matrix& cache, const Matrix& r) {
    const std::size_t t = cache.shape(0);
    Matrix out = xt::zeros<double>({t + 1, r.shape(1)});
    xt::view(out, xt::range(0, t), xt::all()) = cache;
    xt::row(out, t) = xt::row(r, 0);
    return out;
}
}  // namespace

Vector kv_cache_step(const attn::MhaParams& p, Matrix& K_cache, Matrix& V_cache, const Vector& x) {
    const Matrix row = xt::view(x, xt::newaxis(), xt::all());
    K_cache = appended(K_cache, row);
    V_cache = appended(V_cache, row);
    const Matrix q = attn::project(row, p.W_q(), p.b_q());
    const Matrix K = attn::project(K_cache, p.W_k(), p.b_k());
    const Matrix V = attn::project(V_cache, p.W_v(), p.b_v());
    const Tensor3 heads = attn::attend_heads(attn::split_heads(q, p.H), attn::split_heads(K, p.H),
                                             attn::split_heads(V, p.H))
                                  .output;
    return xt::row(attn::project(attn::merge_heads(heads), p.out_proj_weight, p.b_o()), 0);
}

}  // namespace ex
