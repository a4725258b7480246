// A plausible wrong answer to exercise 13: PyTorch's bool form (1 = True = blocked) where
// the additive form is asked for.
// expect: PyTorch's bool form
#include "exercises.hpp"

namespace ex {

Matrix causal_mask(std::size_t L) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = i + 1; j < L; ++j) m(i, j) = 1.0;
    return m;
}

}  // namespace ex
