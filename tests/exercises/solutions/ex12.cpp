// Exercise 12, the reference solution: the mean over the head axis, with loops.
// (Vectorised: Matrix out = xt::mean(weights, {0});)
#include "exercises.hpp"

namespace ex {

// weights is (H, L, S); returns (L, S).
Matrix average_heads(const Tensor3& weights) {
    const std::size_t H = weights.shape(0), L = weights.shape(1), S = weights.shape(2);
    Matrix out = xt::zeros<double>({L, S});
    for (std::size_t h = 0; h < H; ++h)  // add up every head's map
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t j = 0; j < S; ++j) out(i, j) += weights(h, i, j);
    return out / static_cast<double>(H);  // the mean: divide by the number of heads
}

}  // namespace ex
