/// \file validation.hpp
/// \brief Checking a user's input before the lesson's maths sees it: every check throws
/// InputError with one line that names what is wrong, its shape and the shape it must have.
///
/// The lesson's functions (attention/…) assume shapes that fit, as llama2.c's do; the
/// chapters' loaders (inputs.hpp) call these checks on everything they read.
#pragma once

#include <optional>
#include <string>

#include <xtensor/xarray.hpp>

#include "attention/backward.hpp"
#include "attention/efficient.hpp"
#include "attention/mha.hpp"
#include "attention/types.hpp"
#include "workbook/errors.hpp"

namespace attn {

/// Q (L, d_k), K (S, d_k) and V (S, d_v) must fit together.
void check_attention_shapes(const Matrix& Q, const Matrix& K, const Matrix& V);

/// An additive mask must be (L, S), the shape of the scores it is added to. `what` names it
/// in the message (e.g. "the default causal mask").
void check_mask(const Matrix& mask, std::size_t L, std::size_t S, const std::string& what = "mask");

/// At least one head, at least one column, and H divides E.
void check_heads(std::size_t E, std::size_t H);

/// H ≥ 1 divides E and every parameter has its shape (in_proj_weight (3E, E), …).
void check_params(const MhaParams& p);

/// X (n, E_in) fits W (E_out, E_in) and b (E_out,) or empty, for X·Wᵀ + b.
void check_projection(const Matrix& X, const Matrix& W, const Vector& b);

/// X (L, E) can be split into H heads: H ≥ 1 divides E.
void check_split(const Matrix& X, std::size_t H);

/// Qh (H, L, d), Kh (H, S, d), Vh (H, S, d_v) and mask (L, S) or null fit together.
void check_heads_fit(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                     const Matrix* mask = nullptr);

/// The parameters, query (L, E), key and value (S, E), and mask (L, S) or null fit.
void check_sequences(const MhaParams& p, const Matrix& query, const Matrix& key,
                     const Matrix& value, const Matrix* mask = nullptr);

/// The masks of a batch of B queries (L) and keys (S) in H heads: attn_mask (L, S) or
/// (B·H, L, S), key_padding_mask (B, S); either may be absent.
void check_masks(std::size_t B, std::size_t L, std::size_t S, std::size_t H,
                 const std::optional<xt::xarray<double>>& attn_mask,
                 const std::optional<xt::xarray<double>>& key_padding_mask);

/// What mha_forward_batch() needs: query (B, L, E), key and value (B, S, E) and the masks.
void check_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key, const Tensor3& value,
                 const std::optional<xt::xarray<double>>& attn_mask,
                 const std::optional<xt::xarray<double>>& key_padding_mask);

/// An upstream gradient `grad` must have the shape of what it is the gradient of (`what`,
/// e.g. "the output O"): one line naming both otherwise.
void check_gradient(const std::string& grad, const xt::xarray<double>& g, const std::string& what,
                    const xt::xarray<double>& of);

/// What attention_backward() needs: Q, K, V fit, mask (L, S) or null, dO (L, d_v).
void check_attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix* mask,
                              const Matrix& dO);

/// What project_backward() needs: X (n, E_in), W (E_out, E_in), dY (n, E_out).
void check_projection_backward(const Matrix& X, const Matrix& W, const Matrix& dY);

/// What mha_backward() needs: check_sequences() and dO (L, E).
void check_backward_sequence(const MhaParams& p, const Matrix& query, const Matrix& key,
                             const Matrix& value, const Matrix& dO, const Matrix* mask = nullptr);

/// What mha_backward_batch() needs: check_batch() and dO (B, L, E).
void check_backward_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key,
                          const Tensor3& value, const Tensor3& dO,
                          const std::optional<xt::xarray<double>>& attn_mask = std::nullopt,
                          const std::optional<xt::xarray<double>>& key_padding_mask = std::nullopt);

/// What fast_mha() needs: H ≥ 1 divides E, every parameter and input has its shape
/// (query (L, E), key and value (S, E), L and S ≥ 1), nothing is NaN or infinite (no masks
/// there), and the tile sizes are at least 1.
void check_fast_inputs(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                       const MatrixF& value, const Tiles& tiles = {});

/// The method of that name ("loops", "xtensor", "blas", "batched", "tiled"); throws
/// InputError naming the five otherwise.
FastMethod parse_method(const std::string& name);

/// Finite inputs can still overflow: Q (…, d), K and V so large that a score Q·Kᵀ/√d
/// (bounded by Cauchy–Schwarz) would pass 1e300. Throws "scores overflowed: inputs too
/// large (largest |x| = …)" then, before anything is computed.
void check_scores_fit(const xt::xarray<double>& query, const xt::xarray<double>& key,
                      const xt::xarray<double>& value, std::size_t d);

/// The same for the module: bounds of the projections, the scores in each head and the
/// output projection, from the norms of the inputs (…, E) and of the weights.
void check_mha_fits(const MhaParams& p, const xt::xarray<double>& query,
                    const xt::xarray<double>& key, const xt::xarray<double>& value);

}  // namespace attn
