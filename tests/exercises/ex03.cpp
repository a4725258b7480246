// Exercise 03's checks: scale(scores, d_k) = scores / √d_k, against the reference attn::scale.
#include <cmath>

#include <attention/attention.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

// What the known mistakes would return for these scores and d_k.
std::vector<Mistake> mistakes(const Matrix& s, std::size_t d_k) {
    const double d = static_cast<double>(d_k), root = std::sqrt(d);
    const double L = static_cast<double>(s.shape(0)), S = static_cast<double>(s.shape(1));
    const std::string n = std::to_string(d_k);
    return {
            gives(s / d, "you divided by d_k = " + n +
                                 ". The output shrinks as d_k grows: scaled by d_k "
                                 "instead of √d_k? Divide by std::sqrt(d_k): the scores' variance "
                                 "is d_k, so "
                                 "dividing by √d_k brings it back to 1 (chapter 03)."),
            gives(s,
                  "you returned the scores unchanged: every score must be divided by √d_k. "
                  "Unscaled, their spread grows with d_k and softmax saturates (chapter 03)."),
            gives(s * root,
                  "you multiplied by √d_k instead of dividing: the output grows with d_k, the "
                  "opposite of what scaling is for."),
            gives(s / std::floor(root),
                  "you divided by " + std::to_string(static_cast<int>(std::floor(root))) + ", √" +
                          n +
                          " rounded down to a whole number: was the square root stored in "
                          "an integer (std::size_t root = std::sqrt(d_k))? Keep it a double."),
            gives(s / static_cast<double>(static_cast<float>(root)),
                  "you divided by √d_k rounded to a float (about 7 digits): keep it a double."),
            gives(s / std::sqrt(S),
                  "you divided by √S, the square root of the number of keys (scores.shape(1)): use "
                  "the d_k you are given, the width of the queries and keys."),
            gives(s / std::sqrt(L),
                  "you divided by √L, the square root of the number of queries (scores.shape(0)): "
                  "use the d_k you are given, the width of the queries and keys."),
            shape_differs(s, "scaling changes no shape: the output is (L, S), like the scores."),
    };
}

void compare(const Matrix& s, std::size_t d_k) {
    expect({"scale(scores, " + std::to_string(d_k) + ")",
            {{"scores", s}},
            [&] { return mistakes(s, d_k); },
            "every entry of the output is the score at the same place divided by √d_k."},
           ex::scale(s, d_k), attn::scale(s, d_k));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(3, "03_scaling", "scale(scores, d_k)");

    e.check("the toy example: its scores with d_k = 4, divided by √4 = 2 (chapter 03)", [] {
        const Matrix tokens = attn::toy_tokens();
        const Matrix scores = {{2, 0, 2}, {0, 8, 4}, {2, 4, 4}};
        reference_agrees("scores", attn::scores(tokens, tokens), scores, 1e-12);
        reference_agrees("scaled scores", attn::scale(scores, 4), {{1, 0, 1}, {0, 4, 2}, {1, 2, 2}},
                         1e-12);
        compare(scores, 4);
    });

    attn::Random rng(303);
    const Matrix s5 = rng.normal_matrix(rng.integer(2, 4), rng.integer(5, 7), std::sqrt(5.0));
    e.check("scores " + attn::shape_str(s5.shape()) +
                    " with d_k = 5: √5 is not a whole number "
                    "(random from seed 303)",
            [&] { compare(s5, 5); });

    // Scores of random unit-variance queries and keys have variance d_k; scaled, about 1.
    std::vector<std::pair<std::size_t, Matrix>> wide;
    for (std::size_t d_k : {16, 64, 256}) {
        wide.emplace_back(d_k, attn::scores(rng.normal_matrix(6, d_k), rng.normal_matrix(9, d_k)));
    }
    e.check("d_k = 16, 64, 256: the spread of the scaled scores stays the same", [&] {
        for (const auto& [d_k, s] : wide) compare(s, d_k);
    });

    e.check("d_k = 1: nothing to divide by", [] { compare(Matrix{{3, -1.5}}, 1); });

    return e.run(argc, argv);
}
