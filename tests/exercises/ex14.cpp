// Exercise 14's checks: cross_attention(target, source, W_q, W_k, W_v), queries from the
// target, keys and values from the source, against attn::project and attn::attention.
#include <cmath>

#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Vector;
using namespace ex::check;

namespace {

Matrix proj(const Matrix& X, const Matrix& W) {
    return attn::project(X, W, Vector{});
}

// softmax(Q·Kᵀ / divisor)·V.
Matrix attend(const Matrix& Q, const Matrix& K, const Matrix& V, double divisor) {
    return attn::weighted_sum(attn::softmax(attn::scores(Q, K) / divisor), V);
}

Matrix reference(const Matrix& t, const Matrix& s, const Matrix& W_q, const Matrix& W_k,
                 const Matrix& W_v) {
    return attn::attention(proj(t, W_q), proj(s, W_k), proj(s, W_v)).output;
}

// What the known mistakes would return, most specific first.
std::vector<Mistake> mistakes(const Matrix& t, const Matrix& s, const Matrix& W_q,
                              const Matrix& W_k, const Matrix& W_v) {
    const std::size_t L = t.shape(0), S = s.shape(0), E_t = t.shape(1), E_s = s.shape(1);
    const std::size_t d = W_q.shape(0), d_v = W_v.shape(0);
    const Matrix Q = proj(t, W_q), K = proj(s, W_k), V = proj(s, W_v);
    const auto root = [](std::size_t n) { return std::sqrt(static_cast<double>(n)); };
    std::vector<Mistake> m;
    if (E_t == E_s) {
        m.push_back(gives(attn::attention(proj(t, W_q), proj(t, W_k), proj(t, W_v)).output,
                          "the keys and values came from the target: that is self-attention on "
                          "the target, and the source is never read. In cross-attention the "
                          "queries come from the target, the keys and values from the source: "
                          "K = source·W_kᵀ, V = source·W_vᵀ."));
        m.push_back(gives(attn::attention(proj(s, W_q), proj(t, W_k), proj(t, W_v)).output,
                          "your output has one row per source token: Q from the source? The "
                          "roles are swapped: the target asks (Q = target·W_qᵀ), the source "
                          "answers (K and V from the source)."));
    }
    m.push_back(when(
            [S, L, d_v](const Matrix& a) { return L != S && a.shape(0) == S && a.shape(1) == d_v; },
            "your output is (S, d_v), one row per source token: Q from the source? The "
            "output has one row per target token, L = target.shape(0): Q = target·W_qᵀ, "
            "and K and V from the source."));
    if (E_t != d) {
        m.push_back(gives(attend(Q, K, V, root(E_t)),
                          "the scores were divided by √" + std::to_string(E_t) +
                                  ", the width of the "
                                  "target before projection: d is the width of Q and K after it, "
                                  "W_q.shape(0) = " +
                                  std::to_string(d) + "."));
    }
    if (d_v != d) {
        m.push_back(gives(attend(Q, K, V, root(d_v)),
                          "the scores were divided by √d_v = √" + std::to_string(d_v) +
                                  ", the width "
                                  "of the values: use √d, the width of Q and K (W_q.shape(0))."));
    }
    m.push_back(gives(attend(Q, K, V, 1.0), "the scores were not scaled: divide Q·Kᵀ by √d."));
    if (E_s != d_v) {
        m.push_back(
                when([L, E_s](const Matrix& a) { return a.shape(0) == L && a.shape(1) == E_s; },
                     "your output has the source's width E_s: were the values left unprojected? "
                     "V = source·W_vᵀ is (S, d_v)."));
    }
    m.push_back(shape_differs(reference(t, s, W_q, W_k, W_v),
                              "the output is (L, d_v): one row per target token, the width of the "
                              "projected values, W_v.shape(0)."));
    return m;
}

void compare(const Matrix& t, const Matrix& s, const Matrix& W_q, const Matrix& W_k,
             const Matrix& W_v) {
    expect({"cross_attention(target, source, W_q, W_k, W_v)",
            {{"target", t}, {"source", s}, {"W_q", W_q}, {"W_k", W_k}, {"W_v", W_v}},
            [&] { return mistakes(t, s, W_q, W_k, W_v); },
            "Q = target·W_qᵀ (L, d), K = source·W_kᵀ (S, d), V = source·W_vᵀ (S, d_v), then "
            "softmax(Q·Kᵀ / √d)·V: print the weights (L, S) and compare a row by hand."},
           ex::cross_attention(t, s, W_q, W_k, W_v), reference(t, s, W_q, W_k, W_v));
}

// Word vectors over 4 meanings: [article, cat, black, sleep] (chapter 14).
Matrix words(std::initializer_list<std::initializer_list<double>> rows) {
    Matrix m = xt::zeros<double>({rows.size(), std::size_t{4}});
    std::size_t i = 0;
    for (const auto& r : rows) {
        std::size_t c = 0;
        for (double x : r) m(i, c++) = x;
        ++i;
    }
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(14, "14_cross_attention", "cross_attention(...)");

    e.check("chapter 14's example: French \"le chat noir dort\" (4, 4) reads English \"the black "
            "cat is sleeping\" (5, 4); W_q = W_k = W_v = I",
            [] {
                const Matrix fr =
                        3.0 * words({{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}});
                const Matrix en = words(
                        {{1, 0, 0, 0}, {0, 0, 1, 0}, {0, 1, 0, 0}, {0, 0, 0, 0.7}, {0, 0, 0, 0.7}});
                const Matrix I = xt::eye<double>(4);
                reference_agrees("output", reference(fr, en, I, I, I),
                                 attn::attention(fr, en, en).output, 1e-12);
                compare(fr, en, I, I, I);
            });

    attn::Random rng(1414);
    const std::size_t L = rng.integer(2, 3), S = L + rng.integer(2, 3), E = S + 1,
                      d = rng.integer(3, 4);
    const Matrix t = rng.normal_matrix(L, E), s = rng.normal_matrix(S, E);
    const Matrix W_q = rng.normal_matrix(d, E, 0.5), W_k = rng.normal_matrix(d, E, 0.5),
                 W_v = rng.normal_matrix(d + 1, E, 0.5);
    e.check("target " + attn::shape_str(t.shape()) + ", source " + attn::shape_str(s.shape()) +
                    ", d = " + std::to_string(d) + ", d_v = " + std::to_string(d + 1) +
                    " (random from seed 1414)",
            [&] { compare(t, s, W_q, W_k, W_v); });

    const Matrix t2 = rng.normal_matrix(2, 4), s2 = rng.normal_matrix(6, 7);
    const Matrix W_q2 = rng.normal_matrix(3, 4), W_k2 = rng.normal_matrix(3, 7),
                 W_v2 = rng.normal_matrix(2, 7);
    e.check("a source of another width: target (2, 4), source (6, 7), as PyTorch's kdim and vdim",
            [&] { compare(t2, s2, W_q2, W_k2, W_v2); });

    const Matrix t1 = rng.normal_matrix(1, 8), s10 = rng.normal_matrix(10, 8);
    const Matrix W_q3 = rng.normal_matrix(8, 8, 0.4), W_k3 = rng.normal_matrix(8, 8, 0.4),
                 W_v3 = rng.normal_matrix(8, 8, 0.4);
    e.check("one target token reading a source of 10 (L = 1, S = 10)",
            [&] { compare(t1, s10, W_q3, W_k3, W_v3); });

    return e.run(argc, argv);
}
