// Exercise 15, the reference solution: one angle per (position, column pair).
#include <cmath>

#include "exercises.hpp"

namespace ex {

// Returns (L, E).
Matrix positional_encoding(std::size_t L, std::size_t E) {
    Matrix pe = xt::zeros<double>({L, E});
    for (std::size_t pos = 0; pos < L; ++pos)
        for (std::size_t c = 0; c < E; ++c) {
            const double two_i =
                    static_cast<double>(c - c % 2);  // 2i: shared by the pair (2i, 2i+1)
            const double angle =
                    static_cast<double>(pos) / std::pow(10000.0, two_i / static_cast<double>(E));
            pe(pos, c) = c % 2 == 0 ? std::sin(angle) : std::cos(angle);
        }
    return pe;
}

}  // namespace ex
