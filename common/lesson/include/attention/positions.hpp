/// \file positions.hpp
/// \brief Positions: what tells attention the order of the tokens.
#pragma once

#include "attention/types.hpp"

namespace attn {

/// Sinusoidal positional encodings of the original Transformer paper, (L, E):
/// PE(pos, 2i) = sin(pos / 10000^(2i/E)), PE(pos, 2i+1) = cos(pos / 10000^(2i/E)).
Matrix positional_encoding(std::size_t L, std::size_t E);

}  // namespace attn
