// Part I: scaled dot-product attention, one step per function (see attention.hpp).
#include "attention/attention.hpp"

#include <cmath>
#include <limits>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

namespace attn {

//! [scores]
// Q is (L, d_k), K is (S, d_k); returns (L, S).
Matrix scores(const Matrix& Q, const Matrix& K) {
    const Matrix K_T = xt::transpose(K);  // (d_k, S), contiguous for BLAS
    return xt::linalg::dot(Q, K_T);
}

Matrix scores_loop(const Matrix& Q, const Matrix& K) {
    const std::size_t L = Q.shape(0), S = K.shape(0), d_k = Q.shape(1);
    Matrix out = xt::zeros<double>({L, S});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < S; ++j)
            for (std::size_t c = 0; c < d_k; ++c) out(i, j) += Q(i, c) * K(j, c);
    return out;
}
//! [scores]

// scores is (L, S); returns (L, S).
Matrix scale(const Matrix& scores, std::size_t d_k) {
    return scores / std::sqrt(static_cast<double>(d_k));
}

//! [softmax]
// x is (L, S); returns (L, S).
Matrix softmax(const Matrix& x) {
    // 1) each row's max, kept as (L, 1) so it broadcasts over the row
    //    (a named tensor: broadcasting a lazy keep_dims reduction reads past the buffer in
    //    xtensor 0.24.3; docs/maintainers.dox lists such traps)
    const Matrix row_max = xt::amax(x, {1}, xt::keep_dims);
    // 2) exp of the shifted scores: the largest is exp(0) = 1, nothing overflows
    const Matrix e = xt::exp(x - row_max);
    // 3) divide by each row's sum
    const Matrix row_sum = xt::sum(e, {1}, xt::keep_dims);
    return e / row_sum;
}
//! [softmax]

Matrix softmax_naive(const Matrix& x) {
    const Matrix e = xt::exp(x);
    const Matrix row_sum = xt::sum(e, {1}, xt::keep_dims);
    return e / row_sum;
}

Matrix softmax_loop(const Matrix& x) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    for (std::size_t i = 0; i < L; ++i) {
        double m = -std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < S; ++j) m = std::max(m, x(i, j));
        double sum = 0.0;
        for (std::size_t j = 0; j < S; ++j) sum += out(i, j) = std::exp(x(i, j) - m);
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    return out;
}

// weights is (L, S), V is (S, d_v); returns (L, d_v).
Matrix weighted_sum(const Matrix& weights, const Matrix& V) {
    return xt::linalg::dot(weights, V);
}

Matrix weighted_sum_loop(const Matrix& weights, const Matrix& V) {
    const std::size_t L = weights.shape(0), S = V.shape(0), d_v = V.shape(1);
    Matrix out = xt::zeros<double>({L, d_v});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < S; ++j)
            for (std::size_t c = 0; c < d_v; ++c) out(i, c) += weights(i, j) * V(j, c);
    return out;
}

// Q is (L, d_k), K is (S, d_k), V is (S, d_v), mask (L, S); returns every step.
Attention attention(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix* mask) {
    Attention a;
    a.scores = scores(Q, K);                        // 1) scores
    a.scaled_scores = scale(a.scores, Q.shape(1));  // 2) scale
    if (mask != nullptr) a.scaled_scores += *mask;  //    (+ mask: 0 allowed, −∞ blocked)
    a.weights = softmax(a.scaled_scores);           // 3) softmax
    a.output = weighted_sum(a.weights, V);          // 4) weighted sum
    return a;
}

Matrix attention_loop(const Matrix& Q, const Matrix& K, const Matrix& V) {
    return weighted_sum_loop(softmax_loop(scale(scores_loop(Q, K), Q.shape(1))), V);
}

}  // namespace attn
