// A plausible wrong answer to exercise 06: takes d_k from Q.shape(0), the number of queries.
// expect: you scaled by √L, the number of queries
#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

Matrix attention(const Matrix& Q, const Matrix& K, const Matrix& V) {
    const std::size_t d_k = Q.shape(0);
    return attn::weighted_sum(attn::softmax(attn::scale(attn::scores(Q, K), d_k)), V);
}

}  // namespace ex
