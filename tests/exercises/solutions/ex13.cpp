// Exercise 13, the reference solution: -inf above the diagonal, 0 elsewhere.
#include <cmath>

#include "exercises.hpp"

namespace ex {

// Returns (L, L).
Matrix causal_mask(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});        // everything allowed …
    for (std::size_t i = 0; i < L; ++i)          // … except, for query i,
        for (std::size_t j = i + 1; j < L; ++j)  // every later key j > i
            m(i, j) = -INFINITY;
    return m;
}

}  // namespace ex
