// Exercise 02's checks: scores(Q, K) = Q·Kᵀ, against the reference attn::scores.
#include <attention/attention.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

// What the known mistakes would return for Q and K.
std::vector<Mistake> mistakes(const Matrix& Q, const Matrix& K) {
    const Matrix right = attn::scores(Q, K);
    const std::size_t L = Q.shape(0), S = K.shape(0);
    Matrix running = right;      // the sum is reset per row, not per entry
    Matrix never_reset = right;  // the sum is never reset
    double total = 0.0;
    for (std::size_t i = 0; i < L; ++i) {
        for (std::size_t j = 0; j < S; ++j) {
            if (j > 0) running(i, j) += running(i, j - 1);
            total += right(i, j);
            never_reset(i, j) = total;
        }
    }
    // A wrong shape that tells which size was mixed up (only when it differs from (L, S)).
    const auto shape_is = [L, S](std::size_t rows, std::size_t cols) {
        return [=](const Matrix& a) {
            return (rows != L || cols != S) && a.shape(0) == rows && a.shape(1) == cols;
        };
    };
    return {
            gives(xt::transpose(right),
                  "your answer is the transpose of the scores: K·Qᵀ instead of Q·Kᵀ. Row i belongs "
                  "to query i and column j to key j: scores(i, j) = Σ_c Q(i, c)·K(j, c)."),
            gives(running,
                  "each entry is the running total of the entries before it in its row: the sum "
                  "is not set back to 0 for each new key. Start it at 0 inside the loop over j."),
            gives(never_reset,
                  "each entry is the running total of every entry before it: the sum is never set "
                  "back to 0. Start it at 0 for every (i, j), inside the two outer loops."),
            when(shape_is(L, L),
                 "your result is (L, L): it needs one column per key, S = K.shape(0), "
                 "not one per query."),
            when(shape_is(S, L),
                 "your result is (S, L): one row per key. Row i must be query i: create it as "
                 "xt::zeros<double>({L, S}) with L = Q.shape(0) and S = K.shape(0)."),
            shape_differs(
                    right,
                    "the scores have one row per query, L = Q.shape(0), and one column per key, "
                    "S = K.shape(0)."),
    };
}

const char* kFallback =
        "compare one entry by hand: scores(i, j) is the dot product of row i of Q with row j of "
        "K, Σ_c Q(i, c)·K(j, c). Start every sum at 0 (xt::zeros, not xt::empty).";

void compare(const Matrix& Q, const Matrix& K) {
    expect({"scores(Q, K)", {{"Q", Q}, {"K", K}}, [&] { return mistakes(Q, K); }, kFallback},
           ex::scores(Q, K), attn::scores(Q, K));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(2, "02_dot_product_scores", "scores(Q, K)");

    e.check("the toy example: Q = K = the 3 tokens × 4 dims (chapter 02)", [] {
        const Matrix tokens = attn::toy_tokens();
        // By hand: t0 = [1, 0, 1, 0], t1 = [0, 2, 0, 2], t2 = [1, 1, 1, 1].
        const Matrix by_hand = {{2, 0, 2}, {0, 8, 4}, {2, 4, 4}};
        reference_agrees("Q·Kᵀ", attn::scores(tokens, tokens), by_hand, 1e-12);
        compare(tokens, tokens);
    });

    attn::Random rng(202);
    const std::size_t L = rng.integer(2, 4), S = L + rng.integer(1, 3), d_k = rng.integer(2, 6);
    const Matrix Q = rng.normal_matrix(L, d_k), K = rng.normal_matrix(S, d_k);
    e.check("Q " + attn::shape_str(Q.shape()) + " and K " + attn::shape_str(K.shape()) +
                    ": more keys than queries, random from seed 202",
            [&] { compare(Q, K); });

    const Matrix Q1 = rng.normal_matrix(1, 5), K1 = rng.normal_matrix(1, 5);
    e.check("one query and one key (L = S = 1): a single dot product", [&] { compare(Q1, K1); });

    const Matrix Qb = rng.normal_matrix(12, 16, 2.0), Kb = rng.normal_matrix(20, 16, 2.0);
    e.check("Q (12, 16) and K (20, 16): larger, random from seed 202", [&] { compare(Qb, Kb); });

    return e.run(argc, argv);
}
