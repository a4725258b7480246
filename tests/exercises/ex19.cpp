// Exercise 19's checks: softmax_backward(y, dy) = y ∘ (dy − rowsum(dy ∘ y)), against the
// reference attn::softmax_backward (itself checked against central differences and PyTorch).
#include <cmath>

#include <attention/attention.hpp>
#include <attention/backward.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

// y ∘ (dy − s) where s is each row's (or, along the wrong axis, each column's) sum of `terms`.
Matrix minus_sums(const Matrix& y, const Matrix& dy, const Matrix& terms, std::size_t axis) {
    Matrix dx = xt::empty<double>(y.shape());
    for (std::size_t i = 0; i < y.shape(0); ++i)
        for (std::size_t j = 0; j < y.shape(1); ++j) {
            double s = 0;
            if (axis == 1)
                for (std::size_t k = 0; k < y.shape(1); ++k) s += terms(i, k);
            else
                for (std::size_t k = 0; k < y.shape(0); ++k) s += terms(k, j);
            dx(i, j) = y(i, j) * (dy(i, j) - s);
        }
    return dx;
}

bool rows_sum_to_zero(const Matrix& a) {
    const xt::xtensor<double, 1> sums = xt::sum(a, {1});
    return xt::all(xt::abs(sums) < 1e-9 * (1 + xt::amax(xt::abs(a))()));
}

// What the known mistakes would return for y and dy, most specific first.
std::vector<Mistake> mistakes(const Matrix& y, const Matrix& dy) {
    const Matrix right = attn::softmax_backward(y, dy);
    const Matrix products = dy * y;
    const Matrix row_sums = xt::sum(products, {1}, xt::keep_dims);
    return {
            gives(Matrix(y * dy),
                  "your dx is y ∘ dy: you forgot the − rowsum term. Each weight depends on every "
                  "score "
                  "of its row (they share one sum), so dx_j = y_j·(dy_j − Σ_k dy_k·y_k): subtract "
                  "the "
                  "row's Σ_k dy(i, k)·y(i, k) before multiplying by y."),
            gives(minus_sums(y, dy, products, 0),
                  "you summed dy ∘ y down each column, over the queries: the sum runs along each "
                  "row, "
                  "over the keys k of that query, s_i = Σ_k dy(i, k)·y(i, k)."),
            gives(minus_sums(y, dy, dy, 1),
                  "you subtracted the row's Σ_k dy(i, k), the plain sum of dy: it is the sum of "
                  "dy(i, k)·y(i, k), dy weighted by the weights."),
            gives(Matrix(dy - row_sums),
                  "your dx is dy − Σ dy·y, without the factor y in front: dx(i, j) = y(i, "
                  "j)·(dy(i, j) − s_i)."),
            gives(Matrix(y * (1.0 - y) * dy),
                  "your dx is y(1 − y) ∘ dy, the Jacobian's diagonal only: every other weight of "
                  "the row "
                  "moves too (by −y_i·y_j), which is the − y_j·Σ_k dy_k·y_k term."),
            gives(Matrix(-right),
                  "your dx has the opposite sign: dx(i, j) = y(i, j)·(dy(i, j) − s_i), "
                  "dy first, then minus the row's sum."),
            shape_differs(right, "dx has the shape of the scores x, like y and dy: (L, S)."),
            when([](const Matrix& a) { return !rows_sum_to_zero(a); },
                 "every row of dx must sum to 0 (adding a constant to a row of scores changes no "
                 "weight, chapter 19); yours do not."),
    };
}

void compare(const Matrix& y, const Matrix& dy) {
    expect({"softmax_backward(y, dy)",
            {{"y", y}, {"dy", dy}},
            [&] { return mistakes(y, dy); },
            "compare row 0 with chapter 19's step 2 (./workbook run 19): s = Σ_k dy_k·y_k, then "
            "dx_j = y_j·(dy_j − s)."},
           ex::softmax_backward(y, dy), attn::softmax_backward(y, dy));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(19, "19_softmax_backward", "softmax_backward(y, dy)");

    e.check("a row worked by hand: y = [0.5, 0.5], dy = [1, 0] gives dx = [0.25, -0.25]", [] {
        reference_agrees("softmax_backward",
                         attn::softmax_backward(Matrix{{0.5, 0.5}}, Matrix{{1, 0}}),
                         Matrix{{0.25, -0.25}}, 1e-15);
        compare(Matrix{{0.5, 0.5}}, Matrix{{1, 0}});
    });

    e.check("chapter 19's example: the toy example's weights and the upstream gradient from "
            "Random(19)",
            [] {
                const Matrix y = attn::softmax(Matrix{{1, 0, 1}, {0, 4, 2}, {1, 2, 2}});
                const Matrix dy = attn::Random(19).normal_matrix(3, 3);
                compare(y, dy);
            });

    e.check("PyTorch's own: attention_backward/cross's weights P and dP give its dS", [] {
        const std::string dir = std::string(WORKBOOK_FIXTURES_DIR) + "/attention_backward/cross/";
        const Matrix P = attn::load_npy(dir + "weights.npy").data,
                     dP = attn::load_npy(dir + "dP.npy").data;
        reference_agrees("softmax_backward", attn::softmax_backward(P, dP),
                         attn::load_npy(dir + "dS.npy").data, 1e-12);
        compare(P, dP);
    });

    attn::Random rng(1919);
    const Matrix x = rng.normal_matrix(rng.integer(4, 5), rng.integer(6, 8), 2.0);
    const Matrix dy = rng.normal_matrix(x.shape(0), x.shape(1));
    e.check("weights " + attn::shape_str(x.shape()) + ": L ≠ S, random from seed 1919",
            [&] { compare(attn::softmax(x), dy); });

    e.check("masked keys: a weight of 0 gets dx = 0", [] {
        const Matrix y = attn::softmax(Matrix{{0, -INFINITY, 1, 2}, {-INFINITY, 1, -INFINITY, 0}});
        compare(y, Matrix{{1, 2, -1, 0.5}, {3, -2, 1, 1}});
    });

    e.check("a saturated row: scores 50 apart, y ≈ [1, 0, 0]: almost no gradient", [] {
        compare(attn::softmax(Matrix{{100, 50, 0}, {0, 1, 2}}), Matrix{{1, -1, 2}, {0.5, 1, -3}});
    });

    e.check("one key (S = 1): the weight is always 1, so dx is 0", [] {
        compare(Matrix{{1}, {1}, {1}}, Matrix{{2}, {-1}, {5}});
    });

    return e.run(argc, argv);
}
