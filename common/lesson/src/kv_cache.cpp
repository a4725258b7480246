// Generation with a key/value cache (see kv_cache.hpp).
#include "attention/kv_cache.hpp"

#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

namespace attn {

KVCache::KVCache(const MhaParams& p)
    : p_(p),
      K_(xt::zeros<double>({std::size_t{0}, p.E})),
      V_(xt::zeros<double>({std::size_t{0}, p.E})) {}

//! [step]
// x is (E,); returns (E,).
Vector KVCache::step(const Vector& x) {
    const std::size_t E = p_.E;
    const Matrix row = xt::reshape_view(x, {std::size_t{1}, E});  // (1, E)
    // 1) project only the new token: one query, one key, one value
    const Matrix q = project(row, p_.W_q(), p_.b_q());
    const Matrix k = project(row, p_.W_k(), p_.b_k());
    const Matrix v = project(row, p_.W_v(), p_.b_v());
    // 2) append its key and value to the cache: (t, E)
    K_ = xt::concatenate(xt::xtuple(K_, k), 0);
    V_ = xt::concatenate(xt::xtuple(V_, v), 0);
    // 3) attend from the new query to every cached key, in every head
    const HeadsAttention a =
            attend_heads(split_heads(q, p_.H), split_heads(K_, p_.H), split_heads(V_, p_.H));
    // 4) merge and project out
    const Matrix out = project(merge_heads(a.output), p_.out_proj_weight, p_.out_proj_bias);
    const double t = static_cast<double>(K_.shape(0)), e = static_cast<double>(E);
    work_.projections = 4 * e * e;  // q, k, v of one token, and W_o of one row
    work_.attention = 2 * t * e;    // one query row against t keys, then t values
    return xt::row(out, 0);
}
//! [step]

//! [work_without_cache]
Work work_without_cache(std::size_t t, std::size_t E) {
    const double T = static_cast<double>(t), e = static_cast<double>(E);
    Work w;
    w.projections = 4 * T * e * e;  // Q, K, V and W_o for every row of the prefix
    w.attention = T * (T + 1) * e;  // causal: row i scores i + 1 keys and mixes i + 1 values
    return w;
}
//! [work_without_cache]

}  // namespace attn
