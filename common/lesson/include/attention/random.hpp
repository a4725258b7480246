/// \file random.hpp
/// \brief Reproducible random numbers: the same seed gives the same matrices everywhere.
#pragma once

#include <cstdint>
#include <random>

#include "attention/types.hpp"

namespace attn {

/// A seeded generator whose numbers are the same on every machine and compiler
/// (std::mt19937_64 is fully specified; the normal draws use our own Box–Muller,
/// because std::normal_distribution is not).
class Random {
public:
    /// Starts the sequence from `seed`.
    explicit Random(std::uint64_t seed) : gen_(seed) {}
    /// Uniform in [0, 1).
    double uniform();
    /// Standard normal (mean 0, variance 1).
    double normal();
    /// A (rows, cols) matrix of normal draws times `stddev`.
    Matrix normal_matrix(std::size_t rows, std::size_t cols, double stddev = 1.0);
    /// A whole number in [lo, hi].
    std::size_t integer(std::size_t lo, std::size_t hi);

private:
    std::mt19937_64 gen_;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

}  // namespace attn
