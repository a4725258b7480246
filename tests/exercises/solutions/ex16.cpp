// Exercise 16, the reference solution: -inf at every position from lengths[b] on.
#include <cmath>
#include <vector>

#include "exercises.hpp"

namespace ex {

// lengths has B entries; returns (B, S).
Matrix padding_mask(const std::vector<std::size_t>& lengths, std::size_t S) {
    Matrix m = xt::zeros<double>({lengths.size(), S});  // every position allowed …
    for (std::size_t b = 0; b < lengths.size(); ++b)
        for (std::size_t j = lengths[b]; j < S; ++j)  // … except sample b's pads
            m(b, j) = -INFINITY;
    return m;
}

}  // namespace ex
