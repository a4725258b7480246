/// \file translation_view.hpp
/// \brief Chapters 26 and 27's files: the `--dump` layout of a cross-attention, and the true alignment.
///
/// `--dump DIR` of chapter 26 writes, for the example pair it shows:
///   DIR/tokens.txt                    the target side's words (the queries), one a line
///   DIR/layer0/                       what ./workbook run 11 --load DIR/layer0 reads:
///       in_proj_weight.npy in_proj_bias.npy out_proj.weight.npy out_proj.bias.npy num_heads.txt
///       tokens.txt (queries) key_tokens.txt (the source words, the keys)
///       query.npy (L, E) key.npy = value.npy (S, E) the encoded source
///       attn_mask.npy (L, S) additive, −∞ on the source's padding
///       weights.npy (H, L, S) the cross-attention on the example
///   DIR/checkpoints/step_\<NNNNNN\>/    the same at that step of training
#pragma once

#include <string>
#include <vector>

#include "attention/translation.hpp"
#include "attention/types.hpp"

namespace attn {

/// Writes DIR/tokens.txt and DIR/layer0/ (see above) for one attention whose keys and values
/// are the same rows: query (L, E), key (S, E), weights (H, L, S), mask (L, S) additive or null.
/// Chapter 27 writes its question's query over the sentences this way.
void dump_attention_layer(const std::string& dir, const MhaParams& p, const Matrix& query,
                          const Matrix& key, const Tensor3& weights, const Matrix* mask,
                          const std::vector<std::string>& queries,
                          const std::vector<std::string>& keys);

/// Writes DIR/tokens.txt and DIR/layer0/ for pair b of a forward pass (see above).
void dump_cross_layer(const std::string& dir, const Seq2Seq& m, const Seq2SeqForward& f,
                      const PairBatch& batch, std::size_t b,
                      const std::vector<std::string>& queries,
                      const std::vector<std::string>& keys);

/// Chapter 28: an image (H, W, 3) drawn pixel by pixel, with a grid (g, g) of attention weights
/// laid over it: each patch's outline is as dark as its weight (the largest black), and the
/// weight is written in the patch.
std::string patch_weights_svg(const Tensor3& image, const Matrix& weights,
                              const std::string& title);

/// Chapter 28: the image (H, W, 3) as text, one character per pixel: R, G, B for the colour
/// that is lit, · for black.
std::string image_text(const Tensor3& image);

/// The true alignment of pair b as a map (L, S): 1 where target word i translates source word j.
Matrix alignment_map(const PairBatch& batch, std::size_t b);

}  // namespace attn
