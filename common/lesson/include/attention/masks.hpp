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

}  // namespace attn
