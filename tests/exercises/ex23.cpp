// Exercise 23's checks: role_score(weights, keys) = the mean weight on the template's key over
// the rows that have one, against the reference attn::role_score (checked by hand in
// tests/test_ch23.cpp).
#include <attention/random.hpp>
#include <attention/tasks.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Tensor3;
using Array = xt::xarray<double>;
using namespace ex::check;

namespace {

// The reference, through the library's role_score on a forward pass holding these weights.
double reference(const Tensor3& w, const Matrix& keys) {
    attn::ModelForward f;
    f.B = w.shape(0);
    f.layers.resize(1);
    f.layers[0].weights =
            xt::xtensor<double, 4>(xt::view(w, xt::all(), xt::newaxis(), xt::all(), xt::all()));
    return attn::role_score(
            f, 0, 0, [&](std::size_t b, std::size_t i) { return long(keys(b, i)); }, keys.shape(1));
}

// What the known mistakes give: (transposed, every row counted, sum, the row's largest weight).
Array variant(const Tensor3& w, const Matrix& keys, int which) {
    double total = 0.0, rows = 0.0, all = 0.0;
    for (std::size_t b = 0; b < keys.shape(0); ++b)
        for (std::size_t i = 0; i < keys.shape(1); ++i) {
            all += 1;
            if (keys(b, i) < 0) continue;
            const std::size_t k = std::size_t(keys(b, i));
            double x = w(b, i, k);
            if (which == 0) x = k < w.shape(1) && i < w.shape(2) ? w(b, k, i) : 0.0;
            if (which == 3) x = xt::amax(xt::view(w, b, i, xt::all()))();
            total += x;
            rows += 1;
        }
    if (which == 1) return Array{total / all};
    if (which == 2) return Array{total};
    return Array{total / rows};
}

std::vector<Mistake> mistakes(const Tensor3& w, const Matrix& keys) {
    return {
            gives(variant(w, keys, 1),
                  "you divided by every row, n·L; a row whose key is -1 is left out: "
                  "divide by the number of rows that have a key."),
            gives(variant(w, keys, 2),
                  "your score is the sum of the weights; the role score is their mean "
                  "(1 = the head always looks there)."),
            gives(variant(w, keys, 0),
                  "you read weights(b, key, i): row i is the query, its key is a "
                  "column, weights(b, i, key)."),
            gives(variant(w, keys, 3),
                  "you took each row's largest weight wherever it is; the score reads "
                  "the weight on the template's key, whether it is the largest or not."),
    };
}

void compare(const Tensor3& w, const Matrix& keys) {
    expect({"role_score(weights, keys)",
            {{"weights", w}, {"keys", keys}},
            [&] { return mistakes(w, keys); },
            "add up weights(b, i, keys(b, i)) over the rows whose key is not -1, then divide by "
            "how many there were."},
           Array{ex::role_score(w, keys)}, Array{reference(w, keys)});
}

// Random softmax rows (n, L, S), from seed s.
Tensor3 random_weights(std::size_t n, std::size_t L, std::size_t S, std::uint64_t s) {
    attn::Random rng(s);
    Tensor3 w = xt::empty<double>({n, L, S});
    for (std::size_t b = 0; b < n; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            double sum = 0;
            for (std::size_t j = 0; j < S; ++j) sum += (w(b, i, j) = std::exp(2 * rng.normal()));
            for (std::size_t j = 0; j < S; ++j) w(b, i, j) /= sum;
        }
    return w;
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(23, "23_heads_learn", "role_score(weights, keys)");

    e.check("by hand: one sequence, rows [0.25, 0.75] and [0.5, 0.5], keys 1 and 0: (0.75 + 0.5) / "
            "2",
            [] {
                const Tensor3 w = {{{0.25, 0.75}, {0.5, 0.5}}};
                const Matrix keys = {{1, 0}};
                reference_agrees("role_score", Array{reference(w, keys)}, Array{0.625}, 1e-15);
                compare(w, keys);
            });

    e.check("a row left out (-1): only the other row counts", [] {
        compare(Tensor3{{{0.25, 0.75}, {0.5, 0.5}}}, Matrix{{-1, 0}});
    });

    e.check("the previous-token template on 3 random sequences (3, 6, 6), seed 2323", [] {
        Matrix keys = xt::empty<double>({std::size_t{3}, std::size_t{6}});
        for (std::size_t b = 0; b < 3; ++b)
            for (std::size_t i = 0; i < 6; ++i) keys(b, i) = double(i) - 1;  // -1 for the first row
        compare(random_weights(3, 6, 6, 2323), keys);
    });

    e.check("L ≠ S (4, 3, 5): the first-token template", [] {
        compare(random_weights(4, 3, 5, 23),
                Matrix(xt::zeros<double>({std::size_t{4}, std::size_t{3}})));
    });

    return e.run(argc, argv);
}
