/// \file masks.hpp
/// \brief Masks: which keys each query may look at (causal, padding), additive form.
#pragma once

#include <vector>

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

/// nn.MultiheadAttention's bool masks (`attn_mask`, `key_padding_mask`) in the additive
/// form: 1 (True) = not allowed → −∞, 0 (False) → 0.
Matrix additive_from_blocked(const Matrix& blocked);

/// F.scaled_dot_product_attention's bool `attn_mask` (PyTorch 2.0 and later) in the additive
/// form: 1 (True) = allowed → 0, 0 (False) → −∞, as its documented reference does with
/// `masked_fill(attn_mask.logical_not(), -inf)`.
Matrix additive_from_allowed(const Matrix& allowed);

/// Hugging Face's `attention_mask` (B, S) in the additive form (B, S): 1 = attend → 0,
/// 0 = padding → −∞.
Matrix additive_from_attention_mask(const Matrix& attention_mask);

}  // namespace attn
