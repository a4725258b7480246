// A plausible wrong answer to exercise 23: the key read as the row and the query as the column.
// expect: you read weights\(b, key, i\)
#include "exercises.hpp"

namespace ex {

double role_score(const Tensor3& weights, const Matrix& keys) {
    double total = 0.0, rows = 0.0;
    for (std::size_t b = 0; b < keys.shape(0); ++b)
        for (std::size_t i = 0; i < keys.shape(1); ++i) {
            if (keys(b, i) < 0) continue;
            const std::size_t k = static_cast<std::size_t>(keys(b, i));
            total += k < weights.shape(1) && i < weights.shape(2) ? weights(b, k, i) : 0.0;
            rows += 1;
        }
    return total / rows;
}

}  // namespace ex
