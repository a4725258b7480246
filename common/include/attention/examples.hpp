/// \file examples.hpp
/// \brief The examples carried through every chapter, and loading their `--load` replacements.
#pragma once

#include <string>
#include <vector>

#include "attention/types.hpp"

namespace attn {

class Chapter;

/// The seed's 3 tokens × 4 dims (L = 3, E = 4):
/// [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]].
Matrix seed_tokens();

/// Labels "t0", "t1", … for n tokens.
std::vector<std::string> token_labels(std::size_t n, const std::string& prefix = "t");

/// The inputs of one attention call.
struct QKV {
    Matrix Q;  ///< (L, d_k) queries
    Matrix K;  ///< (S, d_k) keys
    Matrix V;  ///< (S, d_v) values
};

/// Self-attention on the seed's tokens (Q = K = V = tokens) or, with `--load DIR`,
/// DIR/query.npy (L, d_k), DIR/key.npy (S, d_k) and DIR/value.npy (S, d_v); key
/// defaults to query and value to key, as in PyTorch. Throws InputError naming the
/// files when the shapes do not fit together.
QKV load_qkv(const Chapter& chapter);

}  // namespace attn
