/// \file show.hpp
/// \brief Printing matrices the way the chapters show them: name, shape, 4 decimals.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "attention/types.hpp"

namespace attn {

/// Token labels for the rows and/or columns of a printed matrix (either may be empty).
struct Labels {
    std::vector<std::string> rows;  ///< one label per row, e.g. the query tokens
    std::vector<std::string> cols;  ///< one label per column, e.g. the key tokens
};

/// From this magnitude on numbers print in scientific notation, as numpy switches.
constexpr double kScientificFrom = 1e16;

/// One number with `decimals` decimals, as PyTorch prints it ("0.4223", "-1.0000", "inf");
/// from 1e16 on in scientific notation ("3.4558e+199").
std::string format_number(double x, int decimals = 4);
/// A fraction as a percentage with one decimal: 0.9843 → "98.4%".
std::string format_percent(double fraction);
/// s with spaces before it up to `width` characters, for a right-aligned table column.
std::string pad_left(const std::string& s, std::size_t width);
/// One number, fixed ("%.4f") or scientific ("%.4e"): a matrix prints all its entries in
/// scientific notation when its largest is 1e16 or more.
std::string format_number(double x, int decimals, bool scientific);

/// The body of a matrix (no name): bracketed rows as numpy prints them, or, when
/// labels are given, a table with the labels on its left and on top.
/// m is (rows, cols). Beyond 12 rows or columns only the first 3 and last 3 are
/// printed, with "..." between (as numpy and PyTorch summarise); `--dump` has them all.
std::string format_matrix(const Matrix& m, const Labels& labels = {}, int decimals = 4);

/// Exactly what PyTorch's `print(tensor)` writes for a 2-D float tensor whose values
/// print with 4 decimals: `tensor([[0.4223, 0.1554], [...]])` over several lines.
std::string torch_format(const Matrix& m);

/// Prints `name  (rows, cols)  caption`, then the matrix, then a blank line.
void show(std::ostream& out, const std::string& name, const Matrix& m, const Labels& labels = {},
          const std::string& caption = "");
/// Prints a vector as one row: `name  (n,)  caption`, then `[a, b, c]`.
void show(std::ostream& out, const std::string& name, const Vector& v,
          const std::string& caption = "");
/// Prints a stack (n, rows, cols) as n matrices named `name[0]`, `name[1]`, ….
void show(std::ostream& out, const std::string& name, const Tensor3& t, const Labels& labels = {},
          const std::string& caption = "");

}  // namespace attn
