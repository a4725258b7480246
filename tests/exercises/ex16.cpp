// Exercise 16's checks: padding_mask(lengths, S), additive (B, S), against the reference
// attn::padding_mask.
#include <cmath>

#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

// `blocked` at (b, j) where pad(j, lengths[b]) holds, `open` elsewhere.
template <class Pad>
Matrix mask_where(const std::vector<std::size_t>& lengths, std::size_t S, Pad pad,
                  double blocked = -INFINITY, double open = 0.0) {
    Matrix m = xt::zeros<double>({lengths.size(), S});
    for (std::size_t b = 0; b < lengths.size(); ++b)
        for (std::size_t j = 0; j < S; ++j) m(b, j) = pad(j, lengths[b]) ? blocked : open;
    return m;
}

std::string list(const std::vector<std::size_t>& v) {
    std::string s = "{";
    for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + std::to_string(v[k]);
    return s + "}";
}

// What the known mistakes would return, most specific first.
std::vector<Mistake> mistakes(const std::vector<std::size_t>& lengths, std::size_t S) {
    using P = std::size_t;
    const Matrix right = attn::padding_mask(lengths, S);
    return {
            gives(mask_where(lengths, S, [](P j, P n) { return j < n; }),
                  "your mask blocks the real tokens and lets everybody attend to the pads: the "
                  "other "
                  "convention (True = keep vs True = blocked). Here -INFINITY = blocked, and what "
                  "is "
                  "blocked is the padding, j ≥ lengths[b]. PyTorch's bool key_padding_mask is True "
                  "at the pads; Hugging Face's attention_mask is 1 at the real tokens."),
            gives(mask_where(lengths, S, [](P j, P n) { return j > n; }),
                  "off by one: the first pad of each sample (position lengths[b]) is still open. "
                  "The "
                  "pads are j ≥ lengths[b]: start blocking at j = lengths[b]."),
            gives(mask_where(lengths, S, [](P j, P n) { return j + 1 >= n; }),
                  "off by one: the last real token of each sample (position lengths[b] - 1) is "
                  "blocked. The real tokens are 0 … lengths[b] - 1; block from j = lengths[b] on."),
            gives(mask_where(
                          lengths, S, [](P j, P n) { return j >= n; }, 1.0),
                  "you wrote the bool form (1 = True = padding): this mask is additive, so a pad "
                  "is "
                  "-INFINITY and a real token 0."),
            gives(mask_where(
                          lengths, S, [](P j, P n) { return j >= n; }, 0.0, 1.0),
                  "you wrote a keep-mask (1 = real token, Hugging Face's attention_mask): this "
                  "mask "
                  "is additive, 0 = allowed and -INFINITY = blocked."),
            gives(mask_where(
                          lengths, S, [](P j, P n) { return j >= n; }, -1e9),
                  "you used -1e9: it quietly gives a fully padded sample weights on its pads "
                  "(chapter 13, step 5). Use -INFINITY."),
            gives(Matrix(xt::transpose(right)),
                  "your mask is (S, B): one row per position. It needs one row per sample, (B, S), "
                  "so that row b can be added to sample b's scores."),
            shape_differs(right,
                          "the mask is (B, S): B = lengths.size() rows, one per sample, and S "
                          "columns, one per key position."),
    };
}

void compare(const std::vector<std::size_t>& lengths, std::size_t S) {
    expect({"padding_mask(" + list(lengths) + ", " + std::to_string(S) + ")",
            {},
            [=] { return mistakes(lengths, S); },
            "row b: 0 in columns 0 … lengths[b] - 1, -inf in columns lengths[b] … S - 1."},
           ex::padding_mask(lengths, S), attn::padding_mask(lengths, S));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(16, "16_batches", "padding_mask(lengths, S)");

    e.check("chapter 16's batch: lengths {4, 2, 3}, S = 4", [] {
        const double inf = INFINITY;
        reference_agrees("padding mask", attn::padding_mask({4, 2, 3}, 4),
                         Matrix{{0, 0, 0, 0}, {0, 0, -inf, -inf}, {0, 0, 0, -inf}}, 0.0);
        compare({4, 2, 3}, 4);
    });

    attn::Random rng(1616);
    const std::size_t S = rng.integer(6, 9);
    std::vector<std::size_t> lengths;
    for (std::size_t b = 0, B = rng.integer(4, 5); b < B; ++b)
        lengths.push_back(rng.integer(1, S - 1));
    e.check("lengths " + list(lengths) + ", S = " + std::to_string(S) +
                    ": every sample padded (random from seed 1616)",
            [=] { compare(lengths, S); });

    e.check("chapter 13's \"I like green tea\" and \"green tea\": lengths {4, 2}, S = 4", [] {
        compare({4, 2}, 4);
    });

    e.check("one sample, no padding at all: lengths {5}, S = 5", [] { compare({5}, 5); });

    e.check("an empty sample (length 0): its whole row is blocked", [] { compare({3, 0, 1}, 3); });

    return e.run(argc, argv);
}
