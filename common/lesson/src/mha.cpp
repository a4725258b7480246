// Part II: multi-head attention with nn.MultiheadAttention's parameters (see mha.hpp).
//
// What PyTorch 1.13 does, and so what this file does (tests/fixtures/part2 checks it):
//  - Masks are additive here: bool True → −∞, float → added to the scaled scores. An
//    attn_mask and a key_padding_mask are added together. For a bool key_padding_mask that
//    is what 1.13 computes (logical_or with a bool attn_mask, masked_fill(−∞) on a float
//    one), and a float key_padding_mask on its own is added too. Two 1.13 quirks are not
//    copied by the addition: beside a bool attn_mask, 1.13 reads a float key_padding_mask
//    as bool, non-zero = padding (additive_key_padding_mask() reproduces that when reading
//    files); beside a float attn_mask, 1.13's masked_fill with a float mask silently does
//    nothing (or fails with "Mask tensor can take 0 and 1 values only"), where we add both,
//    as PyTorch 2 does.
//  - A fully masked row (a query whose every key is blocked) has scores that are all −∞:
//    its softmax is 0/0 = NaN, so that row of the weights is NaN in the heads where it is
//    blocked, and the output projection spreads the NaN over the whole output row. Other
//    rows and other samples are untouched. PyTorch 1.13 gives exactly these NaNs, with
//    need_weights=True and with need_weights=False alike, and on its fast path too. We
//    keep the NaN rather than invent numbers: a NaN row says "this query had nothing to
//    look at".
#include "attention/mha.hpp"

#include <cmath>
#include <limits>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include "attention/attention.hpp"
#include "attention/random.hpp"

namespace attn {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Rows [i·E, (i+1)·E) of a packed weight (3E, E): block i is (E, E).
Matrix weight_block(const Matrix& W, std::size_t i, std::size_t E) {
    return xt::view(W, xt::range(i * E, (i + 1) * E), xt::all());
}

// Entries [i·E, (i+1)·E) of a packed bias, or E zeros when there is no bias.
Vector bias_block(const Vector& b, std::size_t i, std::size_t E) {
    if (b.size() == 0) return xt::zeros<double>({E});
    return xt::view(b, xt::range(i * E, (i + 1) * E));
}

// mask (L, S) repeated for every head: (H, L, S).
Tensor3 per_head(const Matrix& mask, std::size_t H) {
    Tensor3 masks = xt::zeros<double>({H, mask.shape(0), mask.shape(1)});
    masks += mask;  // (L, S) broadcasts over the heads
    return masks;
}

// Step 3) Qh (H, L, d), Kh (H, S, d), Vh (H, S, d_v), head_masks (H, L, S) or null;
// returns scaled scores and weights (H, L, S) and outputs (H, L, d_v).
HeadsAttention attend(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                      const Tensor3* head_masks) {
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), S = Kh.shape(1), d = Qh.shape(2);
    HeadsAttention a;
    // a) every head's scores Q_h·K_hᵀ / √d: one BLAS product per head
    a.scaled_scores = xt::empty<double>({H, L, S});
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix Q = xt::view(Qh, h), K = xt::view(Kh, h);
        xt::view(a.scaled_scores, h) = scale(scores(Q, K), d);
    }
    // b) plus the mask (0 = allowed, −∞ = blocked)
    if (head_masks != nullptr) a.scaled_scores += *head_masks;
    // c) one softmax over all H·L rows at once
    const Matrix rows = xt::reshape_view(a.scaled_scores, {H * L, S});
    a.weights = xt::reshape_view(softmax(rows), {H, L, S});
    // d) every head's weighted sum of its values
    a.output = xt::empty<double>({H, L, Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix W = xt::view(a.weights, h), V = xt::view(Vh, h);
        xt::view(a.output, h) = weighted_sum(W, V);
    }
    return a;
}

// Steps 1)–5) on one sequence, already checked: query (L, E), key and value (S, E),
// head_masks (H, L, S) or null.
MhaForward forward(const MhaParams& p, const Matrix& query, const Matrix& key, const Matrix& value,
                   const Tensor3* head_masks) {
    MhaForward f;
    // 1) project
    f.Q = project(query, p.W_q(), p.b_q());
    f.K = project(key, p.W_k(), p.b_k());
    f.V = project(value, p.W_v(), p.b_v());
    // 2) split into heads
    f.Qh = split_heads(f.Q, p.H);
    f.Kh = split_heads(f.K, p.H);
    f.Vh = split_heads(f.V, p.H);
    // 3) attention in every head
    f.heads = attend(f.Qh, f.Kh, f.Vh, head_masks);
    // 4) merge the heads
    f.concat = merge_heads(f.heads.output);
    // 5) output projection
    f.output = project(f.concat, p.out_proj_weight, p.b_o());
    f.weights_mean = xt::mean(f.heads.weights, {0});  // PyTorch: sum over heads / H
    return f;
}

// Sample b's additive mask for each of its H heads, (H, L, S): attn_mask (the same (L, S)
// for every head, or rows b·H + h of a 3-D one) plus row b of key_padding_mask.
Tensor3 sample_masks(const std::optional<xt::xarray<double>>& attn_mask,
                     const std::optional<xt::xarray<double>>& key_padding_mask, std::size_t b,
                     std::size_t H, std::size_t L, std::size_t S) {
    Tensor3 masks = xt::zeros<double>({H, L, S});
    if (attn_mask && attn_mask->dimension() == 2) {
        const Matrix m = *attn_mask;  // (L, S)
        masks += m;
    } else if (attn_mask) {
        const Tensor3 m = xt::view(*attn_mask, xt::range(b * H, (b + 1) * H));  // (H, L, S)
        masks += m;
    }
    if (key_padding_mask) {
        const Vector pad = xt::view(*key_padding_mask, b);  // (S,): blocks keys for every query
        masks += pad;
    }
    return masks;
}

}  // namespace

Matrix MhaParams::W_q() const {
    return weight_block(in_proj_weight, 0, E);
}
Matrix MhaParams::W_k() const {
    return weight_block(in_proj_weight, 1, E);
}
Matrix MhaParams::W_v() const {
    return weight_block(in_proj_weight, 2, E);
}
Vector MhaParams::b_q() const {
    return bias_block(in_proj_bias, 0, E);
}
Vector MhaParams::b_k() const {
    return bias_block(in_proj_bias, 1, E);
}
Vector MhaParams::b_v() const {
    return bias_block(in_proj_bias, 2, E);
}
Vector MhaParams::b_o() const {
    return bias_block(out_proj_bias, 0, E);
}

// Uniform draws like PyTorch's initialisation: xavier-uniform in_proj_weight
// (±√(6 / (E + 3E))), ±1/√E out_proj.weight; biases ±0.1 (PyTorch starts them at 0;
// small nonzero ones make them visible). Drawn in this order, row by row.
//! [random_mha_params]
MhaParams random_mha_params(std::size_t E, std::size_t H, Random& rng, bool bias) {
    const auto uniform = [&](std::vector<std::size_t> shape, double bound) {
        xt::xarray<double> a = xt::empty<double>(shape);
        for (double& x : a) x = bound * (2.0 * rng.uniform() - 1.0);
        return a;
    };
    MhaParams p;
    p.E = E;
    p.H = H;
    p.in_proj_weight = uniform({3 * E, E}, std::sqrt(6.0 / (4.0 * static_cast<double>(E))));
    p.out_proj_weight = uniform({E, E}, 1.0 / std::sqrt(static_cast<double>(E)));
    if (bias) {
        p.in_proj_bias = uniform({3 * E}, 0.1);
        p.out_proj_bias = uniform({E}, 0.1);
    }
    return p;
}
//! [random_mha_params]

// X (n, E_in), W (E_out, E_in), b (E_out,) or empty; returns X·Wᵀ + b (n, E_out).
Matrix project(const Matrix& X, const Matrix& W, const Vector& b) {
    const Matrix W_T = xt::transpose(W);  // (E_in, E_out), contiguous for BLAS
    Matrix out = xt::linalg::dot(X, W_T);
    if (b.size() != 0) out += b;  // (E_out,) added to every row
    return out;
}

// X (L, E) → (H, L, E/H).
Tensor3 split_heads(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), E = X.shape(1);
    const auto pieces = xt::reshape_view(X, {L, H, E / H});  // (L, H, d): each row in H pieces
    return xt::transpose(pieces, {1, 0, 2});                 // (H, L, d): heads first
}

// heads (H, L, d) → (L, H·d).
Matrix merge_heads(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Tensor3 tokens_first = xt::transpose(heads, {1, 0, 2});  // (L, H, d)
    return xt::reshape_view(tokens_first, {L, H * d});             // each row's pieces joined
}

// Qh (H, L, d), Kh (H, S, d), Vh (H, S, d_v), mask (L, S) or null.
HeadsAttention attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                            const Matrix* mask) {
    if (mask == nullptr) return attend(Qh, Kh, Vh, nullptr);
    const Tensor3 masks = per_head(*mask, Qh.shape(0));
    return attend(Qh, Kh, Vh, &masks);
}

HeadsAttention attend_heads_loop(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                                 const Matrix* mask) {
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), S = Kh.shape(1);
    HeadsAttention a;
    a.scaled_scores = xt::empty<double>({H, L, S});
    a.weights = xt::empty<double>({H, L, S});
    a.output = xt::empty<double>({H, L, Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h) {  // Part I's attention, once per head
        const Attention one = attention(xt::view(Qh, h), xt::view(Kh, h), xt::view(Vh, h), mask);
        xt::view(a.scaled_scores, h) = one.scaled_scores;
        xt::view(a.weights, h) = one.weights;
        xt::view(a.output, h) = one.output;
    }
    return a;
}

// query (L, E), key and value (S, E), mask (L, S) or null.
MhaForward mha_forward(const MhaParams& p, const Matrix& query, const Matrix& key,
                       const Matrix& value, const Matrix* mask) {
    if (mask == nullptr) return forward(p, query, key, value, nullptr);
    const Tensor3 masks = per_head(*mask, p.H);
    return forward(p, query, key, value, &masks);
}

// query (B, L, E), key and value (B, S, E), attn_mask (L, S) or (B·H, L, S),
// key_padding_mask (B, S); returns output (B, L, E) and weights (B, H, L, S), (B, L, S).
MhaBatch mha_forward_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key,
                           const Tensor3& value, const std::optional<xt::xarray<double>>& attn_mask,
                           const std::optional<xt::xarray<double>>& key_padding_mask) {
    const std::size_t B = query.shape(0), L = query.shape(1), S = key.shape(1), H = p.H;
    MhaBatch out;
    out.output = xt::empty<double>({B, L, p.E});
    out.weights = xt::empty<double>({B, H, L, S});
    out.weights_mean = xt::empty<double>({B, L, S});
    for (std::size_t b = 0; b < B; ++b) {
        // 1) this sample's mask in every head, (H, L, S)
        const Tensor3 masks = sample_masks(attn_mask, key_padding_mask, b, H, L, S);
        const bool masked = attn_mask || key_padding_mask;
        // 2) steps 1)–5) on this sample
        const Matrix q = xt::view(query, b), k = xt::view(key, b), v = xt::view(value, b);
        const MhaForward f = forward(p, q, k, v, masked ? &masks : nullptr);
        xt::view(out.output, b) = f.output;
        xt::view(out.weights, b) = f.heads.weights;
        xt::view(out.weights_mean, b) = f.weights_mean;
    }
    return out;
}

}  // namespace attn
