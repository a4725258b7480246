// Printing matrices: name, shape, 4 decimals (see show.hpp).
#include "workbook/show.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <stdexcept>

#include <xtensor/xview.hpp>

namespace attn {

std::string format_percent(double fraction) {
    return format_number(100 * fraction, 1) + "%";
}

std::string pad_left(const std::string& s, std::size_t width) {
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

std::string format_number(double x, int decimals) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return format_number(x, decimals, std::abs(x) >= kScientificFrom);
}

std::string format_number(double x, int decimals, bool scientific) {
    if (!std::isfinite(x)) return format_number(x, decimals);
    char buf[64];  // "%.4f" of 1e58 would need more: large values use "%.4e", as numpy does
    std::snprintf(buf, sizeof buf, scientific ? "%.*e" : "%.*f", decimals, x);
    return buf;
}

namespace {

// Every entry of m formatted, and the widest one's width.
std::vector<std::string> format_all(const Matrix& m, int decimals, std::size_t& width) {
    std::vector<std::string> cells;
    width = 0;
    bool scientific = false;  // numpy: the whole array in scientific notation from 1e16 on
    for (double x : m)
        scientific = scientific || (std::isfinite(x) && std::abs(x) >= kScientificFrom);
    for (double x : m) {
        cells.push_back(format_number(x, decimals, scientific));
        width = std::max(width, cells.back().size());
    }
    return cells;
}

std::string pad_left(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string pad_right(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// Which rows or columns to print: all of them up to 12, else the first 3 and the last 3
// (as numpy and PyTorch summarise), with kSkip marking the gap.
constexpr std::size_t kSkip = static_cast<std::size_t>(-1);
std::vector<std::size_t> shown(std::size_t n) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < n; ++i) {
        if (n <= 12 || i < 3 || i >= n - 3)
            idx.push_back(i);
        else if (i == 3)
            idx.push_back(kSkip);
    }
    return idx;
}

// Rows in brackets, entries right-aligned to one width: "[[a, b],\n<indent> [c, d]]".
std::string bracketed(const Matrix& m, int decimals, const std::string& indent) {
    std::size_t width = 0;
    const auto cells = format_all(m, decimals, width);
    const std::size_t cols = m.shape(1);
    std::string s = "[";
    bool first_row = true;
    for (std::size_t i : shown(m.shape(0))) {
        s += first_row ? "[" : ",\n" + indent + " [";
        first_row = false;
        if (i == kSkip) {
            s += "...]";
            continue;
        }
        bool first = true;
        for (std::size_t j : shown(cols)) {
            s += (first ? "" : ", ") +
                 (j == kSkip ? std::string("...") : pad_left(cells[i * cols + j], width));
            first = false;
        }
        s += "]";
    }
    return s + "]";
}

// A table with row labels on the left and column labels on top.
std::string labelled(const Matrix& m, const Labels& labels, int decimals) {
    std::size_t width = 0;
    const auto cells = format_all(m, decimals, width);
    const std::size_t cols = m.shape(1);
    for (const auto& c : labels.cols) width = std::max(width, c.size());
    std::size_t label_width = 0;
    for (const auto& r : labels.rows) label_width = std::max(label_width, r.size());
    auto label = [](const std::vector<std::string>& names, std::size_t i) {
        return i == kSkip ? std::string("...") : i < names.size() ? names[i] : std::string();
    };

    std::string s;
    if (!labels.cols.empty()) {
        s += std::string(label_width, ' ');
        for (std::size_t j : shown(cols)) s += "  " + pad_left(label(labels.cols, j), width);
        s += "\n";
    }
    for (std::size_t i : shown(m.shape(0))) {
        s += pad_right(label(labels.rows, i), label_width);
        for (std::size_t j : shown(cols)) {
            const bool gap = (i == kSkip || j == kSkip);
            s += "  " + pad_left(gap ? "..." : cells[i * cols + j], width);
        }
        s += "\n";
    }
    s.pop_back();
    return s;
}

}  // namespace

std::string format_matrix(const Matrix& m, const Labels& labels, int decimals) {
    if (m.size() == 0) return "[]";
    if (labels.rows.empty() && labels.cols.empty()) return bracketed(m, decimals, "");
    return labelled(m, labels, decimals);
}

std::string torch_format(const Matrix& m) {
    return "tensor(" + bracketed(m, 4, std::string(7, ' ')) + ")";
}

void show(std::ostream& out, const std::string& name, const Matrix& m, const Labels& labels,
          const std::string& caption) {
    out << name << "  " << shape_str(m.shape()) << (caption.empty() ? "" : "  " + caption) << "\n"
        << format_matrix(m, labels) << "\n\n";
}

void show(std::ostream& out, const std::string& name, const Vector& v, const std::string& caption) {
    Matrix row = xt::empty<double>({std::size_t{1}, v.size()});
    std::copy(v.begin(), v.end(), row.begin());
    const std::string body = bracketed(row, 4, "");
    out << name << "  " << shape_str(v.shape()) << (caption.empty() ? "" : "  " + caption) << "\n"
        << body.substr(1, body.size() - 2) << "\n\n";
}

void show(std::ostream& out, const std::string& name, const Tensor3& t, const Labels& labels,
          const std::string& caption) {
    out << name << "  " << shape_str(t.shape()) << (caption.empty() ? "" : "  " + caption) << "\n";
    for (std::size_t h = 0; h < t.shape(0); ++h) {
        const Matrix slice = xt::view(t, h, xt::all(), xt::all());
        out << name << "[" << h << "]\n" << format_matrix(slice, labels) << "\n";
    }
    out << "\n";
}

}  // namespace attn
