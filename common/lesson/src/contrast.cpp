/// \file contrast.cpp
/// \brief Attention against a convolution and a recurrent update, measured (chapter 06).
#include "attention/contrast.hpp"

#include <algorithm>
#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "attention/attention.hpp"

namespace attn {

namespace {

double largest_change(const xt::xarray<double>& a, const xt::xarray<double>& b) {
    return xt::amax(xt::abs(a - b))();
}

}  // namespace

//! [convolve3]
Matrix convolve3(const Matrix& X, const std::array<double, 3>& w) {
    const std::size_t L = X.shape(0), E = X.shape(1);
    Matrix out = xt::zeros<double>({L, E});
    for (std::size_t i = 0; i < L; ++i) {
        for (std::size_t c = 0; c < E; ++c) {
            if (i > 0) out(i, c) += w[0] * X(i - 1, c);      // left neighbour
            out(i, c) += w[1] * X(i, c);                     // the token itself
            if (i + 1 < L) out(i, c) += w[2] * X(i + 1, c);  // right neighbour
        }
    }
    return out;
}
//! [convolve3]

Matrix self_attention_layer(const Matrix& X) {
    return attention(X, X, X).output;
}

//! [influencers]
std::vector<std::size_t> influencers(const SequenceLayer& layer, const Matrix& X, std::size_t row) {
    const Matrix base = layer(X);
    std::vector<std::size_t> found;
    for (std::size_t j = 0; j < X.shape(0); ++j) {
        Matrix nudged = X;
        xt::view(nudged, j, xt::all()) += 0.5;  // perturb input j only
        const Vector before = xt::view(base, row, xt::all());
        const Vector after = xt::view(layer(nudged), row, xt::all());
        if (largest_change(before, after) > 1e-12) found.push_back(j);
    }
    return found;
}
//! [influencers]

std::size_t layers_to_reach(const SequenceLayer& layer, const Matrix& X, std::size_t from,
                            std::size_t to, std::size_t max_layers) {
    for (std::size_t n = 1; n <= max_layers; ++n) {
        const SequenceLayer stacked = [&layer, n](const Matrix& x) {
            Matrix y = x;
            for (std::size_t k = 0; k < n; ++k) y = layer(y);
            return y;
        };
        const auto who = influencers(stacked, X, to);
        if (std::find(who.begin(), who.end(), from) != who.end()) return n;
    }
    return 0;
}

//! [steps]
RowStep recurrent_step(const Matrix& W, const Matrix& U) {
    return [W, U](std::size_t t, const Matrix& X, const Matrix& H) -> Vector {
        Vector pre = xt::zeros<double>({W.shape(0)});
        for (std::size_t r = 0; r < W.shape(0); ++r) {
            for (std::size_t c = 0; c < U.shape(1); ++c) pre(r) += U(r, c) * X(t, c);
            if (t > 0)  // h_t needs h_{t−1}: the previous step must have finished
                for (std::size_t c = 0; c < W.shape(1); ++c) pre(r) += W(r, c) * H(t - 1, c);
        }
        return xt::tanh(pre);
    };
}

RowStep attention_step() {
    return [](std::size_t t, const Matrix& X, const Matrix&) -> Vector {
        const Matrix q = xt::view(X, xt::range(t, t + 1), xt::all());  // row t only
        return xt::view(attention(q, X, X).output, 0, xt::all());
    };
}
//! [steps]

std::size_t sequential_steps(const RowStep& step, const Matrix& X, std::size_t E_out) {
    const std::size_t L = X.shape(0);
    Matrix H = xt::zeros<double>({L, E_out});
    std::vector<std::size_t> depth(L, 1);
    for (std::size_t t = 0; t < L; ++t) {
        const Vector row = step(t, X, H);
        for (std::size_t s = 0; s < L; ++s) {
            if (s == t) continue;
            Matrix nudged = H;
            xt::view(nudged, s, xt::all()) += 0.5;
            if (largest_change(row, step(t, X, nudged)) > 1e-12)  // row t reads row s
                depth[t] = std::max(depth[t], depth[s] + 1);
        }
        xt::view(H, t, xt::all()) = row;
    }
    return *std::max_element(depth.begin(), depth.end());
}

}  // namespace attn
