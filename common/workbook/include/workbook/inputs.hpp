/// \file inputs.hpp
/// \brief What the chapters read: the built-in examples, or a user's `.npy` files with `--load`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attention/mha.hpp"
#include "attention/types.hpp"
#include "workbook/chapter.hpp"
#include "workbook/npy.hpp"

namespace attn {

/// The seed's 3 tokens × 4 dims (L = 3, E = 4):
/// [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]].
Matrix toy_tokens();

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
/// and value default to query. Throws InputError naming the
/// files when the shapes do not fit together.
QKV load_qkv(const Chapter& chapter);

/// The `--heads H` option of the chapters that load a multi-head module (read by heads_option).
extern const Option kHeadsOption;

/// The number of heads: `--heads H`, else the first number in DIR/num_heads.txt (written
/// by tools/export_torch_mha.py), else `fallback`; 0 as fallback makes it required.
std::size_t heads_option(const Chapter& chapter, std::size_t fallback);

/// The ChapterInfo of a chapter that works on a multi-head module (07-10): `--load DIR`
/// reads the module and one sequence (see load_mha_example), `--heads H` its heads.
ChapterInfo mha_chapter_info(const std::string& slug);

/// One sequence and a multi-head module: what chapters 07-10 work on.
struct MhaExample {
    MhaParams params;  ///< W_q, W_k, W_v, W_o and biases, as PyTorch stores them
    Matrix query;      ///< (L, E)
    Matrix key;        ///< (S, E)
    Matrix value;      ///< (S, E)
};

/// The small example of chapters 07-10: the seed's tokens as query, key and value
/// (L = S = 3, E = 4) and H = 2 heads whose parameters are drawn from Random(7). With
/// `--load DIR`: DIR/query.npy (L, E), key.npy and value.npy (S, E; default query), the
/// nn.MultiheadAttention parameter files, and H from heads_option().
MhaExample load_mha_example(const Chapter& chapter);

/// A whole nn.MultiheadAttention call read from a folder, as chapter 11 replays it.
struct MhaCase {
    MhaParams params;                             ///< the module's state_dict
    Tensor3 query;                                ///< (B, L, E); B = 1 when the file is (L, E)
    Tensor3 key;                                  ///< (B, S, E), default query
    Tensor3 value;                                ///< (B, S, E), default query
    bool batched = false;                         ///< query.npy was 3-D
    std::optional<xt::xarray<double>> attn_mask;  ///< additive (L, S) or (B·H, L, S)
    std::optional<xt::xarray<double>> key_padding_mask;  ///< additive (B, S)
};

/// Reads DIR/query.npy (L, E) or (B, L, E), key.npy and value.npy (default: query),
/// the parameter files, attn_mask.npy and key_padding_mask.npy (bool: True = not
/// allowed, or float: added), for H heads. Throws InputError naming file and shapes.
MhaCase load_mha_case(const std::string& dir, std::size_t H);

/// Reads DIR/in_proj_weight.npy, DIR/out_proj.weight.npy and, when present,
/// DIR/in_proj_bias.npy and DIR/out_proj.bias.npy, for H heads. Throws InputError
/// naming the file and both shapes when anything does not fit.
MhaParams load_mha_params(const std::string& dir, std::size_t H);

/// A PyTorch mask turned into the additive form: bool True (not allowed) → −∞ and
/// False → 0; a float mask is returned as it is (it is added to the scores).
xt::xarray<double> additive_mask(const NpyArray& mask);

/// A key_padding_mask turned into the additive form the way PyTorch 1.13 merges it with
/// `attn_mask`: bool True (padding) → −∞; a float mask is added, except beside a bool
/// attn_mask, where 1.13 ORs the two and so reads the float one as bool (non-zero = padding).
/// Other dtypes are refused, as in PyTorch.
xt::xarray<double> additive_key_padding_mask(const NpyArray& key_padding_mask,
                                             const NpyArray* attn_mask = nullptr);

/// The file in dir holding PyTorch's output for a module: reference_output.npy (as
/// tools/export_torch_mha.py names it) when present, else output.npy (PyTorch's own name, as
/// tools/make_fixtures.py saves it), else "" when neither exists.
std::string torch_reference_file(const std::string& dir);

/// True when a and b have the same shape, NaN in exactly the same places, and every other
/// entry within atol (xt::allclose alone calls any NaN a difference).
bool same_numbers(const xt::xarray<double>& a, const xt::xarray<double>& b, double atol);

}  // namespace attn
