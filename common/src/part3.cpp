// Part III: masks, positions and a KV cache (see part3.hpp).
#include "attention/part3.hpp"

#include <cmath>
#include <limits>

#include <xtensor/xview.hpp>

namespace attn {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

// Returns (L, L): 0 where j <= i, −∞ where j > i.
Matrix causal_mask(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = i + 1; j < L; ++j) m(i, j) = -kInf;
    return m;
}

// Returns (L, L): 1 where j > i (blocked), 0 elsewhere.
Matrix causal_mask_bool(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = i + 1; j < L; ++j) m(i, j) = 1.0;
    return m;
}

// lengths has B entries; returns (B, S).
Matrix padding_mask(const std::vector<std::size_t>& lengths, std::size_t S) {
    Matrix m = xt::zeros<double>({lengths.size(), S});
    for (std::size_t b = 0; b < lengths.size(); ++b)
        for (std::size_t j = lengths[b]; j < S; ++j) m(b, j) = -kInf;
    return m;
}

// Returns (L, E).
Matrix positional_encoding(std::size_t L, std::size_t E) {
    Matrix pe = xt::zeros<double>({L, E});
    for (std::size_t pos = 0; pos < L; ++pos) {
        for (std::size_t c = 0; c < E; ++c) {
            const double i2 = static_cast<double>(c - c % 2);  // 2i for both sin and cos
            const double angle = static_cast<double>(pos) / std::pow(10000.0, i2 / static_cast<double>(E));
            pe(pos, c) = (c % 2 == 0) ? std::sin(angle) : std::cos(angle);
        }
    }
    return pe;
}

KVCache::KVCache(const MhaParams& p)
    : p_(p), K_(xt::zeros<double>({std::size_t{0}, p.E})), V_(xt::zeros<double>({std::size_t{0}, p.E})) {}

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
    const HeadsAttention a = attend_heads(split_heads(q, p_.H), split_heads(K_, p_.H), split_heads(V_, p_.H));
    // 4) merge and project out
    const Matrix out = project(merge_heads(a.output), p_.out_proj_weight, p_.out_proj_bias);
    const double t = static_cast<double>(K_.shape(0)), e = static_cast<double>(E);
    work_.projections = 4 * e * e;     // q, k, v of one token, and W_o of one row
    work_.attention = 2 * t * e;       // one query row against t keys, then t values
    return xt::row(out, 0);
}

Work work_without_cache(std::size_t t, std::size_t E) {
    const double T = static_cast<double>(t), e = static_cast<double>(E);
    Work w;
    w.projections = 4 * T * e * e;  // Q, K, V and W_o for every row of the prefix
    w.attention = T * (T + 1) * e;  // causal: row i scores i + 1 keys and mixes i + 1 values
    return w;
}

}  // namespace attn
