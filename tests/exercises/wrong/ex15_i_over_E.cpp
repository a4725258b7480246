// A plausible wrong answer to exercise 15: the pair index i in the exponent, i/E, instead
// of 2i/E, so the clocks slow down half as fast as they should.
// expect: exponent i/E instead of 2i/E
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix positional_encoding(std::size_t L, std::size_t E) {
    Matrix pe = xt::zeros<double>({L, E});
    for (std::size_t pos = 0; pos < L; ++pos)
        for (std::size_t c = 0; c < E; ++c) {
            const std::size_t i = c / 2;
            const double angle = double(pos) / std::pow(10000.0, double(i) / double(E));
            pe(pos, c) = c % 2 == 0 ? std::sin(angle) : std::cos(angle);
        }
    return pe;
}

}  // namespace ex
