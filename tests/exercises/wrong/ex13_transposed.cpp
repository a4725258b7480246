// A plausible wrong answer to exercise 13: rows and columns mixed up, -inf below the
// diagonal, so every token sees the future and none of the past.
// expect: blocks the past
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix causal_mask(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < i; ++j) m(i, j) = -INFINITY;
    return m;
}

}  // namespace ex
