/// \file mha.hpp
/// \brief Part II: multi-head attention with the parameters and semantics of PyTorch's
/// `nn.MultiheadAttention(E, H, batch_first=True)` (kdim = vdim = E, no dropout).
///
/// The forward pass is five small steps, each its own function, so the chapters can
/// show them one by one:
///   1) project       X·Wᵀ + b for the query, key and value inputs   (L, E) → (L, E)
///   2) split_heads   (L, E) → (H, L, d_head), d_head = E / H
///   3) attend_heads  scaled dot-product attention in every head (one product per head,
///                    one softmax over the rows of all heads)
///   4) merge_heads   (H, L, d_head) → (L, E), the heads concatenated
///   5) project       with W_o and b_o: the output projection
#pragma once

#include <optional>
#include <string>

#include <xtensor/xarray.hpp>

#include "attention/types.hpp"

namespace attn {

class Random;

/// The learned parameters, named and laid out as in `nn.MultiheadAttention.state_dict()`.
struct MhaParams {
    std::size_t E = 0;       ///< embed_dim
    std::size_t H = 0;       ///< num_heads; E must be a multiple of H
    Matrix in_proj_weight;   ///< (3E, E): rows [0, E) are W_q, [E, 2E) W_k, [2E, 3E) W_v
    Vector in_proj_bias;     ///< (3E,) b_q, b_k, b_v one after another; empty = no bias
    Matrix out_proj_weight;  ///< (E, E) W_o
    Vector out_proj_bias;    ///< (E,) b_o; empty = no bias

    std::size_t d_head() const { return E / H; }  ///< E / H, the width of one head
    Matrix W_q() const;                           ///< (E, E) block 0 of in_proj_weight
    Matrix W_k() const;                           ///< (E, E) block 1 of in_proj_weight
    Matrix W_v() const;                           ///< (E, E) block 2 of in_proj_weight
    Vector b_q() const;  ///< (E,) block 0 of in_proj_bias, zeros if there is no bias
    Vector b_k() const;  ///< (E,) block 1 of in_proj_bias, zeros if there is no bias
    Vector b_v() const;  ///< (E,) block 2 of in_proj_bias, zeros if there is no bias
    Vector b_o() const;  ///< (E,) out_proj_bias, zeros if there is no bias
};

/// Parameters drawn like PyTorch's initialisation (uniform, scaled by 1/√E), from `rng`.
MhaParams random_mha_params(std::size_t E, std::size_t H, Random& rng, bool bias = true);

/// Step 1) and 5): X (n, E_in), W (E_out, E_in), b (E_out,) or empty; returns X·Wᵀ + b (n, E_out).
Matrix project(const Matrix& X, const Matrix& W, const Vector& b);

/// Step 2): X (L, E) → (H, L, E/H); head h gets columns [h·E/H, (h+1)·E/H).
Tensor3 split_heads(const Matrix& X, std::size_t H);

/// Step 4): heads (H, L, d_head) → (L, H·d_head); the inverse of split_heads.
Matrix merge_heads(const Tensor3& heads);

/// What step 3) computes in every head.
struct HeadsAttention {
    Tensor3 scaled_scores;  ///< (H, L, S) Q_h·K_hᵀ / √d_head, plus the mask
    Tensor3 weights;        ///< (H, L, S) softmax of each row
    Tensor3 output;         ///< (H, L, d_head) weights·V_h
};

/// Step 3): Qh (H, L, d), Kh (H, S, d), Vh (H, S, d); mask (L, S) is added to every
/// head's scaled scores (0 = allowed, −∞ = blocked) or null. One BLAS product per head
/// for the scores and one for the weighted sum; one softmax over all H·L rows.
HeadsAttention attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                            const Matrix* mask = nullptr);

/// The same as attend_heads, one head at a time with Part I's attention().
HeadsAttention attend_heads_loop(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                                 const Matrix* mask = nullptr);

/// Every intermediate of one forward pass on one sequence.
struct MhaForward {
    Matrix Q;              ///< (L, E) step 1: projected queries, query·W_qᵀ + b_q
    Matrix K;              ///< (S, E) step 1: projected keys, key·W_kᵀ + b_k
    Matrix V;              ///< (S, E) step 1: projected values, value·W_vᵀ + b_v
    Tensor3 Qh;            ///< (H, L, d_head) step 2: queries split into heads
    Tensor3 Kh;            ///< (H, S, d_head) step 2: keys split into heads
    Tensor3 Vh;            ///< (H, S, d_head) step 2: values split into heads
    HeadsAttention heads;  ///< step 3: per-head scores, weights (H, L, S), outputs (H, L, d)
    Matrix concat;         ///< (L, E) step 4: heads merged
    Matrix output;         ///< (L, E) step 5: concat·W_oᵀ + b_o
    Matrix weights_mean;   ///< (L, S) the weights averaged over heads (PyTorch's default)
};

/// Multi-head attention on one sequence: query (L, E), key (S, E), value (S, E).
/// mask (L, S) is additive (see additive_mask), already combined with any key
/// padding, or null. The shapes must fit (workbook/validation.hpp checks a user's input).
MhaForward mha_forward(const MhaParams& p, const Matrix& query, const Matrix& key,
                       const Matrix& value, const Matrix* mask = nullptr);

/// The results of a batched forward pass.
struct MhaBatch {
    Tensor3 output;        ///< (B, L, E)
    Tensor4 weights;       ///< (B, H, L, S) per head
    Tensor3 weights_mean;  ///< (B, L, S) averaged over heads
};

/// `nn.MultiheadAttention(batch_first=True)` on a batch: query (B, L, E), key and value
/// (B, S, E); attn_mask additive (L, S) or (B·H, L, S); key_padding_mask additive (B, S).
/// Each may be absent. The shapes must fit (check_batch in workbook/validation.hpp).
MhaBatch mha_forward_batch(
        const MhaParams& p, const Tensor3& query, const Tensor3& key, const Tensor3& value,
        const std::optional<xt::xarray<double>>& attn_mask = std::nullopt,
        const std::optional<xt::xarray<double>>& key_padding_mask = std::nullopt);

}  // namespace attn
