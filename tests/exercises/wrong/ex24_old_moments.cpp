// A plausible wrong answer to exercise 24: the step taken with m and v before this step's update.
// expect: you moved w with the old m and v
#include <cmath>

#include "exercises.hpp"

namespace ex {

Vector adam_step(const Vector& w, const Vector& g, Vector& m, Vector& v, int t, double lr) {
    const double c1 = 1 - std::pow(0.9, t), c2 = 1 - std::pow(0.999, t);
    Vector out = w;
    for (std::size_t i = 0; i < w.size(); ++i) {
        out(i) -= lr / c1 * m(i) / (std::sqrt(v(i)) / std::sqrt(c2) + 1e-8);
        m(i) = 0.9 * m(i) + 0.1 * g(i);
        v(i) = 0.999 * v(i) + 0.001 * g(i) * g(i);
    }
    return out;
}

}  // namespace ex
