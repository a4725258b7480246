// A plausible wrong answer to exercise 24: Adam without its bias correction.
// expect: no bias correction
#include <cmath>

#include "exercises.hpp"

namespace ex {

Vector adam_step(const Vector& w, const Vector& g, Vector& m, Vector& v, int, double lr) {
    Vector out = w;
    for (std::size_t i = 0; i < w.size(); ++i) {
        m(i) = 0.9 * m(i) + 0.1 * g(i);
        v(i) = 0.999 * v(i) + 0.001 * g(i) * g(i);
        out(i) -= lr * m(i) / (std::sqrt(v(i)) + 1e-8);
    }
    return out;
}

}  // namespace ex
