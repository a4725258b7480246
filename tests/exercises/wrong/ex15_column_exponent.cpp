// A plausible wrong answer to exercise 15: the column index c itself in the exponent, so
// the cos column 2i+1 gets a frequency of its own instead of sharing its sin's.
// expect: the cos column 2i\+1 must share the frequency of the sin column 2i
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix positional_encoding(std::size_t L, std::size_t E) {
    Matrix pe = xt::zeros<double>({L, E});
    for (std::size_t pos = 0; pos < L; ++pos)
        for (std::size_t c = 0; c < E; ++c) {
            const double angle = double(pos) / std::pow(10000.0, double(c) / double(E));
            pe(pos, c) = c % 2 == 0 ? std::sin(angle) : std::cos(angle);
        }
    return pe;
}

}  // namespace ex
