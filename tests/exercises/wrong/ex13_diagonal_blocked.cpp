// A plausible wrong answer to exercise 13: j >= i blocked, so each token cannot see itself.
// expect: a token must see itself
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix causal_mask(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = i; j < L; ++j) m(i, j) = -INFINITY;
    return m;
}

}  // namespace ex
