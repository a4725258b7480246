// A wrong answer to exercise 06 that passes the toy example: whatever the input, it
// returns the seed's output (here computed, to full precision). The random cases exist to
// catch exactly this.
// expect: is it hard-coded\?
#include <attention/attention.hpp>

#include "exercises.hpp"

namespace ex {

Matrix attention(const Matrix&, const Matrix&, const Matrix&) {
    const Matrix toy = {{1, 0, 1, 0}, {0, 2, 0, 2}, {1, 1, 1, 1}};
    return attn::weighted_sum(attn::softmax(attn::scale(attn::scores(toy, toy), 4)), toy);
}

}  // namespace ex
