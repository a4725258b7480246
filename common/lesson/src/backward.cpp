// Part V: the backward pass of attention by hand (see backward.hpp).
//
// Read it top to bottom: the softmax first, then scaled dot-product attention built on it,
// then a linear layer, then multi-head attention built on both, then the two helpers that
// check any gradient (central differences, relative error).
//
// One rule does all the work. If the forward pass computed Y = A·B, and the loss's
// gradient with respect to Y is dY, then dA = dY·Bᵀ and dB = Aᵀ·dY: each input's gradient
// has that input's shape, and the transposes are whatever makes the shapes fit. The rest
// is the softmax's own rule, dx = y ∘ (dy − rowsum(dy ∘ y)).
//
// What PyTorch 1.13's autograd does with a fully masked row, and so what this file does
// (tests/fixtures/multihead_backward/fully_masked checks it): the row's weights are NaN,
// and NaN times anything is NaN, so the NaN spreads to every gradient that sums over that
// row — see backward.hpp.
#include "attention/backward.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "attention/attention.hpp"

namespace attn {

namespace {

// Aᵀ as a contiguous matrix (BLAS wants contiguous operands).
Matrix T(const Matrix& A) {
    return xt::transpose(A);
}

}  // namespace

// ---- the softmax ------------------------------------------------------------------------

// y (S,) → J (S, S), J(i, j) = y_i·(δ_ij − y_j).
Matrix softmax_jacobian(const Vector& y) {
    const std::size_t S = y.size();
    Matrix J = xt::empty<double>({S, S});
    for (std::size_t i = 0; i < S; ++i)
        for (std::size_t j = 0; j < S; ++j) J(i, j) = y(i) * ((i == j ? 1.0 : 0.0) - y(j));
    return J;
}

//! [softmax_backward]
// y (L, S), dy (L, S) → dx (L, S).
Matrix softmax_backward(const Matrix& y, const Matrix& dy) {
    // 1) each row's Σ_j dy_j·y_j: how much the loss moves when the whole row moves together,
    //    kept as (L, 1) so it broadcasts over the row
    const Matrix row_dot = xt::sum(dy * y, {1}, xt::keep_dims);
    // 2) dx_j = y_j·(dy_j − Σ_k dy_k·y_k): the row of Jᵀ·dy, without building J (S × S)
    return y * (dy - row_dot);
}
//! [softmax_backward]

// ---- scaled dot-product attention -------------------------------------------------------

namespace {

//! [backward_from]
// Steps 4) to 1) backwards, given the forward pass's weights P (L, S) and output O (L, d_v).
AttentionGrads backward_from(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix& P,
                             const Matrix& O, const Matrix& dO) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(Q.shape(1)));  // 1/√d_k
    AttentionGrads g;
    // 4) the weighted sum O = P·V: each input's gradient, transposes to fit the shapes
    g.dV = xt::linalg::dot(T(P), dO);  // (S, L)·(L, d_v) = (S, d_v)
    g.dP = xt::linalg::dot(dO, T(V));  // (L, d_v)·(d_v, S) = (L, S)
    // 3) the softmax P = softmax(S), row by row: dS = P ∘ (dP − D), where D = rowsum(dP ∘ P)
    //    equals rowsum(dO ∘ O) (O = P·V), which needs no (L, S) product: FlashAttention's way
    const Matrix D = xt::sum(dO * O, {1}, xt::keep_dims);  // (L, 1)
    g.dS = P * (g.dP - D);                                 // (L, S); 0 wherever P is 0
    // 2) the scale and the mask: S = Q·Kᵀ·scale + mask; the mask is a constant, so the
    //    gradient of Q·Kᵀ is dS·scale
    const Matrix d_scores = g.dS * scale;
    // 1) the scores Q·Kᵀ: the same rule as in 4), with Kᵀ in the place of V
    g.dQ = xt::linalg::dot(d_scores, K);     // (L, S)·(S, d_k) = (L, d_k)
    g.dK = xt::linalg::dot(T(d_scores), Q);  // (S, L)·(L, d_k) = (S, d_k)
    return g;
}
//! [backward_from]

}  // namespace

// Q (L, d_k), K (S, d_k), V (S, d_v), dO (L, d_v), mask (L, S) or null.
AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& dO, const Matrix* mask) {
    const Attention a = attention(Q, K, V, mask);  // the forward pass, again
    return backward_from(Q, K, V, a.weights, a.output, dO);
}

AttentionGrads attention_backward_loop(const Matrix& Q, const Matrix& K, const Matrix& V,
                                       const Matrix& dO, const Matrix* mask) {
    const std::size_t L = Q.shape(0), S = K.shape(0), d_k = Q.shape(1), d_v = V.shape(1);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d_k));
    // The forward pass with loops: the weights P (L, S) and the output O (L, d_v).
    Matrix scores = xt::zeros<double>({L, S});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < S; ++j) {
            for (std::size_t c = 0; c < d_k; ++c) scores(i, j) += Q(i, c) * K(j, c);
            scores(i, j) = scores(i, j) * scale + (mask != nullptr ? (*mask)(i, j) : 0.0);
        }
    const Matrix P = softmax_loop(scores);
    const Matrix O = weighted_sum_loop(P, V);
    AttentionGrads g;
    g.dV = xt::zeros<double>({S, d_v});
    g.dP = xt::zeros<double>({L, S});
    g.dS = xt::zeros<double>({L, S});
    g.dQ = xt::zeros<double>({L, d_k});
    g.dK = xt::zeros<double>({S, d_k});
    for (std::size_t i = 0; i < L; ++i) {
        // 4) O(i, c) = Σ_j P(i, j)·V(j, c): V(j, c) meets dO(i, c) through P(i, j), and P(i, j)
        //    meets dO(i, c) through V(j, c)
        for (std::size_t j = 0; j < S; ++j)
            for (std::size_t c = 0; c < d_v; ++c) {
                g.dV(j, c) += P(i, j) * dO(i, c);
                g.dP(i, j) += dO(i, c) * V(j, c);
            }
        // 3) softmax of row i: ∂P(i, j)/∂S(i, k) = P(i, j)·(δ_jk − P(i, k)), summed over j
        double D = 0.0;  // rowsum(dO ∘ O) of row i
        for (std::size_t c = 0; c < d_v; ++c) D += dO(i, c) * O(i, c);
        for (std::size_t j = 0; j < S; ++j) g.dS(i, j) = P(i, j) * (g.dP(i, j) - D);
        // 2) and 1) S(i, j) = scale·Σ_c Q(i, c)·K(j, c) + mask(i, j)
        for (std::size_t j = 0; j < S; ++j)
            for (std::size_t c = 0; c < d_k; ++c) {
                g.dQ(i, c) += g.dS(i, j) * K(j, c) * scale;
                g.dK(j, c) += g.dS(i, j) * Q(i, c) * scale;
            }
    }
    return g;
}

// ---- a linear layer ---------------------------------------------------------------------

//! [project_backward]
// X (n, E_in), W (E_out, E_in), dY (n, E_out).
ProjectGrads project_backward(const Matrix& X, const Matrix& W, const Matrix& dY) {
    ProjectGrads g;
    g.dX = xt::linalg::dot(dY, W);     // (n, E_out)·(E_out, E_in) = (n, E_in)
    g.dW = xt::linalg::dot(T(dY), X);  // (E_out, n)·(n, E_in) = (E_out, E_in)
    g.db = xt::sum(dY, {0});           // b was added to every row: its gradient sums them
    return g;
}
//! [project_backward]

// ---- multi-head attention ---------------------------------------------------------------

namespace {

// The five forward steps, then the five backward ones, on one sequence already checked;
// head_masks (H, L, S) additive or null.
MhaGrads backward_one(const MhaParams& p, const Matrix& query, const Matrix& key,
                      const Matrix& value, const Matrix& dO, const Tensor3* head_masks) {
    const std::size_t H = p.H, L = query.shape(0), S = key.shape(0), d = p.d_head();
    // The forward pass, keeping what the backward pass needs.
    const Matrix Q = project(query, p.W_q(), p.b_q());  // 1) project      (L, E)
    const Matrix K = project(key, p.W_k(), p.b_k());    //                 (S, E)
    const Matrix V = project(value, p.W_v(), p.b_v());  //                 (S, E)
    const Tensor3 Qh = split_heads(Q, H);               // 2) split        (H, L, d)
    const Tensor3 Kh = split_heads(K, H);               //                 (H, S, d)
    const Tensor3 Vh = split_heads(V, H);               //                 (H, S, d)
    Tensor3 P = xt::empty<double>({H, L, S});           // 3) attend: the weights
    Tensor3 O = xt::empty<double>({H, L, d});           //    and outputs of every head
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix mask = head_masks ? Matrix(xt::view(*head_masks, h)) : Matrix();
        const Attention a = attention(xt::view(Qh, h), xt::view(Kh, h), xt::view(Vh, h),
                                      head_masks ? &mask : nullptr);
        xt::view(P, h) = a.weights;
        xt::view(O, h) = a.output;
    }
    const Matrix concat = merge_heads(O);  // 4) merge        (L, E)
    // (5) output = concat·W_oᵀ + b_o, and dO is ∂loss/∂output: the backward pass starts here.)

    //! [mha_backward_steps]
    MhaGrads g;
    // 5) the output projection: a linear layer's backward pass
    const ProjectGrads out = project_backward(concat, p.out_proj_weight, dO);
    g.d_concat = out.dX;         // (L, E)
    g.out_proj_weight = out.dW;  // (E, E)
    if (p.out_proj_bias.size() != 0) g.out_proj_bias = out.db;
    // 4) the merge only moved numbers around: split the gradient the same way back
    g.d_heads = split_heads(g.d_concat, H);  // (H, L, d)
    // 3) attention in every head, each with its own weights P_h and output O_h
    g.dQh = xt::empty<double>({H, L, d});
    g.dKh = xt::empty<double>({H, S, d});
    g.dVh = xt::empty<double>({H, S, d});
    for (std::size_t h = 0; h < H; ++h) {
        const AttentionGrads a =
                backward_from(xt::view(Qh, h), xt::view(Kh, h), xt::view(Vh, h), xt::view(P, h),
                              xt::view(O, h), xt::view(g.d_heads, h));
        xt::view(g.dQh, h) = a.dQ;
        xt::view(g.dKh, h) = a.dK;
        xt::view(g.dVh, h) = a.dV;
    }
    // 2) the split's reverse is a merge
    g.dQ = merge_heads(g.dQh);  // (L, E)
    g.dK = merge_heads(g.dKh);  // (S, E)
    g.dV = merge_heads(g.dVh);  // (S, E)
    // 1) the three input projections, each a linear layer; PyTorch packs their weights
    //    (and biases) into one tensor, so their gradients are packed the same way
    const ProjectGrads q = project_backward(query, p.W_q(), g.dQ);
    const ProjectGrads k = project_backward(key, p.W_k(), g.dK);
    const ProjectGrads v = project_backward(value, p.W_v(), g.dV);
    g.in_proj_weight = xt::concatenate(xt::xtuple(q.dW, k.dW, v.dW), 0);  // (3E, E)
    if (p.in_proj_bias.size() != 0) {
        g.in_proj_bias = xt::concatenate(xt::xtuple(q.db, k.db, v.db), 0);  // (3E,)
    }
    g.query = q.dX;  // (L, E)
    g.key = k.dX;    // (S, E)
    g.value = v.dX;  // (S, E)
    //! [mha_backward_steps]
    return g;
}

// Sample b's additive mask in each of its H heads (H, L, S), as mha_forward_batch builds it:
// attn_mask (the same (L, S) in every head, or rows b·H .. b·H + H − 1 of a 3-D one) plus
// row b of key_padding_mask.
Tensor3 sample_masks(const std::optional<xt::xarray<double>>& attn_mask,
                     const std::optional<xt::xarray<double>>& key_padding_mask, std::size_t b,
                     std::size_t H, std::size_t L, std::size_t S) {
    Tensor3 masks = xt::zeros<double>({H, L, S});
    if (attn_mask && attn_mask->dimension() == 2) {
        const Matrix m = *attn_mask;  // (L, S), broadcast over the heads
        masks += m;
    } else if (attn_mask) {
        const Tensor3 m = xt::view(*attn_mask, xt::range(b * H, (b + 1) * H));  // (H, L, S)
        masks += m;
    }
    if (key_padding_mask) {
        const Vector pad = xt::view(*key_padding_mask, b);  // (S,), broadcast over the rows
        masks += pad;
    }
    return masks;
}

}  // namespace

// query (L, E), key and value (S, E), dO (L, E), mask (L, S) or null.
MhaGrads mha_backward(const MhaParams& p, const Matrix& query, const Matrix& key,
                      const Matrix& value, const Matrix& dO, const Matrix* mask) {
    if (mask == nullptr) return backward_one(p, query, key, value, dO, nullptr);
    Tensor3 masks = xt::zeros<double>({p.H, query.shape(0), key.shape(0)});
    masks += *mask;  // the same mask in every head
    return backward_one(p, query, key, value, dO, &masks);
}

// query (B, L, E), key and value (B, S, E), dO (B, L, E).
MhaBatchGrads mha_backward_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key,
                                 const Tensor3& value, const Tensor3& dO,
                                 const std::optional<xt::xarray<double>>& attn_mask,
                                 const std::optional<xt::xarray<double>>& key_padding_mask) {
    const std::size_t B = query.shape(0), L = query.shape(1), S = key.shape(1), E = p.E;
    const bool masked = attn_mask || key_padding_mask;
    MhaBatchGrads g;
    g.in_proj_weight = xt::zeros<double>({3 * E, E});
    g.out_proj_weight = xt::zeros<double>({E, E});
    if (p.in_proj_bias.size() != 0) g.in_proj_bias = xt::zeros<double>({3 * E});
    if (p.out_proj_bias.size() != 0) g.out_proj_bias = xt::zeros<double>({E});
    g.query = xt::empty<double>(query.shape());
    g.key = xt::empty<double>(key.shape());
    g.value = xt::empty<double>(value.shape());
    for (std::size_t b = 0; b < B; ++b) {
        // 1) this sample's backward pass, with its own masks
        const Matrix q = xt::view(query, b), k = xt::view(key, b), v = xt::view(value, b);
        const Matrix d = xt::view(dO, b);
        const Tensor3 masks = sample_masks(attn_mask, key_padding_mask, b, p.H, L, S);
        const MhaGrads s = backward_one(p, q, k, v, d, masked ? &masks : nullptr);
        // 2) the parameters are shared: their gradients add up over the samples
        g.in_proj_weight += s.in_proj_weight;
        g.out_proj_weight += s.out_proj_weight;
        if (g.in_proj_bias.size() != 0) g.in_proj_bias += s.in_proj_bias;
        if (g.out_proj_bias.size() != 0) g.out_proj_bias += s.out_proj_bias;
        // 3) each input belongs to one sample: its gradient is that sample's alone
        xt::view(g.query, b) = s.query;
        xt::view(g.key, b) = s.key;
        xt::view(g.value, b) = s.value;
    }
    return g;
}

// ---- checking a gradient (compared by relative_error in workbook/compare.hpp) ----------------------------------------------------------------

xt::xarray<double> numerical_gradient(const std::function<double(const xt::xarray<double>&)>& f,
                                      const xt::xarray<double>& X, double h) {
    xt::xarray<double> grad = xt::zeros<double>(X.shape());
    xt::xarray<double> moved = X;
    for (std::size_t i = 0; i < X.size(); ++i) {
        const double x = X.flat(i);
        moved.flat(i) = x + h;
        const double up = f(moved);
        moved.flat(i) = x - h;
        const double down = f(moved);
        moved.flat(i) = x;  // put it back before the next entry
        grad.flat(i) = (up - down) / (2.0 * h);
    }
    return grad;
}

}  // namespace attn
