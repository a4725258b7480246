/// \file part3.hpp
/// \brief Part III: what real models add to the formula — masks, positions, a KV cache.
#pragma once

#include <vector>

#include "attention/mha.hpp"
#include "attention/types.hpp"

namespace attn {

/// Causal mask for text generation, additive (L, L): 0 on and below the diagonal,
/// −∞ above it, so token i sees tokens 0..i and never a later one.
Matrix causal_mask(std::size_t L);

/// The same mask in PyTorch's bool form (L, L): 1 (True) = not allowed, above the diagonal.
Matrix causal_mask_bool(std::size_t L);

/// Key padding for a batch of sequences of the given lengths, padded to S: additive
/// (B, S), −∞ at every padding position j ≥ lengths[b].
Matrix padding_mask(const std::vector<std::size_t>& lengths, std::size_t S);

/// Sinusoidal positional encodings of the original Transformer paper, (L, E):
/// PE(pos, 2i) = sin(pos / 10000^(2i/E)), PE(pos, 2i+1) = cos(pos / 10000^(2i/E)).
Matrix positional_encoding(std::size_t L, std::size_t E);

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
