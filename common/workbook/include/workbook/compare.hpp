/// \file compare.hpp
/// \brief How far apart two arrays are: the one comparison the chapters, the benchmark and
/// the tests share.
#pragma once

#include <cstddef>
#include <string>

#include <xtensor/xarray.hpp>

#include "attention/efficient.hpp"
#include "attention/types.hpp"

namespace attn {

/// The largest entry-wise difference of two arrays and where it is.
struct Difference {
    double largest = 0.0;  ///< max |a − b|; infinity where one is NaN or infinite and the other not
    std::size_t at = 0;    ///< the flat index of that entry
};

/// The largest |a − b| of two arrays of the same shape. The same non-finite value in the same
/// place (NaN and NaN, +inf and +inf) is no difference: a fully masked row is NaN in PyTorch
/// and here alike. Arrays of different shapes are a bug in the caller: std::logic_error.
Difference largest_difference(const xt::xarray<double>& a, const xt::xarray<double>& b);

/// largest_difference in words that do not depend on the machine: "below 1e-12 (they agree)",
/// or the value itself ("3.10e-05", "inf").
std::string describe_difference(const xt::xarray<double>& a, const xt::xarray<double>& b);

/// The largest |a − b| of a float32 result and its float64 reference (infinity when the
/// shapes differ or a NaN appears where the reference has none).
double max_difference(const MatrixF& a, const Matrix& b);

/// max_difference divided by the largest |b|: the relative error the benchmark reports.
double relative_error(const MatrixF& a, const Matrix& b);

}  // namespace attn
