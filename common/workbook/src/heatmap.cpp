// Attention weights as pictures: terminal heatmaps and SVG images (see heatmap.hpp).
// The SVG is written by hand - a few element types, no library needed.
#include "workbook/heatmap.hpp"
#include "workbook/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <xtensor/xview.hpp>

namespace attn {

std::string shade(double w) {
    if (std::isnan(w)) return "?";
    if (w <= 0.0) return " ";
    static const char* const glyphs[] = {"·", "░", "▒", "▓", "█"};
    return glyphs[std::lround(std::min(w, 1.0) * 4.0)];
}

int shade_colour(double w) {
    if (std::isnan(w) || w <= 0.0) return -1;
    // xterm-256 colours nearest to ColorBrewer's Reds, light to dark.
    static const int ramp[] = {231, 224, 217, 210, 203, 196, 160, 124, 88};
    return ramp[std::lround(std::min(w, 1.0) * 8.0)];
}

bool use_colour(bool stdout_is_terminal, const char* no_color_env, const char* term_env,
                bool no_color_flag, bool color_flag) {
    if (no_color_flag) return false;
    if (color_flag) return true;
    if (!stdout_is_terminal) return false;
    if (no_color_env != nullptr && *no_color_env != '\0') return false;
    return term_env == nullptr || std::strcmp(term_env, "dumb") != 0;
}

namespace {

// ---- text helpers ------------------------------------------------------------------

constexpr std::size_t kGap = static_cast<std::size_t>(-1);

std::string pad(const std::string& s, std::size_t width) {
    const std::size_t w = display_width(s);
    return w >= width ? s : s + std::string(width - w, ' ');
}

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

// Which rows or columns a map draws: all up to `most`, else the first and last most/2.
std::vector<std::size_t> drawn(std::size_t n, std::size_t most) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < n; ++i) {
        if (n <= most || i < most / 2 || i >= n - most / 2)
            idx.push_back(i);
        else if (i == most / 2)
            idx.push_back(kGap);
    }
    return idx;
}

// Label i, or t0, t1, … when none was given; "…" for the gap.
std::string label(const std::vector<std::string>& names, std::size_t i) {
    if (i == kGap) return "…";
    return i < names.size() ? names[i] : "t" + std::to_string(i);
}

std::string cell_text(double w, std::size_t width, bool colour) {
    if (!colour) return repeat(shade(w), width);
    if (std::isnan(w)) return std::string(width, '?');
    const int c = shade_colour(w);
    if (c < 0) return std::string(width, ' ');
    return "\033[48;5;" + std::to_string(c) + "m" + std::string(width, ' ') + "\033[0m";
}

std::string legend(bool colour, bool nan) {
    if (!colour) {
        return std::string(
                       "shades: blank = 0, · = below 0.125, ░ ≈ 0.25, ▒ ≈ 0.5, ▓ ≈ 0.75, █ ≈ 1") +
               (nan ? ", ? = nan" : "");
    }
    std::string s = "colours: blank = 0, then 0 ";
    for (int k = 0; k <= 8; ++k) s += cell_text(k == 0 ? 1e-9 : k / 8.0, 2, true);
    return s + " 1" + (nan ? ", ?? = nan" : "");
}

std::string rtrim(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

// t is (n, L, S): n maps side by side, titled when titles are given (one per map);
// returns the lines of the drawing, each ending in '\n', then the legend.
std::string draw_text(const Tensor3& t, const Labels& labels, const HeatmapStyle& style,
                      const std::vector<std::string>& titles) {
    const std::size_t n = t.shape(0);
    const auto rows = drawn(t.shape(1), 32), cols = drawn(t.shape(2), 32);
    const std::size_t cw = cols.size() <= 16 ? 3 : 2;  // characters per cell
    std::vector<std::string> row_labels, col_labels;
    std::size_t rw = 0, longest = 0;
    for (std::size_t i : rows) {
        row_labels.push_back(label(labels.rows, i));
        rw = std::max(rw, display_width(row_labels.back()));
    }
    for (std::size_t j : cols) {
        col_labels.push_back(label(labels.cols, j));
        longest = std::max(longest, display_width(col_labels.back()));
    }
    // Key labels across when each fits its cell with a space to spare, else downwards,
    // ending just above the map.
    const bool across = longest < cw;
    const std::size_t header = across ? 1 : longest;
    std::size_t pw = cols.size() * cw;  // a panel's width
    for (const auto& title : titles) pw = std::max(pw, display_width(title));
    const std::string indent = "  ";
    const std::size_t gap = 3, left = indent.size() + rw + 1;
    const std::size_t per_line =
            style.width > left + pw
                    ? std::max<std::size_t>(1, (style.width - left + gap) / (pw + gap))
                    : 1;

    std::string s;
    bool any_nan = false;
    for (std::size_t first = 0; first < n; first += per_line) {
        const std::size_t last = std::min(n, first + per_line);
        if (first > 0) s += "\n";
        std::vector<std::string> lines;
        const std::string blank_left = indent + std::string(rw + 1, ' ');
        if (!titles.empty()) {
            std::string line = blank_left;
            for (std::size_t p = first; p < last; ++p) line += pad(titles[p], pw + gap);
            lines.push_back(line);
        }
        for (std::size_t h = 0; h < header; ++h) {
            std::string line = blank_left;
            for (std::size_t p = first; p < last; ++p) {
                std::string part;
                for (const auto& name : col_labels) {
                    if (across) {
                        part += pad(name, cw);
                        continue;
                    }
                    const auto chars = utf8_characters(name);
                    const std::size_t skip = header - chars.size();  // bottom-aligned
                    part += pad(h >= skip ? chars[h - skip] : "", cw);
                }
                line += pad(part, pw + gap);
            }
            lines.push_back(line);
        }
        for (std::size_t r = 0; r < rows.size(); ++r) {
            std::string line = indent + pad(row_labels[r], rw) + " ";
            for (std::size_t p = first; p < last; ++p) {
                for (std::size_t j : cols) {
                    if (rows[r] == kGap || j == kGap) {
                        line += pad("…", cw);
                        continue;
                    }
                    const double w = t(p, rows[r], j);
                    any_nan = any_nan || std::isnan(w);
                    line += cell_text(w, cw, style.colour);
                }
                line += std::string(pw - cols.size() * cw + gap, ' ');
            }
            lines.push_back(line);
        }
        for (const auto& line : lines) s += rtrim(line) + "\n";
    }
    return s + indent + legend(style.colour, any_nan) + "\n";
}

// "<panel> 0", "<panel> 1", …; none when panel is empty (a single map).
std::vector<std::string> panel_titles(std::size_t n, const std::string& panel) {
    std::vector<std::string> titles;
    if (panel.empty()) return titles;
    for (std::size_t p = 0; p < n; ++p) titles.push_back(panel + " " + std::to_string(p));
    return titles;
}

// ---- SVG helpers -------------------------------------------------------------------

std::string esc(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// A coordinate: one decimal, without a trailing ".0".
std::string px(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", x);
    std::string s = buf;
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s == "-0" ? "0" : s;
}

std::string fixed(double x, int decimals) {
    if (std::isnan(x)) return "nan";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return buf;
}

std::string text(double x, double y, const std::string& content, const std::string& attrs = "") {
    return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"" + (attrs.empty() ? "" : " " + attrs) +
           ">" + esc(content) + "</text>\n";
}

std::string svg_open(double width, double height) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
           px(width) + "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(width) + " " +
           px(height) +
           "\" font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"12\">\n"
           "<rect class=\"background\" x=\"0\" y=\"0\" width=\"" +
           px(width) + "\" height=\"" + px(height) + "\" fill=\"#ffffff\"/>\n";
}

// ColorBrewer's Reds, 9 classes, light to dark.
const int kReds[9][3] = {{0xff, 0xf5, 0xf0}, {0xfe, 0xe0, 0xd2}, {0xfc, 0xbb, 0xa1},
                         {0xfc, 0x92, 0x72}, {0xfb, 0x6a, 0x4a}, {0xef, 0x3b, 0x2c},
                         {0xcb, 0x18, 0x1d}, {0xa5, 0x0f, 0x15}, {0x67, 0x00, 0x0d}};

std::string hex(int r, int g, int b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
    return buf;
}

constexpr double kCharWidth = 7.5;  // about the width of one character at 12 px

}  // namespace

Tensor3 as_stack(const Matrix& w) {
    Tensor3 t = xt::empty<double>({std::size_t{1}, w.shape(0), w.shape(1)});
    std::copy(w.begin(), w.end(), t.begin());
    return t;
}

std::string heatmap_text(const Matrix& w, const Labels& labels, const HeatmapStyle& style) {
    return draw_text(as_stack(w), labels, style, {});
}

std::string heatmap_text(const Tensor3& w, const Labels& labels, const HeatmapStyle& style,
                         const std::string& panel) {
    return draw_text(w, labels, style, panel_titles(w.shape(0), panel));
}

std::string weight_colour(double w) {
    if (std::isnan(w)) return "#d9d9d9";
    const double t = std::clamp(w, 0.0, 1.0) * 8.0;
    const int i = std::min(7, static_cast<int>(t));
    const double f = t - i;
    int c[3];
    for (int k = 0; k < 3; ++k)
        c[k] = static_cast<int>(std::lround(kReds[i][k] + f * (kReds[i + 1][k] - kReds[i][k])));
    return hex(c[0], c[1], c[2]);
}

namespace {

bool any_nan(const Tensor3& t) {
    return std::any_of(t.begin(), t.end(), [](double x) { return std::isnan(x); });
}

// t is (n, L, S): n panels in rows of at most 4, titled when titles are given; returns a
// whole SVG document. 1) sizes, 2) panels: labels, cells, values, 3) the colour scale.
std::string draw_svg(const Tensor3& t, const Labels& labels, const std::string& title,
                     const std::vector<std::string>& titles) {
    // 1) sizes: cells of c px, smaller for larger maps; labels every k-th when cells are tiny
    const std::size_t n = t.shape(0), L = t.shape(1), S = t.shape(2);
    const std::size_t m = std::max<std::size_t>({L, S, 1});
    const double c = m <= 6 ? 44 : m <= 12 ? 34 : std::clamp(std::floor(384.0 / m), 3.0, 24.0);
    const bool values = L <= 12 && S <= 12;
    const std::size_t every =
            c >= 12 ? 1 : static_cast<std::size_t>(std::ceil(12.0 / c));  // label every k-th
    std::size_t row_chars = 0, col_chars = 0;
    for (std::size_t i = 0; i < L; i += every)
        row_chars = std::max(row_chars, display_width(label(labels.rows, i)));
    for (std::size_t j = 0; j < S; j += every)
        col_chars = std::max(col_chars, display_width(label(labels.cols, j)));
    const double rlw = row_chars * kCharWidth + 10;        // row labels
    const bool across = col_chars * kCharWidth + 10 <= c;  // key labels upright, else turned
    const double clh = across ? 18 : col_chars * kCharWidth + 10;
    const double th = titles.empty() ? 0 : 20;  // panel title
    const double pw = rlw + S * c, ph = th + clh + L * c;
    const std::size_t grid_cols = std::clamp<std::size_t>(n, 1, 4),
                      grid_rows = std::max<std::size_t>(1, (n + grid_cols - 1) / grid_cols);
    const double margin = 12, space = 18, top = 34;
    const double bar_x = margin + grid_cols * pw + (grid_cols - 1) * space + 24;
    const double bar_y = top + th + clh, bar_h = std::clamp(L * c, 100.0, 260.0);
    double width = bar_x + 14 + 48 + margin;
    const std::string footer =
            std::string("rows: queries · columns: keys · darker = more attention; ") +
            "each row sums to 1" + (any_nan(t) ? " · grey: nan (no key allowed)" : "");
    width = std::max({width, 2 * margin + display_width(title) * 8.6,
                      2 * margin + display_width(footer) * 6.4});
    const double grid_bottom = top + grid_rows * ph + (grid_rows - 1) * space;
    const double height = std::max(grid_bottom, bar_y + bar_h + 10) + 34;

    // 2) the panels
    std::string s = svg_open(width, height);
    s += text(margin, 22, title, "font-size=\"14\" font-weight=\"bold\"");
    for (std::size_t p = 0; p < n; ++p) {
        const double x0 = margin + (p % grid_cols) * (pw + space);
        const double y0 = top + (p / grid_cols) * (ph + space);
        const double gx = x0 + rlw, gy = y0 + th + clh;  // the map's top-left corner
        s += "<g class=\"panel\">\n";
        if (!titles.empty()) s += text(gx, y0 + 14, titles[p], "font-weight=\"bold\"");
        for (std::size_t j = 0; j < S; j += every) {
            const double cx = gx + (j + 0.5) * c;
            s += across ? text(cx, gy - 6, label(labels.cols, j), "text-anchor=\"middle\"")
                        : "<text transform=\"translate(" + px(cx + 4) + "," + px(gy - 5) +
                                  ") rotate(-90)\">" + esc(label(labels.cols, j)) + "</text>\n";
        }
        for (std::size_t i = 0; i < L; i += every) {
            s += text(gx - 6, gy + (i + 0.5) * c + 4, label(labels.rows, i), "text-anchor=\"end\"");
        }
        const std::string stroke = c >= 12 ? " stroke=\"#ffffff\" stroke-width=\"1\"" : "";
        for (std::size_t i = 0; i < L; ++i) {
            for (std::size_t j = 0; j < S; ++j) {
                const double w = t(p, i, j);
                const double x = gx + j * c, y = gy + i * c;
                s += "<rect class=\"cell\" x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" +
                     px(c) + "\" height=\"" + px(c) + "\" fill=\"" + weight_colour(w) + "\"" +
                     stroke + "><title>" +
                     esc(label(labels.rows, i) + " → " + label(labels.cols, j) + ": " +
                         fixed(w, 4)) +
                     "</title></rect>\n";
                if (values) {
                    const bool dark = !std::isnan(w) && w > 0.55;
                    s += text(x + c / 2, y + c / 2 + 4,
                              w == 0.0 ? "0" : fixed(w, 2),  // 0: none at all
                              std::string("text-anchor=\"middle\" font-size=\"") +
                                      (c >= 40 ? "12" : "10") + "\" fill=\"" +
                                      (dark ? "#ffffff" : "#222222") + "\"");
                }
            }
        }
        s += "<rect class=\"frame\" x=\"" + px(gx) + "\" y=\"" + px(gy) + "\" width=\"" +
             px(S * c) + "\" height=\"" + px(L * c) +
             "\" fill=\"none\" stroke=\"#888888\"/>\n</g>\n";
    }
    // 3) the colour scale, 0 at the bottom, 1 at the top, with its numbers
    s += "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n";
    for (int k = 0; k <= 8; ++k) {
        s += "<stop offset=\"" + fixed(k / 8.0, 3) + "\" stop-color=\"" + weight_colour(k / 8.0) +
             "\"/>\n";
    }
    s += "</linearGradient></defs>\n<g class=\"scale\">\n";
    s += text(bar_x, bar_y - 14, "weight");
    s += "<rect class=\"colourbar\" x=\"" + px(bar_x) + "\" y=\"" + px(bar_y) +
         "\" width=\"14\" height=\"" + px(bar_h) + "\" fill=\"url(#scale)\" stroke=\"#888888\"/>\n";
    for (int k = 0; k <= 4; ++k) {
        const double y = bar_y + bar_h * (1 - k / 4.0);
        s += "<line x1=\"" + px(bar_x + 14) + "\" y1=\"" + px(y) + "\" x2=\"" + px(bar_x + 18) +
             "\" y2=\"" + px(y) + "\" stroke=\"#444444\"/>\n";
        s += text(bar_x + 21, y + 4, k == 0 ? "0" : k == 4 ? "1" : fixed(k / 4.0, 2));
    }
    s += "</g>\n";
    s += text(margin, height - 12, footer, "font-size=\"11\" fill=\"#444444\"");
    return s + "</svg>\n";
}

}  // namespace

std::string heatmap_svg(const Matrix& w, const Labels& labels, const std::string& title) {
    return draw_svg(as_stack(w), labels, title, {});
}

std::string heatmap_svg(const Tensor3& w, const Labels& labels, const std::string& title,
                        const std::string& panel) {
    return draw_svg(w, labels, title, panel_titles(w.shape(0), panel));
}

std::string line_plot_svg(const LinePlot& plot) {
    const double width = 560, height = 320, l = 64, r = 170, t = 42, b = 52;
    const double pw = width - l - r, ph = height - t - b, inner = 16;
    if (plot.x.empty() || plot.x.front() <= 0 || !(plot.y_max > plot.y_min)) {
        throw std::invalid_argument(
                "line_plot_svg: needs x > 0 (on a log scale) and y_max > y_min");
    }
    const double x_lo = std::log2(plot.x.front()), x_hi = std::log2(plot.x.back());
    auto X = [&](double x) {
        return x_hi > x_lo ? l + inner + (std::log2(x) - x_lo) / (x_hi - x_lo) * (pw - 2 * inner)
                           : l + pw / 2;
    };
    auto Y = [&](double y) {
        return t + inner + (ph - 2 * inner) * (1 - (y - plot.y_min) / (plot.y_max - plot.y_min));
    };
    static const char* const colours[] = {"#cb181d", "#2171b5", "#238b45", "#6a51a3"};

    std::string s = svg_open(width, height);
    s += text(12, 22, plot.title, "font-size=\"14\" font-weight=\"bold\"");
    for (int k = 0; k <= 5; ++k) {  // y grid and ticks
        const double v = plot.y_min + (plot.y_max - plot.y_min) * k / 5.0, y = Y(v);
        s += "<line class=\"grid\" x1=\"" + px(l) + "\" y1=\"" + px(y) + "\" x2=\"" + px(l + pw) +
             "\" y2=\"" + px(y) + "\" stroke=\"#e5e5e5\"/>\n";
        s += text(l - 6, y + 4, fixed(v, 1), "text-anchor=\"end\"");
    }
    for (double x : plot.x) {  // x ticks
        s += "<line x1=\"" + px(X(x)) + "\" y1=\"" + px(t + ph) + "\" x2=\"" + px(X(x)) +
             "\" y2=\"" + px(t + ph + 4) + "\" stroke=\"#444444\"/>\n";
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", x);
        s += text(X(x), t + ph + 17, buf, "text-anchor=\"middle\"");
    }
    s += "<rect class=\"axes\" x=\"" + px(l) + "\" y=\"" + px(t) + "\" width=\"" + px(pw) +
         "\" height=\"" + px(ph) + "\" fill=\"none\" stroke=\"#444444\"/>\n";
    s += text(l + pw / 2, height - 12, plot.x_label, "text-anchor=\"middle\"");
    s += "<text transform=\"translate(16," + px(t + ph / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + esc(plot.y_label) + "</text>\n";
    for (const auto& [y, name] : plot.reference) {
        s += "<line class=\"reference\" x1=\"" + px(l) + "\" y1=\"" + px(Y(y)) + "\" x2=\"" +
             px(l + pw) + "\" y2=\"" + px(Y(y)) +
             "\" stroke=\"#777777\" stroke-dasharray=\"4 3\"/>\n";
        s += text(l + pw - 4, Y(y) - 5, name,
                  "text-anchor=\"end\" font-size=\"11\" fill=\"#555555\"");
    }
    for (std::size_t k = 0; k < plot.series.size(); ++k) {
        const PlotSeries& series = plot.series[k];
        const std::string colour = colours[k % 4];
        std::string points;
        for (std::size_t i = 0; i < series.y.size() && i < plot.x.size(); ++i)
            points += (i ? " " : "") + px(X(plot.x[i])) + "," + px(Y(series.y[i]));
        s += "<polyline class=\"series\" points=\"" + points + "\" fill=\"none\" stroke=\"" +
             colour + "\" stroke-width=\"2\"/>\n";
        for (std::size_t i = 0; i < series.y.size() && i < plot.x.size(); ++i) {
            const double x = X(plot.x[i]), y = Y(series.y[i]);
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g", plot.x[i]);
            s += "<circle class=\"point\" cx=\"" + px(x) + "\" cy=\"" + px(y) +
                 "\" r=\"3.5\" fill=\"" + colour + "\"><title>" +
                 esc(series.name + " at " + buf + ": " + fixed(series.y[i], 3)) +
                 "</title></circle>\n";
            s += text(x, y + (k % 2 ? 16 : -8), fixed(series.y[i], 2),
                      "text-anchor=\"middle\" font-size=\"10\" fill=\"" + colour + "\"");
        }
        const double ly = t + 10 + 20 * k;  // the legend
        s += "<line x1=\"" + px(l + pw + 14) + "\" y1=\"" + px(ly) + "\" x2=\"" + px(l + pw + 36) +
             "\" y2=\"" + px(ly) + "\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n";
        s += text(l + pw + 42, ly + 4, series.name);
    }
    return s + "</svg>\n";
}

}  // namespace attn
