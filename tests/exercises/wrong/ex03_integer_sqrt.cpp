// A plausible wrong answer to exercise 03: √d_k stored in an integer, so √5 becomes 2.
// expect: rounded down to a whole number
#include <cmath>

#include "exercises.hpp"

namespace ex {

Matrix scale(const Matrix& scores, std::size_t d_k) {
    const std::size_t root = static_cast<std::size_t>(std::sqrt(d_k));
    return scores / static_cast<double>(root);
}

}  // namespace ex
