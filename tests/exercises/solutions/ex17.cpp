// Exercise 17, the reference solution: project the new token, append its key and value,
// attend from its query to the whole cache, merge and project out.
// (With your own exercises 07-10 done, the same body without `attn::` calls them.)
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

namespace {
// cache (t, E) with the row r (1, E) appended: (t+1, E).
Matrix appended(const Matrix& cache, const Matrix& r) {
    const std::size_t t = cache.shape(0), E = r.shape(1);
    Matrix out = xt::zeros<double>({t + 1, E});
    xt::view(out, xt::range(0, t), xt::all()) = cache;
    xt::row(out, t) = xt::row(r, 0);
    return out;
}
}  // namespace

// K_cache and V_cache are (t, E) and become (t+1, E); x is (E,); returns (E,).
Vector kv_cache_step(const attn::MhaParams& p, Matrix& K_cache, Matrix& V_cache, const Vector& x) {
    const Matrix row = xt::view(x, xt::newaxis(), xt::all());  // (1, E)
    // 1) project only the new token: one query, one key, one value (1, E)
    const Matrix q = attn::project(row, p.W_q(), p.b_q());
    const Matrix k = attn::project(row, p.W_k(), p.b_k());
    const Matrix v = attn::project(row, p.W_v(), p.b_v());
    // 2) append its key and value: (t+1, E)
    K_cache = appended(K_cache, k);
    V_cache = appended(V_cache, v);
    // 3) attend from the new query to every cached key, in every head: (H, 1, d)
    const Tensor3 heads =
            attn::attend_heads(attn::split_heads(q, p.H), attn::split_heads(K_cache, p.H),
                               attn::split_heads(V_cache, p.H))
                    .output;
    // 4) merge and project out: (1, E), its row 0
    const Matrix out = attn::project(attn::merge_heads(heads), p.out_proj_weight, p.b_o());
    return xt::row(out, 0);
}

}  // namespace ex
