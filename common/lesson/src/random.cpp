// Reproducible random numbers (see random.hpp).
#include "attention/random.hpp"

#include <cmath>

namespace attn {

double Random::uniform() {
    return static_cast<double>(gen_() >> 11) * 0x1.0p-53;  // 53 random bits in [0, 1)
}

double Random::normal() {
    // Box–Muller: two uniforms give two independent normals; keep the second for later.
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    const double u1 = 1.0 - uniform();  // in (0, 1], so log is finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
}

Matrix Random::normal_matrix(std::size_t rows, std::size_t cols, double stddev) {
    Matrix m = xt::empty<double>({rows, cols});
    for (double& x : m) x = stddev * normal();
    return m;
}

std::size_t Random::integer(std::size_t lo, std::size_t hi) {
    return lo + static_cast<std::size_t>(uniform() * static_cast<double>(hi - lo + 1));
}

}  // namespace attn
