// Exercise 06's checks: attention(Q, K, V) = softmax(Q·Kᵀ / √d_k)·V, against attn::attention.
#include <cmath>

#include <attention/attention.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

Matrix transposed(const Matrix& m) {
    return xt::transpose(m);
}

// softmax(scores / divisor)·V: the right answer with divisor √d_k, and wrong ones.
Matrix attend(const Matrix& scores, double divisor, const Matrix& V) {
    return attn::weighted_sum(attn::softmax(scores / divisor), V);
}

// The toy example's output, what a hard-coded answer returns.
Matrix seed_output() {
    const Matrix t = attn::toy_tokens();
    return attn::attention(t, t, t).output;
}

// What the known mistakes would return for Q, K and V, most specific first.
std::vector<Mistake> mistakes(const Matrix& Q, const Matrix& K, const Matrix& V) {
    const std::size_t L = Q.shape(0), S = K.shape(0), d_k = Q.shape(1), d_v = V.shape(1);
    const attn::Attention right = attn::attention(Q, K, V);
    const Matrix& s = right.scores;
    const auto root = [](std::size_t n) { return std::sqrt(static_cast<double>(n)); };
    const std::string n = std::to_string(d_k);
    std::vector<Mistake> m = {
            gives(attend(s, 1.0, V),
                  "the scores were not scaled: softmax(Q·Kᵀ)·V. Divide them by √d_k = √" + n +
                          " before the softmax; without it the weights get sharper as d_k grows "
                          "and "
                          "saturate (chapter 03)."),
            gives(attend(s, static_cast<double>(d_k), V),
                  "the scores were divided by d_k = " + n +
                          ": scaled by d_k instead of √d_k? "
                          "Then the weights flatten towards uniform as d_k grows."),
            gives(attend(s, 1.0 / root(d_k), V),
                  "the scores were multiplied by √d_k instead of divided by it."),
    };
    if (L != d_k) {
        m.push_back(gives(attend(s, root(L), V),
                          "you scaled by √L, the number of queries (Q.shape(0)): d_k is the width "
                          "of a query, Q.shape(1)."));
    }
    if (S != d_k) {
        m.push_back(gives(attend(s, root(S), V),
                          "you scaled by √S, the number of keys (K.shape(0)): d_k is the width of "
                          "a query or key, Q.shape(1)."));
    }
    if (d_v != d_k) {
        m.push_back(gives(attend(s, root(d_v), V),
                          "you scaled by √d_v (V.shape(1)), the width of the values: the scores "
                          "are divided by √d_k, the width of the queries and keys (Q.shape(1))."));
    }
    m.push_back(
            gives(attn::weighted_sum(transposed(attn::softmax(transposed(right.scaled_scores))), V),
                  "the softmax ran over each column: did you normalise over the wrong axis? "
                  "Each row of the weights (one query) must sum to 1."));
    m.push_back(gives(attn::weighted_sum(attn::softmax_naive(right.scaled_scores), V),
                      "NaN where the scores are large: the softmax overflowed (exp(1000) is inf, "
                      "inf / inf is NaN). Subtract each row's max before exp, as in exercise 04."));
    if (L == S) {
        m.push_back(gives(attn::weighted_sum(transposed(right.weights), V),
                          "the weights are transposed (K·Qᵀ instead of Q·Kᵀ, or weights(j, i) "
                          "instead of weights(i, j)): row i of the weights belongs to query i."));
    }
    m.push_back(gives(right.weights,
                      "you returned the weights (L, S); the output is weights·V (L, d_v)."));
    m.push_back(gives(right.scaled_scores,
                      "you returned the scaled scores; the output is softmax(scaled scores)·V."));
    m.push_back(gives(right.scores,
                      "you returned the scores Q·Kᵀ; the output is softmax(Q·Kᵀ / √d_k)·V."));
    if (!(L == 3 && S == 3 && d_v == 4 && near(right.output, seed_output()))) {
        m.push_back(gives(seed_output(),
                          "your answer is the output of the toy example whatever the input: "
                          "is it hard-coded? Compute it from Q, K and V."));
    }
    m.push_back(shape_differs(
            right.output,
            "the output has one row per query, L = Q.shape(0), and one column per value "
            "dimension, d_v = V.shape(1)."));
    return m;
}

void compare(const Matrix& Q, const Matrix& K, const Matrix& V) {
    expect({"attention(Q, K, V)",
            {{"Q", Q}, {"K", K}, {"V", V}},
            [&] { return mistakes(Q, K, V); },
            "follow the four steps of chapter 06: scores = Q·Kᵀ (L, S), divided by √d_k, softmax "
            "over each row, then weights·V (L, d_v). ./workbook run 6 prints each."},
           ex::attention(Q, K, V), attn::attention(Q, K, V).output);
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(6, "06_self_attention", "attention(Q, K, V)");

    e.check("the toy example: Q = K = V = the 3 tokens, PyTorch's printed output", [] {
        const Matrix t = attn::toy_tokens();
        const Matrix printed = {{0.8446, 0.7330, 0.8446, 0.7330},
                                {0.1332, 1.8509, 0.1332, 1.8509},
                                {0.5777, 1.2670, 0.5777, 1.2670}};
        reference_agrees("attention output", attn::attention(t, t, t).output, printed, 0.5e-4);
        compare(t, t, t);
    });

    attn::Random rng(606);
    const std::size_t L = rng.integer(2, 4), S = L + rng.integer(1, 3);
    const std::size_t d_k = S + rng.integer(1, 3), d_v = d_k + rng.integer(1, 2);
    const Matrix Q = rng.normal_matrix(L, d_k), K = rng.normal_matrix(S, d_k),
                 V = rng.normal_matrix(S, d_v);
    e.check("Q " + attn::shape_str(Q.shape()) + ", K " + attn::shape_str(K.shape()) + ", V " +
                    attn::shape_str(V.shape()) +
                    ": L, S, d_k and d_v all differ (random from seed 606)",
            [&] { compare(Q, K, V); });

    const Matrix Qw = rng.normal_matrix(4, 256), Kw = rng.normal_matrix(6, 256),
                 Vw = rng.normal_matrix(6, 3);
    e.check("wide queries and keys, d_k = 256: the scaling decides how sharp the weights are",
            [&] { compare(Qw, Kw, Vw); });

    e.check("large scores: the toy example's tokens × 16, so Q·Kᵀ / √d_k reaches 1024", [] {
        const Matrix t = attn::toy_tokens() * 16.0;
        compare(t, t, attn::toy_tokens());
    });

    const Matrix q1 = rng.normal_matrix(1, 5), k1 = rng.normal_matrix(1, 5),
                 v1 = rng.normal_matrix(1, 2);
    e.check("one query and one key: all the weight goes to it, the output is its value row",
            [&] { compare(q1, k1, v1); });

    return e.run(argc, argv);
}
