// A plausible wrong answer to exercise 06: divides the scores by d_k instead of √d_k.
// expect: scaled by d_k instead of √d_k\?
#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

Matrix attention(const Matrix& Q, const Matrix& K, const Matrix& V) {
    const double d_k = static_cast<double>(Q.shape(1));
    return attn::weighted_sum(attn::softmax(attn::scores(Q, K) / d_k), V);
}

}  // namespace ex
