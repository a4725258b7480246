// Exercise 07's checks: project(X, W, b) = X·Wᵀ + b, against the reference attn::project.
#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Vector;
using namespace ex::check;

namespace {

Matrix transposed(const Matrix& m) {
    return xt::transpose(m);
}

// b added to every row of m (nothing when b is empty).
Matrix plus_bias(Matrix m, const Vector& b) {
    if (b.size() == 0) return m;
    for (std::size_t i = 0; i < m.shape(0); ++i)
        for (std::size_t r = 0; r < m.shape(1); ++r) m(i, r) += b(r);
    return m;
}

// What the known mistakes would return for X, W and b, most specific first.
std::vector<Mistake> mistakes(const Matrix& X, const Matrix& W, const Vector& b) {
    const std::size_t n = X.shape(0), E_in = W.shape(1), E_out = W.shape(0);
    const Matrix XWt = attn::scores(X, W);  // X·Wᵀ (n, E_out): the product without bias
    const Matrix right = plus_bias(XWt, b);
    const std::string storage =
            "PyTorch stores the weights as (out, in): W is (E_out, E_in), and row r of W makes "
            "entry r of the result, out(i, r) = Σ_c X(i, c)·W(r, c) + b(r).";
    std::vector<Mistake> m;
    if (E_in == E_out) {
        const Matrix XW = attn::scores(X, transposed(W));  // X·W
        m.push_back(gives(plus_bias(XW, b),
                          "your answer is X·W + b, without the transpose. " + storage));
        m.push_back(gives(XW, "your answer is X·W, without the transpose (and without the bias). " +
                                      storage));
    }
    if (b.size() != 0) {
        m.push_back(gives(XWt,
                          "your answer is X·Wᵀ without the bias: forgot the bias? Add b(r) to "
                          "entry r of every row (only an empty b means no bias)."));
        if (n <= E_out) {  // b(i) exists for every token i
            Matrix by_row = XWt;
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t r = 0; r < E_out; ++r) by_row(i, r) += b(i);
            m.push_back(gives(by_row,
                              "the bias was added by row, b(i) to row i: it belongs to "
                              "the output entries, b(r) to column r of every row."));
        }
    }
    if (n != E_out) {
        m.push_back(gives(transposed(right),
                          "your answer is (X·Wᵀ + b)ᵀ, one row per output entry: "
                          "W·Xᵀ instead of X·Wᵀ. Row i of the result belongs to "
                          "token i."));
    }
    if (E_in != E_out) {
        m.push_back(
                when([n, E_in](const Matrix& a) { return a.shape(0) == n && a.shape(1) == E_in; },
                     "your result has E_in = W.shape(1) columns, the width of X. It needs one "
                     "column per row of W, E_out = W.shape(0): " +
                             storage));
    }
    m.push_back(shape_differs(right,
                              "the result is (n, E_out): one row per token, n = X.shape(0), "
                              "one column per row of W, E_out = W.shape(0)."));
    return m;
}

void compare(const Matrix& X, const Matrix& W, const Vector& b) {
    const std::string bias = b.size() == 0 ? "b = empty" : "b";
    expect({"project(X, W, " + bias + ")",
            {{"X", X}, {"W", W}, {"b", b}},
            [&] { return mistakes(X, W, b); },
            "compare one entry by hand: out(i, r) = Σ_c X(i, c)·W(r, c) + b(r), token i against "
            "row r of W. Start every sum at 0 (xt::zeros, not xt::empty)."},
           ex::project(X, W, b), attn::project(X, W, b));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(7, "07_projections", "project(X, W, b)");

    // Chapter 07's example: the toy example's tokens and the module drawn from Random(7).
    attn::Random rng7(7);
    const attn::MhaParams p = attn::random_mha_params(4, 2, rng7);
    const Matrix tokens = attn::toy_tokens();
    e.check("chapter 07's example: Q = X·W_qᵀ + b_q, the toy example's 3 tokens, E = 4", [&] {
        // By hand, token t1 = [0, 2, 0, 2]: q(r) = 2·W_q(r, 1) + 2·W_q(r, 3) + b_q(r).
        const Matrix W = p.W_q();
        const Vector b = p.b_q();
        Matrix q = xt::zeros<double>({std::size_t{1}, std::size_t{4}});
        for (std::size_t r = 0; r < 4; ++r) q(0, r) = 2 * W(r, 1) + 2 * W(r, 3) + b(r);
        const Matrix t1 = xt::view(tokens, xt::range(1, 2), xt::all());
        reference_agrees("projection of t1", attn::project(t1, W, b), q, 1e-12);
        compare(tokens, W, b);
    });

    attn::Random rng(707);
    const std::size_t n = rng.integer(3, 5), E = n + rng.integer(1, 3);
    const Matrix X = rng.normal_matrix(n, E), W = rng.normal_matrix(E, E);
    e.check("X " + attn::shape_str(X.shape()) + " and W " + attn::shape_str(W.shape()) +
                    ", no bias (bias=False: b is empty), random from seed 707",
            [&] { compare(X, W, Vector{}); });

    const std::size_t n2 = rng.integer(2, 4), E_in = n2 + rng.integer(2, 3),
                      E_out = E_in + rng.integer(1, 3);
    const Matrix X2 = rng.normal_matrix(n2, E_in), W2 = rng.normal_matrix(E_out, E_in);
    const Vector b2 = xt::row(rng.normal_matrix(1, E_out), 0);
    e.check("X " + attn::shape_str(X2.shape()) + ", W " + attn::shape_str(W2.shape()) + ", b " +
                    attn::shape_str(b2.shape()) +
                    ": n, E_in and E_out all differ (random from seed 707)",
            [&] { compare(X2, W2, b2); });

    e.check("the packed in_proj_weight (12, 4) and in_proj_bias (12,): one product gives "
            "[Q | K | V] (chapter 07, step 4)",
            [&] { compare(tokens, p.in_proj_weight, p.in_proj_bias); });

    const Matrix Xb = rng.normal_matrix(16, 32), Wb = rng.normal_matrix(24, 32, 0.2);
    const Vector bb = xt::row(rng.normal_matrix(1, 24), 0);
    e.check("X (16, 32), W (24, 32), b (24,): larger, random from seed 707",
            [&] { compare(Xb, Wb, bb); });

    return e.run(argc, argv);
}
