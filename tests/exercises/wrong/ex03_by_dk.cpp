// A plausible wrong answer to exercise 03: divides by d_k instead of √d_k.
// expect: scaled by d_k instead of √d_k\?
#include "exercises.hpp"

namespace ex {

Matrix scale(const Matrix& scores, std::size_t d_k) {
    return scores / static_cast<double>(d_k);
}

}  // namespace ex
