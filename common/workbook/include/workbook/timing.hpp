/// \file timing.hpp
/// \brief Timing for chapter 18's `--time` and for `./workbook bench`: medians of repeated
/// calls, and the machine's sgemm speed to compare them with.
#pragma once

#include <cstddef>
#include <functional>

namespace attn {

/// The median time in milliseconds of `repeats` calls of f, after `warmups` calls.
double median_ms(const std::function<void()>& f, std::size_t repeats, std::size_t warmups = 1);

/// GFLOP/s of OpenBLAS's sgemm on n × n matrices with fast_threads() threads: the
/// machine's speed limit for float32 products, measured now (median of `repeats`).
double sgemm_gflops(std::size_t n = 1024, std::size_t repeats = 7);

}  // namespace attn
