/// \file kv_cache.hpp
/// \brief Generating one token at a time with a key/value cache, and the work it saves.
#pragma once

#include "attention/mha.hpp"
#include "attention/types.hpp"

namespace attn {

/// Multiply-adds of one multi-head forward step, counted (not timed).
struct Work {
    double projections = 0;  ///< X·Wᵀ products for Q, K, V and W_o
    double attention = 0;    ///< Q·Kᵀ and weights·V in all heads
    double total() const { return projections + attention; }  ///< both
};

/// Generation one token at a time with a key/value cache: the keys and values of
/// earlier tokens are kept instead of recomputed (causal self-attention).
class KVCache {
public:
    /// An empty cache for the module `p` (its parameters are copied).
    explicit KVCache(const MhaParams& p);
    /// Feeds the next token x (E,); returns its output (E,), attending to every
    /// token so far (itself included). Adds the work done to last_work().
    Vector step(const Vector& x);
    /// Keys kept so far (t, E), already projected.
    const Matrix& keys() const { return K_; }
    /// Values kept so far (t, E), already projected.
    const Matrix& values() const { return V_; }
    /// Work of the last step.
    const Work& last_work() const { return work_; }

private:
    MhaParams p_;
    Matrix K_, V_;
    Work work_;
};

/// Work of step t (1-based) without a cache: the model runs again on the whole prefix
/// of t tokens (causal), as a plain generation loop does, and keeps only the last row.
Work work_without_cache(std::size_t t, std::size_t E);

}  // namespace attn
