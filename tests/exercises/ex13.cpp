// Exercise 13's checks: causal_mask(L), additive (L, L), against the reference attn::causal_mask.
#include <cmath>

#include <attention/attention.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

Matrix transposed(const Matrix& m) {
    return xt::transpose(m);
}

// -inf (or `blocked`) where keep(i, j) is false, 0 elsewhere.
template <class Keep>
Matrix mask_where(std::size_t L, Keep keep, double blocked = -INFINITY) {
    Matrix m = xt::zeros<double>({L, L});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < L; ++j)
            if (!keep(i, j)) m(i, j) = blocked;
    return m;
}

// What the known mistakes would return for L, most specific first.
std::vector<Mistake> mistakes(std::size_t L) {
    const Matrix right = attn::causal_mask(L);
    std::vector<Mistake> m = {
            gives(mask_where(L, [](std::size_t i, std::size_t j) { return j < i; }),
                  "the diagonal is blocked too: a token must see itself. Query i may attend to "
                  "keys "
                  "0..i, itself included; only j > i is blocked. With the diagonal blocked, row 0 "
                  "has "
                  "no key left, and its softmax is 0 / 0 = NaN."),
            gives(mask_where(L, [](std::size_t i, std::size_t j) { return j >= i; }),
                  "your mask blocks the past (below the diagonal) and lets every token see the "
                  "future: rows and columns swapped? Row i is the query, column j the key: block "
                  "m(i, j) for j > i."),
            gives(mask_where(L, [](std::size_t i, std::size_t j) { return j > i; }),
                  "your mask blocks the past and the token itself, and keeps the future: the "
                  "opposite convention. 0 = allowed, -inf = blocked, and what is blocked is j > "
                  "i."),
            gives(attn::causal_mask_bool(L),
                  "you wrote PyTorch's bool form (1 = True = blocked): this mask is additive, it "
                  "is "
                  "added to the scores, so a blocked entry is -INFINITY and an allowed one 0."),
            gives(1.0 - attn::causal_mask_bool(L),
                  "you wrote a keep-mask (1 = allowed, Hugging Face's convention): this mask is "
                  "additive, 0 = allowed and -INFINITY = blocked."),
            gives(mask_where(
                          L, [](std::size_t i, std::size_t j) { return j <= i; }, -1e9),
                  "you used -1e9 for blocked entries: it works until a row is fully masked, where "
                  "it "
                  "quietly averages keys it must not see (chapter 13, step 5). Use -INFINITY."),
    };
    if (L > 1) {
        m.push_back(gives(transposed(mask_where(
                                  L, [](std::size_t i, std::size_t j) { return j <= i; }, -1e9)),
                          "your mask blocks the past with -1e9: use -INFINITY, and block j > i "
                          "(above the diagonal), not j < i."));
    }
    m.push_back(shape_differs(right, "the mask is (L, L): one row per query, one column per key."));
    return m;
}

void compare(std::size_t L) {
    expect({"causal_mask(" + std::to_string(L) + ")",
            {},
            [L] { return mistakes(L); },
            "row i: 0 in columns 0..i, -inf in columns i+1..L-1."},
           ex::causal_mask(L), attn::causal_mask(L));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(13, "13_masking", "causal_mask(L)");

    e.check("chapter 13's \"I like green tea\": L = 4", [] {
        const double inf = INFINITY;
        reference_agrees(
                "causal mask", attn::causal_mask(4),
                Matrix{{0, -inf, -inf, -inf}, {0, 0, -inf, -inf}, {0, 0, 0, -inf}, {0, 0, 0, 0}},
                0.0);
        compare(4);
    });

    attn::Random rng(1313);
    const std::size_t L = rng.integer(5, 9);
    e.check("L = " + std::to_string(L) +
                    ": a longer mask (only its length L is drawn at random, "
                    "random-number seed 1313; the mask itself is fixed by L)",
            [L] { compare(L); });

    e.check("L = 1: one token, nothing to hide", [] { compare(1); });

    e.check("L = 16: larger", [] { compare(16); });

    e.check("with your mask, the future cannot change the past (chapter 13, step 2)", [&] {
        // Attention with the learner's mask; changing the last token must leave every earlier
        // output row exactly as it was.
        const std::size_t n = 6;
        const Matrix mask = ex::causal_mask(n);
        if (mask.shape(0) != n || mask.shape(1) != n) fail("causal_mask(6) is not (6, 6)");
        Matrix X = rng.normal_matrix(n, 4);
        const Matrix before = attn::attention(X, X, X, &mask).output;
        xt::row(X, n - 1) = xt::row(rng.normal_matrix(1, 4), 0);
        const Matrix after = attn::attention(X, X, X, &mask).output;
        for (std::size_t i = 0; i + 1 < n; ++i) {
            if (!near(Matrix(xt::view(before, xt::range(i, i + 1), xt::all())),
                      Matrix(xt::view(after, xt::range(i, i + 1), xt::all())), 0.0)) {
                fail("changing the last token changed output row " + std::to_string(i),
                     "an earlier token saw the last one: block every key j > i of row i.");
            }
        }
    });

    return e.run(argc, argv);
}
