// A plausible wrong answer to exercise 16: the other convention, read as "True = keep",
// so the real tokens are blocked and the pads allowed.
// expect: True = keep vs True = blocked
#include <cmath>
#include <vector>

#include "exercises.hpp"

namespace ex {

Matrix padding_mask(const std::vector<std::size_t>& lengths, std::size_t S) {
    Matrix m = xt::zeros<double>({lengths.size(), S});
    for (std::size_t b = 0; b < lengths.size(); ++b)
        for (std::size_t j = 0; j < lengths[b]; ++j) m(b, j) = -INFINITY;
    return m;
}

}  // namespace ex
