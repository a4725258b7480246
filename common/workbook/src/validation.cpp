// Checking a user's input before the lesson's maths sees it (see validation.hpp).
#include "workbook/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <vector>
#include <xtensor/xview.hpp>

namespace attn {

namespace {

std::string num(std::size_t n) {
    return std::to_string(n);
}

// "(a, b)" and "(a, b, c)" from numbers.
std::string dims(std::size_t a, std::size_t b) {
    return "(" + num(a) + ", " + num(b) + ")";
}
std::string dims(std::size_t a, std::size_t b, std::size_t c) {
    return "(" + num(a) + ", " + num(b) + ", " + num(c) + ")";
}

// A sequence X (n, w) or a batch X (B, n, w) must end in E: `what` is "(L, E)", ….
template <class T>
void check_width(const std::string& name, const std::string& what, const T& X, std::size_t E) {
    const std::size_t last = X.dimension() - 1;
    if (X.shape(last) != E) {
        auto want = X.shape();
        want[last] = E;
        const std::string each =  // a batch: name one sequence's shape too
                last == 2 ? "each sequence " + dims(X.shape(1), X.shape(2)) + " needs " : "";
        throw InputError(name + " " + shape_str(X.shape()) + " must be " + what + " = " +
                         shape_str(want) + ": " + each + "embed_dim E = " + num(E) + " columns");
    }
}

}  // namespace

// Throws unless there is at least one head and it divides the width.
void check_heads(std::size_t E, std::size_t H) {
    if (H == 0) throw InputError("num_heads H = 0: there must be at least one head");
    if (E == 0) throw InputError("embed_dim E = 0: the embeddings must have at least one column");
    if (E % H != 0) {
        throw InputError("embed_dim " + num(E) + " is not divisible by num_heads " + num(H));
    }
}

void check_attention_shapes(const Matrix& Q, const Matrix& K, const Matrix& V) {
    if (Q.shape(1) != K.shape(1)) {
        throw InputError("Q " + shape_str(Q.shape()) + " and K " + shape_str(K.shape()) +
                         " must have the same number of columns d_k");
    }
    if (K.shape(0) != V.shape(0)) {
        throw InputError("K " + shape_str(K.shape()) + " and V " + shape_str(V.shape()) +
                         " must have the same number of rows S (one value per key)");
    }
}

void check_mask(const Matrix& mask, std::size_t L, std::size_t S, const std::string& what) {
    if (mask.shape(0) != L || mask.shape(1) != S) {
        throw InputError(what + " " + shape_str(mask.shape()) +
                         " must match the scores (L, S) = " + dims(L, S));
    }
}

void check_params(const MhaParams& p) {
    const std::size_t E = p.E;
    check_heads(E, p.H);
    const auto expect = [](const std::string& name, const std::string& what, const auto& a,
                           const std::vector<std::size_t>& want) {
        if (!std::equal(a.shape().begin(), a.shape().end(), want.begin(), want.end())) {
            throw InputError(name + ": expected " + what + " = " + shape_str(want) + ", got " +
                             shape_str(a.shape()));
        }
    };
    expect("in_proj_weight", "(3E, E)", p.in_proj_weight, {3 * E, E});
    expect("out_proj.weight", "(E, E)", p.out_proj_weight, {E, E});
    if (p.in_proj_bias.size() != 0) expect("in_proj_bias", "(3E,)", p.in_proj_bias, {3 * E});
    if (p.out_proj_bias.size() != 0) expect("out_proj.bias", "(E,)", p.out_proj_bias, {E});
}

void check_projection(const Matrix& X, const Matrix& W, const Vector& b) {
    if (X.shape(1) != W.shape(1)) {
        throw InputError("X " + shape_str(X.shape()) + " does not fit W " + shape_str(W.shape()) +
                         ": X·Wᵀ needs X to have " + num(W.shape(1)) + " columns");
    }
    if (b.size() != 0 && b.size() != W.shape(0)) {
        throw InputError("bias " + shape_str(b.shape()) + " does not fit W " +
                         shape_str(W.shape()) + ": expected (" + num(W.shape(0)) + ",)");
    }
}

void check_split(const Matrix& X, std::size_t H) {
    const std::size_t E = X.shape(1);
    if (H == 0 || E % H != 0) {
        throw InputError("cannot split X " + shape_str(X.shape()) + " into " + num(H) +
                         " heads: its width E = " + num(E) + " is not a multiple of H");
    }
}

// Qh (H, L, d), Kh (H, S, d), Vh (H, S, d_v) and mask (L, S) must fit together.
void check_heads_fit(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh, const Matrix* mask) {
    if (Qh.shape(0) != Kh.shape(0) || Kh.shape(0) != Vh.shape(0) || Qh.shape(2) != Kh.shape(2) ||
        Kh.shape(1) != Vh.shape(1)) {
        throw InputError("heads do not fit: Qh " + shape_str(Qh.shape()) + ", Kh " +
                         shape_str(Kh.shape()) + " and Vh " + shape_str(Vh.shape()) +
                         " must be (H, L, d), (H, S, d) and (H, S, d_v)");
    }
    if (mask != nullptr && (mask->shape(0) != Qh.shape(1) || mask->shape(1) != Kh.shape(1))) {
        throw InputError("mask " + shape_str(mask->shape()) +
                         " must be (L, S) = " + dims(Qh.shape(1), Kh.shape(1)));
    }
}

// The checks every forward pass makes: query (L, E), key and value (S, E).
void check_sequences(const MhaParams& p, const Matrix& query, const Matrix& key,
                     const Matrix& value, const Matrix* mask) {
    check_params(p);
    check_width("query", "(L, E)", query, p.E);
    check_width("key", "(S, E)", key, p.E);
    check_width("value", "(S, E)", value, p.E);
    if (key.shape(0) != value.shape(0)) {
        throw InputError("key " + shape_str(key.shape()) + " and value " +
                         shape_str(value.shape()) + " must have the same length S");
    }
    if (mask != nullptr) check_mask(*mask, query.shape(0), key.shape(0), "attn_mask");
}

// query (B, L, E), key and value (B, S, E), attn_mask (L, S) or (B·H, L, S) and
// key_padding_mask (B, S) must fit together.
void check_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key, const Tensor3& value,
                 const std::optional<xt::xarray<double>>& attn_mask,
                 const std::optional<xt::xarray<double>>& key_padding_mask) {
    check_params(p);
    const std::size_t B = query.shape(0), L = query.shape(1), S = key.shape(1), H = p.H;
    check_width("query", "(B, L, E)", query, p.E);
    check_width("key", "(B, S, E)", key, p.E);
    check_width("value", "(B, S, E)", value, p.E);
    for (const auto* t : {&key, &value}) {
        if (t->shape(0) != B) {
            throw InputError("query " + shape_str(query.shape()) + " and " +
                             (t == &key ? "key " : "value ") + shape_str(t->shape()) +
                             " must have the same batch size B");
        }
    }
    if (key.shape(1) != value.shape(1)) {
        throw InputError("key " + shape_str(key.shape()) + " and value " +
                         shape_str(value.shape()) + " must have the same length S");
    }
    check_masks(B, L, S, H, attn_mask, key_padding_mask);
}

void check_masks(std::size_t B, std::size_t L, std::size_t S, std::size_t H,
                 const std::optional<xt::xarray<double>>& attn_mask,
                 const std::optional<xt::xarray<double>>& key_padding_mask) {
    const auto is = [](const xt::xarray<double>& a, const std::vector<std::size_t>& want) {
        return std::equal(a.shape().begin(), a.shape().end(), want.begin(), want.end());
    };
    if (attn_mask && !is(*attn_mask, {L, S}) && !is(*attn_mask, {B * H, L, S})) {
        throw InputError("attn_mask " + shape_str(attn_mask->shape()) + " must be (L, S) = " +
                         dims(L, S) + " or (B·H, L, S) = " + dims(B * H, L, S));
    }
    if (key_padding_mask && !is(*key_padding_mask, {B, S})) {
        throw InputError("key_padding_mask " + shape_str(key_padding_mask->shape()) +
                         " must be (B, S) = " + dims(B, S));
    }
}

void check_fast_inputs(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                       const MatrixF& value, const Tiles& tiles) {
    if (tiles.block_q == 0 || tiles.block_k == 0) throw InputError("tile sizes must be at least 1");
    if (p.H == 0 || p.E == 0 || p.E % p.H != 0) {
        throw InputError("embed_dim " + num(p.E) + " must be a positive multiple of num_heads " +
                         num(p.H));
    }
    const std::size_t E = p.E;
    auto need = [](const std::string& name, const auto& got, std::size_t rows, std::size_t cols) {
        if (got.dimension() != 2 || got.shape(0) != rows || got.shape(1) != cols) {
            throw InputError(name + " " + shape_str(got.shape()) + " must be (" + num(rows) + ", " +
                             num(cols) + ")");
        }
    };
    need("in_proj_weight", p.in_proj_weight, 3 * E, E);
    need("out_proj.weight", p.out_proj_weight, E, E);
    if (p.in_proj_bias.size() != 0 && p.in_proj_bias.size() != 3 * E) {
        throw InputError("in_proj_bias " + shape_str(p.in_proj_bias.shape()) + " must be (" +
                         num(3 * E) + ",)");
    }
    if (p.out_proj_bias.size() != 0 && p.out_proj_bias.size() != E) {
        throw InputError("out_proj.bias " + shape_str(p.out_proj_bias.shape()) + " must be (" +
                         num(E) + ",)");
    }
    need("query", query, query.shape(0), E);
    need("key", key, key.shape(0), E);
    need("value", value, key.shape(0), E);
    if (query.shape(0) == 0 || key.shape(0) == 0) throw InputError("L and S must be at least 1");
    // No masks here: an inf or a NaN in the inputs can only mean bad data.
    auto finite = [](const std::string& name, const auto& a) {
        for (const float x : a) {
            if (!std::isfinite(x)) throw InputError(name + " holds a NaN or an infinity");
        }
    };
    finite("query", query);
    finite("key", key);
    finite("value", value);
    finite("in_proj_weight", p.in_proj_weight);
    finite("out_proj.weight", p.out_proj_weight);
    finite("in_proj_bias", p.in_proj_bias);
    finite("out_proj.bias", p.out_proj_bias);
}

FastMethod parse_method(const std::string& name) {
    for (FastMethod m : fast_methods()) {
        if (method_name(m) == name) return m;
    }
    throw InputError("unknown method '" + name +
                     "': the methods are loops, xtensor, blas, batched, tiled");
}

}  // namespace attn

namespace attn {

namespace {

// The largest Euclidean norm of a row of x (n, m) viewed as rows of `width` entries; inf
// when it overflows. Scaled by the largest |x| so that the sum of squares cannot overflow.
double max_row_norm(const xt::xarray<double>& x, std::size_t width) {
    double big = 0.0;
    for (const double v : x) big = std::max(big, std::abs(v));
    if (big == 0.0 || width == 0) return 0.0;
    double worst = 0.0;
    for (std::size_t start = 0; start + width <= x.size(); start += width) {
        double sum = 0.0;
        for (std::size_t j = 0; j < width; ++j)
            sum += (x.flat(start + j) / big) * (x.flat(start + j) / big);
        worst = std::max(worst, std::sqrt(sum));
    }
    return worst * big;
}

double largest(const xt::xarray<double>& x) {
    double big = 0.0;
    for (const double v : x) big = std::max(big, std::abs(v));
    return big;
}

std::string sci(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4e", x);
    return buf;
}

// A bound on |projected row| for rows of norm ≤ n through W (rows [r0, r0 + E)) and bias b.
double projected_bound(double n, const Matrix& W, std::size_t r0, std::size_t E, const Vector& b,
                       std::size_t b0) {
    const Matrix part = xt::view(W, xt::range(r0, r0 + E), xt::all());
    const double w = max_row_norm(part, part.size());  // Frobenius norm
    double bias = 0.0;
    if (b.size() != 0) bias = max_row_norm(Vector(xt::view(b, xt::range(b0, b0 + E))), E);
    return n * w + bias;
}

}  // namespace

void check_scores_fit(const xt::xarray<double>& query, const xt::xarray<double>& key,
                      const xt::xarray<double>& value, std::size_t d) {
    const double q = max_row_norm(query, query.shape(query.dimension() - 1));
    const double k = max_row_norm(key, key.shape(key.dimension() - 1));
    const double v = max_row_norm(value, value.shape(value.dimension() - 1));
    // Cauchy–Schwarz: |q·k| ≤ |q|·|k|; the scores must stay far below DBL_MAX (1.8e308)
    const double bound = q * k / std::sqrt(static_cast<double>(d));
    if (!(bound < 1e300) || !(v < 1e300)) {
        const double big = std::max({largest(query), largest(key), largest(value)});
        throw InputError("scores overflowed: inputs too large (largest |x| = " + sci(big) +
                         "; the scores could reach " + sci(bound) + ", beyond float64)");
    }
}

void check_mha_fits(const MhaParams& p, const xt::xarray<double>& query,
                    const xt::xarray<double>& key, const xt::xarray<double>& value) {
    const std::size_t E = p.E;
    const double x = max_row_norm(query, E), y = max_row_norm(key, E), z = max_row_norm(value, E);
    const double q = projected_bound(x, p.in_proj_weight, 0, E, p.in_proj_bias, 0);
    const double k = projected_bound(y, p.in_proj_weight, E, E, p.in_proj_bias, E);
    const double v = projected_bound(z, p.in_proj_weight, 2 * E, E, p.in_proj_bias, 2 * E);
    const double scores = q * k / std::sqrt(static_cast<double>(p.d_head()));
    const double out = projected_bound(v, p.out_proj_weight, 0, E, p.out_proj_bias, 0);
    if (!(scores < 1e300) || !(out < 1e300)) {
        const double big = std::max({largest(query), largest(key), largest(value),
                                     largest(p.in_proj_weight), largest(p.out_proj_weight)});
        throw InputError(std::string(scores < 1e300 ? "outputs" : "scores") +
                         " overflowed: inputs too large (largest |x| = " + sci(big) +
                         " in the inputs and weights; the " +
                         (scores < 1e300 ? "outputs" : "scores") + " could reach " +
                         sci(scores < 1e300 ? out : scores) + ", beyond float64)");
    }
}

void check_gradient(const std::string& grad, const xt::xarray<double>& g, const std::string& what,
                    const xt::xarray<double>& of) {
    if (g.shape() != of.shape()) {
        throw InputError("the upstream gradient " + grad + " " + shape_str(g.shape()) +
                         " must have the shape of " + what + ", " + shape_str(of.shape()));
    }
}

void check_attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix* mask,
                              const Matrix& dO) {
    check_attention_shapes(Q, K, V);
    if (mask != nullptr) check_mask(*mask, Q.shape(0), K.shape(0));
    const std::vector<std::size_t> want = {Q.shape(0), V.shape(1)};
    if (!std::equal(dO.shape().begin(), dO.shape().end(), want.begin(), want.end())) {
        throw InputError("the upstream gradient dO " + shape_str(dO.shape()) +
                         " must have the shape of the output O, (L, d_v) = " + shape_str(want));
    }
}

void check_projection_backward(const Matrix& X, const Matrix& W, const Matrix& dY) {
    if (X.shape(1) != W.shape(1) || dY.shape(0) != X.shape(0) || dY.shape(1) != W.shape(0)) {
        throw InputError("project_backward: X " + shape_str(X.shape()) + ", W " +
                         shape_str(W.shape()) + " and dY " + shape_str(dY.shape()) +
                         " must be (n, E_in), (E_out, E_in) and (n, E_out)");
    }
}

void check_backward_sequence(const MhaParams& p, const Matrix& query, const Matrix& key,
                             const Matrix& value, const Matrix& dO, const Matrix* mask) {
    check_sequences(p, query, key, value, mask);
    check_gradient("dO", dO, "the output (L, E)", query);
}

void check_backward_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key,
                          const Tensor3& value, const Tensor3& dO,
                          const std::optional<xt::xarray<double>>& attn_mask,
                          const std::optional<xt::xarray<double>>& key_padding_mask) {
    check_batch(p, query, key, value, attn_mask, key_padding_mask);
    check_gradient("dO", dO, "the output (B, L, E)", query);
}

}  // namespace attn
