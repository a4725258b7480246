/// \file npy.hpp
/// \brief Reading and writing `.npy` files (xtensor's xnpy), float32 or float64 in.
#pragma once

#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "attention/types.hpp"

namespace attn {

/// The contents of a `.npy` file, converted to double, with the dtype it had.
struct NpyArray {
    std::string dtype;        ///< "float32", "float64", "bool", "int64", …
    xt::xarray<double> data;  ///< the values, row-major (bool becomes 0.0 / 1.0)
    /// True for a bool array (a mask where True = not allowed).
    bool is_bool() const { return dtype == "bool"; }
};

/// Reads a `.npy` file of float32 or float64; bool and integer types are read too (for
/// masks). The header is parsed strictly (numpy's rules: a tuple of whole numbers for the
/// shape, keys in any order, at most 10 000 bytes) and every size is checked against the
/// file's before anything is allocated. Throws InputError naming the file on anything
/// wrong: missing, unreadable, not an npy file, truncated, big-endian, an unknown dtype.
NpyArray load_npy(const std::string& path);

/// True when `path` exists, false when it does not; an InputError naming it when it cannot
/// be looked at (a symlink loop, no permission).
bool file_present(const std::string& path);

/// Throws InputError naming `path` unless the array was float32 or float64: the one rule
/// for every data file (queries, keys, values, weights, biases).
void require_float(const std::string& path, const NpyArray& a);

/// Reads a 2-D float `.npy` file (L, d) and checks it holds no NaN or infinity.
/// `what` describes the expected shape for the error message, e.g. "(L, E)".
Matrix load_npy_matrix(const std::string& path, const std::string& what = "(rows, cols)");

/// Throws InputError naming `path` if the array has a NaN or an infinity.
void check_finite(const std::string& path, const xt::xarray<double>& a);

/// Writes an array as a float64 `.npy` file; throws InputError naming it if any write or
/// the close fails. It is written under a temporary name in the same folder and renamed
/// at the end, so a failed write leaves no half-written file under the final name.
void dump_npy(const std::string& path, const xt::xarray<double>& a);

}  // namespace attn
