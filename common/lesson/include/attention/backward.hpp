/// \file backward.hpp
/// \brief Part V: the backward pass of attention by hand, every gradient written out.
///
/// Training needs, for every number the forward pass used, how much the loss changes when
/// that number changes: its gradient. A gradient is named after what it is the gradient
/// of, as in the FlashAttention paper: dO = ∂loss/∂O for the output O, dP for the weights
/// P, dS for the scaled scores S, dQ, dK, dV for the inputs. The gradient that comes in
/// from the rest of the network, dO, is the *upstream* gradient; the backward pass turns
/// it into the others, one forward step at a time, in reverse order.
///
/// Every function here is checked against central differences (numerical_gradient) and
/// against PyTorch 1.13's autograd (tests/fixtures/*_backward, tools/make_backward_fixtures.py).
///
/// A fully masked row (a query whose every key is blocked) has NaN weights in the forward
/// pass, and NaN flows backwards from it exactly as in PyTorch's autograd: that query's row
/// of dQ, and, because every key and value met it, all of dK and dV (in multi-head
/// attention: every parameter's gradient except out_proj.bias's). Nothing is invented.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <xtensor/xarray.hpp>

#include "attention/mha.hpp"
#include "attention/types.hpp"

namespace attn {

// ---- the softmax of one row, and of every row -------------------------------------------

/// The Jacobian of one row's softmax. y (S,) is the softmax of some row x; returns
/// J (S, S) with J(i, j) = ∂y_i/∂x_j = y_i·(δ_ij − y_j), i.e. diag(y) − y·yᵀ. Symmetric;
/// every row sums to 0 (adding a constant to x changes nothing).
Matrix softmax_jacobian(const Vector& y);

/// The softmax backward, row by row, without building any Jacobian: y (L, S) = softmax(x)
/// of each row, dy (L, S) the upstream gradient ∂loss/∂y; returns dx (L, S) = ∂loss/∂x,
/// dx = y ∘ (dy − rowsum(dy ∘ y)), the vector–Jacobian product dyᵀ·J of every row.
/// Each row of dx sums to 0. The shapes must be the same (check_gradient in
/// workbook/validation.hpp checks a user's).
Matrix softmax_backward(const Matrix& y, const Matrix& dy);

// ---- scaled dot-product attention ------------------------------------------------------

/// What attention_backward returns: the gradients of the inputs and of two intermediates.
struct AttentionGrads {
    Matrix dQ;  ///< (L, d_k) ∂loss/∂Q = dS·K / √d_k
    Matrix dK;  ///< (S, d_k) ∂loss/∂K = dSᵀ·Q / √d_k
    Matrix dV;  ///< (S, d_v) ∂loss/∂V = Pᵀ·dO
    Matrix dP;  ///< (L, S) ∂loss/∂P for the weights P = dO·Vᵀ
    Matrix dS;  ///< (L, S) ∂loss/∂S for the scaled scores S = P ∘ (dP − rowsum(dO ∘ O))
};

/// The backward pass of attention(Q, K, V, mask): Q (L, d_k), K (S, d_k), V (S, d_v),
/// dO (L, d_v) the upstream gradient ∂loss/∂O of the output O; mask (L, S) additive
/// (0 allowed, −∞ blocked) or null. Recomputes the forward pass, then, each step the
/// reverse of a forward one:
///   4) weighted sum  O = P·V        →  dV = Pᵀ·dO,  dP = dO·Vᵀ
///   3) softmax       P = softmax(S) →  dS = P ∘ (dP − rowsum(dO ∘ O))
///   2) scale, mask   S = Q·Kᵀ/√d_k + mask → the mask is a constant: dS passes through
///   1) scores        Q·Kᵀ           →  dQ = dS·K / √d_k,  dK = dSᵀ·Q / √d_k
/// A blocked position has P = 0, so dS is 0 there: no gradient reaches a masked score.
/// The shapes must fit (workbook/validation.hpp checks a user's input).
AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& dO, const Matrix* mask = nullptr);

/// The same with plain for-loops, straight from the sums the formulas stand for.
AttentionGrads attention_backward_loop(const Matrix& Q, const Matrix& K, const Matrix& V,
                                       const Matrix& dO, const Matrix* mask = nullptr);

// ---- a linear layer --------------------------------------------------------------------

/// What project_backward returns.
struct ProjectGrads {
    Matrix dX;  ///< (n, E_in) ∂loss/∂X = dY·W
    Matrix dW;  ///< (E_out, E_in) ∂loss/∂W = dYᵀ·X
    Vector db;  ///< (E_out,) ∂loss/∂b = the column sums of dY
};

/// The backward pass of project(X, W, b) = X·Wᵀ + b: X (n, E_in), W (E_out, E_in),
/// dY (n, E_out) the upstream gradient. (db does not depend on b; without a bias, drop it.)
ProjectGrads project_backward(const Matrix& X, const Matrix& W, const Matrix& dY);

// ---- multi-head attention --------------------------------------------------------------

/// The gradients of one multi-head forward pass, named as PyTorch names the `.grad` of
/// nn.MultiheadAttention's parameters, and every intermediate gradient of the five steps.
struct MhaGrads {
    Matrix in_proj_weight;   ///< (3E, E) in_proj_weight.grad: [dW_q; dW_k; dW_v]
    Vector in_proj_bias;     ///< (3E,) in_proj_bias.grad: [db_q, db_k, db_v]; empty without bias
    Matrix out_proj_weight;  ///< (E, E) out_proj.weight.grad, dW_o
    Vector out_proj_bias;    ///< (E,) out_proj.bias.grad, db_o; empty without bias
    Matrix query;            ///< (L, E) ∂loss/∂query
    Matrix key;              ///< (S, E) ∂loss/∂key
    Matrix value;            ///< (S, E) ∂loss/∂value
    // The intermediates, in the order the backward pass makes them.
    Matrix d_concat;  ///< (L, E) step 5: ∂loss/∂concat = dO·W_o
    Tensor3 d_heads;  ///< (H, L, d_head) step 4: d_concat split into heads
    Tensor3 dQh;      ///< (H, L, d_head) step 3: every head's dQ
    Tensor3 dKh;      ///< (H, S, d_head) step 3: every head's dK
    Tensor3 dVh;      ///< (H, S, d_head) step 3: every head's dV
    Matrix dQ;        ///< (L, E) step 2: the heads' dQ merged
    Matrix dK;        ///< (S, E) step 2: the heads' dK merged
    Matrix dV;        ///< (S, E) step 2: the heads' dV merged
};

/// The backward pass of mha_forward(p, query, key, value, mask) on one sequence: query
/// (L, E), key and value (S, E), dO (L, E) the upstream gradient of the output, mask (L, S)
/// additive or null. Each step the reverse of one of mha.hpp's five:
///   5) output projection  d_concat = dO·W_o, dW_o = dOᵀ·concat, db_o = column sums of dO
///   4) merge              d_heads = split_heads(d_concat): merging's reverse is splitting
///   3) attend             attention_backward in every head (scale 1/√d_head)
///   2) split              dQ = merge_heads(dQh), and so for dK, dV
///   1) project            dW_q = dQᵀ·query, db_q = column sums of dQ, ∂query = dQ·W_q, …
/// For self-attention (query, key and value the same tensor x) PyTorch's x.grad is
/// query + key + value of the result: a tensor used three times gets three gradients.
/// The shapes must fit (check_projection_backward in workbook/validation.hpp).
MhaGrads mha_backward(const MhaParams& p, const Matrix& query, const Matrix& key,
                      const Matrix& value, const Matrix& dO, const Matrix* mask = nullptr);

/// The gradients of a batched forward pass.
struct MhaBatchGrads {
    Matrix in_proj_weight;   ///< (3E, E) in_proj_weight.grad, summed over the batch
    Vector in_proj_bias;     ///< (3E,) in_proj_bias.grad; empty without bias
    Matrix out_proj_weight;  ///< (E, E) out_proj.weight.grad
    Vector out_proj_bias;    ///< (E,) out_proj.bias.grad; empty without bias
    Tensor3 query;           ///< (B, L, E) ∂loss/∂query
    Tensor3 key;             ///< (B, S, E) ∂loss/∂key
    Tensor3 value;           ///< (B, S, E) ∂loss/∂value
};

/// The backward pass of mha_forward_batch with the same arguments and masks (attn_mask
/// additive (L, S) or (B·H, L, S), key_padding_mask additive (B, S), either absent), dO
/// (B, L, E) the upstream gradient. The parameters are shared by the samples, so their
/// gradients are the sums of every sample's; each input's gradient is its own sample's.
/// The shapes must fit (check_backward_batch in workbook/validation.hpp).
MhaBatchGrads mha_backward_batch(
        const MhaParams& p, const Tensor3& query, const Tensor3& key, const Tensor3& value,
        const Tensor3& dO, const std::optional<xt::xarray<double>>& attn_mask = std::nullopt,
        const std::optional<xt::xarray<double>>& key_padding_mask = std::nullopt);

// ---- checking a gradient ---------------------------------------------------------------

/// Central differences: the gradient of a scalar function f at X (any shape), one entry at
/// a time, (f(X + h·e) − f(X − h·e)) / 2h; returns an array of X's shape. Its error is
/// about h² (the formula) plus 1e-16 / h (rounding): h = 1e-5 balances them in double.
xt::xarray<double> numerical_gradient(const std::function<double(const xt::xarray<double>&)>& f,
                                      const xt::xarray<double>& X, double h = 1e-5);

}  // namespace attn
