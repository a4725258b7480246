/// \file compare.hpp
/// \brief How far apart two arrays are: the one comparison the chapters, the benchmark and
/// the tests share.
#pragma once

#include <cstddef>
#include <string>

#include <xtensor/xarray.hpp>

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

/// The largest difference between a result (a gradient, a float32 output) and its
/// reference, relative to the largest entry of the reference: max|a − b| / max|b| (0 when
/// they are equal, all zeros included; the same NaN in the same place counts as equal; a NaN
/// or an infinity where the other has a number is infinite). Different shapes: std::logic_error.
double relative_error(const xt::xarray<double>& a, const xt::xarray<double>& b);

/// A relative error as the chapters print it: "below 1e-8" (central differences in double
/// reach 1e-11 to 1e-9 here, and their last digits depend on the machine's rounding, so the
/// recorded output states the bound), or the value itself.
std::string describe_relative_error(double rel);

}  // namespace attn
