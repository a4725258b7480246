// Exercise 04's checks: softmax(x), stable, over each row, against the reference attn::softmax.
#include <cmath>

#include <attention/attention.hpp>
#include <attention/random.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

enum class Shift { row_max, none, max_from_zero, whole_max };

// exp(x - shift) divided by each row's sum: the right softmax (Shift::row_max) and the
// wrong ones learners write.
Matrix softmax_with(const Matrix& x, Shift shift) {
    const std::size_t L = x.shape(0), S = x.shape(1);
    Matrix out = xt::empty<double>({L, S});
    const double whole = xt::amax(x)();
    for (std::size_t i = 0; i < L; ++i) {
        double m = shift == Shift::max_from_zero ? 0.0 : -INFINITY;
        for (std::size_t j = 0; j < S; ++j) m = std::max(m, x(i, j));
        const double c = shift == Shift::none ? 0.0 : shift == Shift::whole_max ? whole : m;
        double sum = 0.0;
        for (std::size_t j = 0; j < S; ++j) sum += out(i, j) = std::exp(x(i, j) - c);
        for (std::size_t j = 0; j < S; ++j) out(i, j) /= sum;
    }
    return out;
}

Matrix transposed(const Matrix& m) {
    return xt::transpose(m);
}

// Sums of each row (axis 1) or of each column (axis 0).
bool sums_to_one(const Matrix& a, std::size_t axis) {
    const xt::xtensor<double, 1> sums = xt::sum(a, {axis});
    return xt::all(xt::abs(sums - 1.0) < 1e-9);
}

// What the known mistakes would return for x, most specific first. On scores far below 0
// the formula without the max gives NaN too, but it already fails on scores near 1000.
std::vector<Mistake> mistakes(const Matrix& x) {
    const Matrix right = attn::softmax(x);
    Matrix no_exp = x, no_division = x;
    for (std::size_t i = 0; i < x.shape(0); ++i) {
        double sum = 0.0, m = -INFINITY;
        for (std::size_t j = 0; j < x.shape(1); ++j) sum += x(i, j), m = std::max(m, x(i, j));
        for (std::size_t j = 0; j < x.shape(1); ++j) {
            no_exp(i, j) = x(i, j) / sum;
            no_division(i, j) = std::exp(x(i, j) - m);
        }
    }
    const Matrix e = xt::exp(x - xt::amax(x)());
    const Matrix whole_sum = e / xt::sum(e)();
    return {
            gives(transposed(softmax_with(transposed(x), Shift::row_max)),
                  "every column of your weights sums to 1, not every row: did you normalise over "
                  "the wrong axis? Softmax runs over each row (dim=1 in the toy example's PyTorch "
                  "program): row i holds "
                  "query i's weights over the keys, so take the max and the sum along row i."),
            gives(softmax_with(x, Shift::whole_max),
                  "you subtracted the max of the whole matrix, not of each row: a row far below "
                  "the largest score underflowed to exp(-1000) = 0, and 0 / 0 is NaN. Subtract "
                  "each row's own max."),
            gives(softmax_with(x, Shift::max_from_zero),
                  "a row whose scores are all far below 0 came out NaN: your running max starts "
                  "at 0, so exp(x - 0) underflows to 0 and 0 / 0 is NaN. Start the max at the "
                  "row's first entry (or -INFINITY)."),
            gives(softmax_with(x, Shift::none),
                  "you got NaN (or inf) where the scores are large: exp(1000) overflows to inf in "
                  "double precision and inf / inf is NaN. Subtract each row's max before exp "
                  "(chapter 04, step 3): it changes nothing mathematically and keeps every "
                  "exponent ≤ 0."),
            gives(no_exp,
                  "you divided the scores by their sum without taking exp first: "
                  "softmax is exp(x_j - max) / Σ_k exp(x_k - max)."),
            gives(no_division,
                  "you took exp(x - max) but did not divide by the row's sum: "
                  "the weights of each row must add up to 1."),
            gives(whole_sum,
                  "your whole matrix sums to 1, but each row must: divide by each "
                  "row's own sum, not by the sum of everything."),
            when(
                    [](const Matrix& a) {
                        return a.shape(0) > 1 && sums_to_one(a, 0) && !sums_to_one(a, 1);
                    },
                    "rows do not sum to 1, but columns do: did you normalise over the wrong axis?"),
            shape_differs(right,
                          "softmax changes no shape: the weights are (L, S), like the scores."),
            when([](const Matrix& a) { return xt::any(xt::isnan(a)); },
                 "NaN appeared where the answer has numbers: an overflow (exp of a large score, "
                 "then inf / inf) or an underflow (exp of a very negative one, then 0 / 0)? "
                 "Subtract each row's own max before exp."),
            when([](const Matrix& a) { return xt::any(a < 0.0); },
                 "some weights are negative, but exp is always positive: did you forget exp?"),
            when([](const Matrix& a) { return !sums_to_one(a, 1); },
                 "each row of the weights must sum to 1; yours do not. Divide every entry by the "
                 "sum of its row."),
    };
}

void compare(const Matrix& x) {
    expect({"softmax(x)",
            {{"x", x}},
            [&] { return mistakes(x); },
            "compare row 0 with chapter 04's step 1 (./workbook run 4): exp of each score, "
            "divided by the row's sum."},
           ex::softmax(x), attn::softmax(x));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(4, "04_softmax", "softmax(x)");

    e.check("the toy example: its scaled scores become chapter 04's weights", [] {
        const Matrix scaled = {{1, 0, 1}, {0, 4, 2}, {1, 2, 2}};
        // The toy example's PyTorch printout.
        const Matrix printed = {
                {0.4223, 0.1554, 0.4223}, {0.0159, 0.8668, 0.1173}, {0.1554, 0.4223, 0.4223}};
        reference_agrees("softmax", attn::softmax(scaled), printed, 0.5e-4);
        compare(scaled);
    });

    attn::Random rng(404);
    const Matrix x = rng.normal_matrix(rng.integer(2, 4), rng.integer(5, 7), 2.0);
    e.check("x " + attn::shape_str(x.shape()) + ": every row sums to 1 (random from seed 404)",
            [&] { compare(x); });

    e.check("large scores, as a big model reaches: chapter 04's [[1000, 1001, 1002], "
            "[-1000, 0, 1000]]",
            [] {
                compare({{1000, 1001, 1002}, {-1000, 0, 1000}});
            });

    e.check("scores far below 0: [[-1000, -1001, -1002], [-2000, -1999, -1998]]", [] {
        compare({{-1000, -1001, -1002}, {-2000, -1999, -1998}});
    });

    e.check("masked keys: a score of -inf gets weight 0", [] {
        compare({{0, -INFINITY, 0}, {-INFINITY, 1, 2}});
    });

    const Matrix big = rng.normal_matrix(10, 24, 3.0);
    e.check("x (10, 24): larger, random from seed 404", [&] { compare(big); });

    e.check("one key (S = 1): every query gives it weight 1", [] { compare({{5}, {-3}, {800}}); });

    return e.run(argc, argv);
}
