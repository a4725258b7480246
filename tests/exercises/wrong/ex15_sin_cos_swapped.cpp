// A plausible wrong answer to exercise 15: cos in the even columns, sin in the odd ones.
// expect: sin and cos are swapped
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix positional_encoding(std::size_t L, std::size_t E) {
    Matrix pe = xt::zeros<double>({L, E});
    for (std::size_t pos = 0; pos < L; ++pos)
        for (std::size_t c = 0; c < E; ++c) {
            const double angle = double(pos) / std::pow(10000.0, double(c - c % 2) / double(E));
            pe(pos, c) = c % 2 == 0 ? std::cos(angle) : std::sin(angle);
        }
    return pe;
}

}  // namespace ex
