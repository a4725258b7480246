/// \file heatmap.hpp
/// \brief Attention weights as pictures: shaded heatmaps in the terminal, SVG images for
/// the docs and for `--svg DIR`.
///
/// A heatmap has one cell per weight: row i is query i, column j is key j, and the darker
/// the cell, the more query i attends to key j. Every row of attention weights sums to 1.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attention/types.hpp"
#include "workbook/show.hpp"

namespace attn {

/// The shade of one weight in the terminal (a UTF-8 character): `" "` for exactly 0 (no
/// attention at all, e.g. a masked key), `"·"` for a weight above 0 that is nearer 0 than
/// 0.25, then the nearest quarter: `"░"` 0.25, `"▒"` 0.5, `"▓"` 0.75, `"█"` 1; `"?"` for
/// NaN (a fully masked row). Weights outside [0, 1] are clamped.
std::string shade(double w);

/// The xterm 256-colour palette index of a weight on a terminal (light to dark red, like
/// d2l's "Reds": 231 … 88, the nearest eighth), or -1 for exactly 0 and NaN (no colour).
int shade_colour(double w);

/// Whether the terminal heatmaps are coloured. `--no-color` turns colour off and `--color`
/// forces it on (`--no-color` wins when both are given); otherwise colour only when stdout
/// is a terminal, the `NO_COLOR` environment variable is unset or empty (no-color.org) and
/// `TERM` is not "dumb". The environment values may be null (unset).
bool use_colour(bool stdout_is_terminal, const char* no_color_env, const char* term_env,
                bool no_color_flag, bool color_flag);

/// How a terminal heatmap is drawn.
struct HeatmapStyle {
    bool colour = false;     ///< 256-colour backgrounds (escape codes) instead of shade characters
    std::size_t width = 80;  ///< panels side by side wrap before this many columns
};

/// A matrix (L, S) as a stack of one, (1, L, S), for the functions that draw stacks.
Tensor3 as_stack(const Matrix& w);

/// Attention weights (L, S) as a terminal heatmap: query labels on the left, key labels
/// on top (written downwards when longer than a cell), then a line explaining the shades.
/// Missing labels default to t0, t1, …. Beyond 32 rows or columns the first 16 and the
/// last 16 are drawn, with "…" between.
std::string heatmap_text(const Matrix& w, const Labels& labels = {},
                         const HeatmapStyle& style = {});

/// A stack (n, L, S) — one matrix per head, or per sample — drawn as panels side by side,
/// titled `<panel> 0`, `<panel> 1`, … (untitled when panel is empty), sharing the row
/// labels, wrapped at style.width.
std::string heatmap_text(const Tensor3& w, const Labels& labels = {},
                         const HeatmapStyle& style = {}, const std::string& panel = "head");

/// The colour of a weight in the SVG images, "#rrggbb": ColorBrewer's "Reds" (as d2l draws
/// attention), white-ish at 0, dark red at 1; light grey for NaN.
std::string weight_colour(double w);

/// Attention weights (L, S) as a standalone SVG image: one `<rect class="cell">` per
/// weight, the labels on both axes, the value in each cell when L and S are at most 12,
/// and a colour scale from 0 to 1 with its numbers. `title` is written above the map.
std::string heatmap_svg(const Matrix& w, const Labels& labels, const std::string& title);

/// A stack (n, L, S) as an SVG image of n panels titled `<panel> 0`, `<panel> 1`, …
/// (untitled when panel is empty), in rows of at most 4, with one shared colour scale.
std::string heatmap_svg(const Tensor3& w, const Labels& labels, const std::string& title,
                        const std::string& panel = "head");

/// One line of a LinePlot.
struct PlotSeries {
    std::string name;       ///< its entry in the legend
    std::vector<double> y;  ///< one value per x
};

/// A small line plot over a log₂ x axis, such as chapter 03's largest weight against d_k.
struct LinePlot {
    std::string title;               ///< above the plot
    std::string x_label;             ///< under the x axis
    std::string y_label;             ///< beside the y axis
    std::vector<double> x;           ///< the x values, > 0, increasing; one tick each
    std::vector<PlotSeries> series;  ///< the lines, each with a value per x
    double y_min = 0.0;              ///< bottom of the y axis
    double y_max = 1.0;              ///< top of the y axis
    std::vector<std::pair<double, std::string>> reference{};  ///< dashed lines: y and label
};

/// The plot as a standalone SVG image: axes with ticks, a line and labelled points per
/// series, a legend.
std::string line_plot_svg(const LinePlot& plot);

}  // namespace attn
