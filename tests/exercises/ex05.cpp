// Exercise 05's checks: weighted_sum(weights, V) = weights·V, against attn::weighted_sum.
#include <attention/attention.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

// What the known mistakes would return for these weights and values.
std::vector<Mistake> mistakes(const Matrix& w, const Matrix& V) {
    const std::size_t L = w.shape(0), S = w.shape(1), d_v = V.shape(1);
    std::vector<Mistake> m;
    if (L == S) {
        const Matrix w_T = xt::transpose(w);
        m.push_back(
                gives(attn::weighted_sum(w_T, V),
                      "you used the weights transposed, weights(j, i) instead of "
                      "weights(i, j): output row i mixes the value rows with row i of "
                      "the weights, query i's weights. out(i, c) = Σ_j weights(i, j)·V(j, c)."));
        m.push_back(gives(V,
                          "your output is V itself: in out(i, c) += weights(i, j)·V(?, c) "
                          "the value row must be j, the key being weighted, not i."));
    }
    if (L == S && S == d_v) {
        m.push_back(gives(w * V,
                          "you multiplied entry by entry: xtensor's * is not a matrix product. "
                          "weights·V is out(i, c) = Σ_j weights(i, j)·V(j, c), a sum over the "
                          "keys j, written as a loop."));
    }
    Matrix unweighted = xt::zeros<double>({L, d_v});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < S; ++j)
            for (std::size_t c = 0; c < d_v; ++c) unweighted(i, c) += V(j, c) / double(S);
    m.push_back(gives(unweighted,
                      "every output row is the plain average of the value rows: "
                      "multiply value row j by weights(i, j) before adding."));
    m.push_back(
            shape_differs(attn::weighted_sum(w, V),
                          "the output has one row per query, L = weights.shape(0), and one column "
                          "per value dimension, d_v = V.shape(1): create it as "
                          "xt::zeros<double>({L, d_v})."));
    return m;
}

void compare(const Matrix& w, const Matrix& V) {
    expect({"weighted_sum(weights, V)",
            {{"weights", w}, {"V", V}},
            [&] { return mistakes(w, V); },
            "compare one entry by hand: out(i, c) = Σ_j weights(i, j)·V(j, c), the weights of "
            "query i times column c of V. Start every sum at 0 (xt::zeros, not xt::empty)."},
           ex::weighted_sum(w, V), attn::weighted_sum(w, V));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(5, "05_weighted_sum", "weighted_sum(weights, V)");

    e.check("the toy example: chapter 04's weights and V = the 3 tokens", [] {
        const Matrix w = attn::softmax({{1, 0, 1}, {0, 4, 2}, {1, 2, 2}});
        const Matrix V = attn::toy_tokens();
        // The toy example's PyTorch printout.
        const Matrix printed = {{0.8446, 0.7330, 0.8446, 0.7330},
                                {0.1332, 1.8509, 0.1332, 1.8509},
                                {0.5777, 1.2670, 0.5777, 1.2670}};
        reference_agrees("weights·V", attn::weighted_sum(w, V), printed, 0.5e-4);
        compare(w, V);
    });

    attn::Random rng(505);
    const std::size_t L = rng.integer(2, 3), S = L + rng.integer(1, 3), d_v = S + rng.integer(1, 2);
    const Matrix w = attn::softmax(rng.normal_matrix(L, S)), V = rng.normal_matrix(S, d_v);
    e.check("weights " + attn::shape_str(w.shape()) + " and V " + attn::shape_str(V.shape()) +
                    ": L, S and d_v all differ (random from seed 505)",
            [&] { compare(w, V); });

    const Matrix one_hot = {{0, 0, 1, 0}, {1, 0, 0, 0}, {0, 0, 1, 0}}, V4 = rng.normal_matrix(4, 3);
    e.check("one-hot weights pick out one value row each", [&] { compare(one_hot, V4); });

    const Matrix wb = attn::softmax(rng.normal_matrix(12, 20, 2.0)), Vb = rng.normal_matrix(20, 16);
    e.check("weights (12, 20) and V (20, 16): larger, random from seed 505",
            [&] { compare(wb, Vb); });

    return e.run(argc, argv);
}
