/// \file training_view.hpp
/// \brief Part VI's printing and files: loss curves, gradient checks, head-role scores and
/// the `--dump` layout of a trained model (chapter 11 replays every layer).
///
/// `--dump DIR` of chapters 22-24 writes, for the example sequence a chapter shows:
///   DIR/tokens.txt                      one token per line
///   DIR/layer\<i\>/                       what ./workbook run 11 --load DIR/layer\<i\> reads:
///       in_proj_weight.npy in_proj_bias.npy out_proj.weight.npy out_proj.bias.npy
///       num_heads.txt tokens.txt query.npy (the layer's input (L, E) on the example)
///       weights.npy (H, L, S) every head's attention on the example
///       attn_mask.npy (L, L) where the model masked: additive, −∞ above the diagonal in a
///                     causal model (chapter 25) and on padding keys (chapter 24), else 0
///   DIR/checkpoints/step_\<NNNNNN\>/      tokens.txt and layer\<i\>/ at that step of training
///   DIR/\<state_dict name\>.npy           every parameter of the trained model
#pragma once

#include <string>
#include <vector>

#include "attention/tasks.hpp"
#include "attention/training.hpp"
#include "workbook/chapter.hpp"
#include "workbook/heatmap.hpp"

namespace attn {

/// `--seed S` (a positive whole number), or `fallback`.
std::uint64_t seed_option(const Chapter& ch, std::uint64_t fallback);

/// Writes DIR/tokens.txt and DIR/layer\<i\>/ for sequence b of a forward pass (see above).
/// `tokens` (the batch f was run on) lets a model with a padding id mark its padding keys
/// in attn_mask.npy.
void dump_layers(const std::string& dir, const Model& m, const ModelForward& f, std::size_t b,
                 const std::vector<std::string>& words, const Tokens* tokens = nullptr);

/// Writes every parameter as DIR/\<state_dict name\>.npy.
void dump_state_dict(const std::string& dir, Model& m);

/// DIR/checkpoints/step_\<NNNNNN\> (six digits, zero-padded).
std::string checkpoint_dir(const std::string& dir, std::size_t step);

/// The loss of every step as a text chart: `height` rows, `width` columns (each column the
/// mean of its steps), the loss on the left, the steps underneath.
std::string loss_curve_text(const std::vector<double>& loss, std::size_t width = 60,
                            std::size_t height = 10);

/// The loss at steps 1, 2, 4, 8, … and the last step, as a LinePlot (log₂ step axis).
LinePlot loss_curve_plot(const std::vector<double>& loss, const std::string& title);

/// One row of a gradient check: the largest difference between a parameter's gradient from
/// the backward pass and its central differences.
struct GradientCheck {
    std::string name;     ///< state_dict name
    std::size_t checked;  ///< entries compared
    double largest;       ///< largest |backward − central difference|
};

/// Compares model_backward with central differences (h = 1e-5) on every `stride`-th entry
/// of every parameter, on one batch.
std::vector<GradientCheck> check_gradients(const Model& m, const TaskBatch& batch,
                                           std::size_t stride);

/// The example's words as labels for a map (L, L).
Labels word_labels(const std::vector<std::string>& words);

}  // namespace attn
