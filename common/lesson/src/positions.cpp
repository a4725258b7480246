// Positions: sinusoidal encodings (see positions.hpp).
#include "attention/positions.hpp"

#include <cmath>

namespace attn {

// Returns (L, E).
Matrix positional_encoding(std::size_t L, std::size_t E) {
    Matrix pe = xt::zeros<double>({L, E});
    for (std::size_t pos = 0; pos < L; ++pos) {
        for (std::size_t c = 0; c < E; ++c) {
            const double i2 = static_cast<double>(c - c % 2);  // 2i for both sin and cos
            const double angle =
                    static_cast<double>(pos) / std::pow(10000.0, i2 / static_cast<double>(E));
            pe(pos, c) = (c % 2 == 0) ? std::sin(angle) : std::cos(angle);
        }
    }
    return pe;
}

}  // namespace attn
