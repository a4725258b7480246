// Exercise 23, the reference solution: one weight per row that has a key, then their mean.
#include "exercises.hpp"

namespace ex {

// weights is (n, L, S), keys is (n, L); returns one number.
double role_score(const Tensor3& weights, const Matrix& keys) {
    double total = 0.0;
    std::size_t rows = 0;  // only the rows whose template names a key
    for (std::size_t b = 0; b < keys.shape(0); ++b)
        for (std::size_t i = 0; i < keys.shape(1); ++i) {
            if (keys(b, i) < 0) continue;
            total += weights(b, i, static_cast<std::size_t>(keys(b, i)));  // row i, column key
            ++rows;
        }
    return total / static_cast<double>(rows);
}

}  // namespace ex
