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

double relative_error(const xt::xarray<double>& a, const xt::xarray<double>& b) {
    const double worst = largest_difference(a, b).largest;
    if (worst == 0.0) return 0.0;
    double largest = 0.0;
    for (const double y : b) {
        if (std::isfinite(y)) largest = std::max(largest, std::abs(y));
    }
    return largest == 0.0 ? std::numeric_limits<double>::infinity() : worst / largest;
}

std::string describe_relative_error(double rel) {
    if (rel < 1e-8) return "below 1e-8";  // 0 included
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1e", rel);
    return buf;
}

}  // namespace attn
