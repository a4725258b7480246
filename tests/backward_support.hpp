// What the tests of Part V share: central differences written here, apart from the library's,
// the relative error the tests hold every gradient to, and the comparison with PyTorch's.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <string>

#include "support.hpp"

#include <attention/types.hpp>
#include <workbook/npy.hpp>

namespace wbtest {

/// ∂f/∂X by central differences, (f(X + h) − f(X − h)) / 2h one entry at a time. Written
/// again here so that no test checks the library with the library's own numerical_gradient.
inline xt::xarray<double> central_differences(
        const std::function<double(const xt::xarray<double>&)>& f, xt::xarray<double> X,
        double h = 1e-5) {
    xt::xarray<double> grad = xt::zeros<double>(X.shape());
    for (std::size_t i = 0; i < X.size(); ++i) {
        const double keep = X.flat(i);
        X.flat(i) = keep + h;
        const double up = f(X);
        X.flat(i) = keep - h;
        const double down = f(X);
        X.flat(i) = keep;
        grad.flat(i) = (up - down) / (2 * h);
    }
    return grad;
}

/// max|actual − expected| / max|expected|; NaN where both are NaN counts as equal, NaN in one
/// only as infinitely wrong, and different shapes too.
inline double rel_error(const xt::xarray<double>& actual, const xt::xarray<double>& expected) {
    if (actual.shape() != expected.shape()) return std::numeric_limits<double>::infinity();
    double worst = 0, largest = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double a = actual.flat(i), e = expected.flat(i);
        if (std::isnan(a) && std::isnan(e)) continue;
        if (std::isnan(a) != std::isnan(e)) return std::numeric_limits<double>::infinity();
        worst = std::max(worst, std::abs(a - e));
        largest = std::max(largest, std::abs(e));
    }
    if (worst == 0) return 0;
    return largest == 0 ? std::numeric_limits<double>::infinity() : worst / largest;
}

/// The largest absolute difference (NaN = NaN; a NaN in one only, or different shapes: inf).
inline double abs_error(const xt::xarray<double>& actual, const xt::xarray<double>& expected) {
    if (actual.shape() != expected.shape()) return std::numeric_limits<double>::infinity();
    double worst = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double a = actual.flat(i), e = expected.flat(i);
        if (std::isnan(a) && std::isnan(e)) continue;
        if (std::isnan(a) != std::isnan(e)) return std::numeric_limits<double>::infinity();
        worst = std::max(worst, std::abs(a - e));
    }
    return worst;
}

/// CHECKs that a gradient is within `tol` of its reference, relative to the reference's
/// largest entry, saying which gradient it is and by how much it misses.
#define CHECK_GRAD(what, actual, expected, tol)                                             \
    do {                                                                                    \
        const double rel_ = wbtest::rel_error((actual), (expected));                        \
        INFO(what << ": relative error " << rel_ << " (tolerance " << (tol) << "), shapes " \
                  << attn::shape_str(xt::xarray<double>(actual).shape()) << " and "         \
                  << attn::shape_str(xt::xarray<double>(expected).shape()));                \
        CHECK(rel_ <= (tol));                                                               \
    } while (false)

}  // namespace wbtest
