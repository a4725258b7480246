// How far apart two arrays are (see compare.hpp).
#include "workbook/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace attn {

Difference largest_difference(const xt::xarray<double>& a, const xt::xarray<double>& b) {
    if (a.shape() != b.shape()) {
        throw std::logic_error("largest_difference: shapes " + shape_str(a.shape()) + " and " +
                               shape_str(b.shape()) + " differ");
    }
    Difference d;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a.flat(i), y = b.flat(i);
        const bool same = (std::isnan(x) && std::isnan(y)) || (std::isinf(x) && x == y);
        double diff = same ? 0.0 : std::abs(x - y);
        if (std::isnan(diff)) diff = std::numeric_limits<double>::infinity();
        if (diff > d.largest) d = {diff, i};
    }
    return d;
}

std::string describe_difference(const xt::xarray<double>& a, const xt::xarray<double>& b) {
    const double worst = largest_difference(a, b).largest;
    if (worst < 1e-12) return "below 1e-12 (they agree)";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2e", worst);
    return buf;
}

double max_difference(const MatrixF& a, const Matrix& b) {
    if (a.shape() != b.shape()) return std::numeric_limits<double>::infinity();
    return largest_difference(xt::xarray<double>(a), b).largest;
}

double relative_error(const MatrixF& a, const Matrix& b) {
    double largest = 0.0;
    for (double x : b) largest = std::max(largest, std::abs(x));
    const double worst = max_difference(a, b);
    return largest > 0.0 ? worst / largest : worst;
}

}  // namespace attn
