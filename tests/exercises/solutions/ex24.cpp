// Exercise 24, the reference solution: the two running means, then the bias-corrected step.
#include <cmath>

#include "exercises.hpp"

namespace ex {

// w, g, m, v are (n,); returns the new w (n,).
Vector adam_step(const Vector& w, const Vector& g, Vector& m, Vector& v, int t, double lr) {
    const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    const double correction1 = 1 - std::pow(beta1, t), correction2 = 1 - std::pow(beta2, t);
    Vector out = w;
    for (std::size_t i = 0; i < w.size(); ++i) {
        m(i) = beta1 * m(i) + (1 - beta1) * g(i);         // 1) the mean of the gradients
        v(i) = beta2 * v(i) + (1 - beta2) * g(i) * g(i);  // 2) the mean of their squares
        out(i) -= lr / correction1 * m(i) / (std::sqrt(v(i)) / std::sqrt(correction2) + eps);  // 3)
    }
    return out;
}

}  // namespace ex
