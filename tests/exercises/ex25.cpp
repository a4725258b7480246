// Exercise 25's checks: next_word_targets(tokens, pad), against the reference
// attn::next_word_targets (the targets chapter 25's model trains on).
#include <attention/random.hpp>
#include <attention/tasks.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

Matrix reference(const Matrix& tokens, double pad) {
    attn::Tokens t = xt::empty<long>(tokens.shape());
    std::copy(tokens.begin(), tokens.end(), t.begin());
    const attn::Tokens out = attn::next_word_targets(t, long(pad));
    Matrix m = xt::empty<double>(tokens.shape());
    std::copy(out.begin(), out.end(), m.begin());
    return m;
}

// The known mistakes: 0 each word itself, 1 the word before, 2 padding kept as a target.
Matrix variant(const Matrix& tok, double pad, int which) {
    const std::size_t B = tok.shape(0), L = tok.shape(1);
    Matrix out = xt::empty<double>(tok.shape());
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            if (which == 0) out(b, i) = tok(b, i) == pad ? -100 : tok(b, i);
            if (which == 1)
                out(b, i) =
                        i > 0 && tok(b, i) != pad && tok(b, i - 1) != pad ? tok(b, i - 1) : -100;
            if (which == 2) out(b, i) = i + 1 < L ? tok(b, i + 1) : -100;
        }
    return out;
}

void compare(const Matrix& tokens, double pad) {
    expect({"next_word_targets(tokens, pad = " + std::to_string(long(pad)) + ")",
            {{"tokens", tokens}},
            [=] {
                return std::vector<Mistake>{
                        gives(variant(tokens, pad, 0),
                              "those are each position's own word: the target of "
                              "position i is the word at i + 1, the one it has not seen."),
                        gives(variant(tokens, pad, 1),
                              "that is the word before each position, which the "
                              "model already sees: shift the other way, tokens(b, i + 1)."),
                        gives(variant(tokens, pad, 2),
                              "padding is not a word to predict: where tokens(b, i) "
                              "or tokens(b, i + 1) is pad, the target is -100."),
                };
            },
            "row by row: targets(b, i) = tokens(b, i + 1), and -100 at the last position and at "
            "padding."},
           ex::next_word_targets(tokens, pad), reference(tokens, pad));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(25, "25_next_word", "next_word_targets(tokens, pad)");

    e.check("by hand: \"the keys near the lamp are .\" and a shorter sentence padded with 0", [] {
        const Matrix tokens = {{1, 12, 2, 1, 15, 4, 5}, {1, 6, 3, 5, 0, 0, 0}};
        const Matrix hand = {{12, 2, 1, 15, 4, 5, -100}, {6, 3, 5, -100, -100, -100, -100}};
        reference_agrees("next_word_targets", reference(tokens, 0), hand, 0);
        compare(tokens, 0);
    });

    e.check("random sentences (5 of length 9, padding id 3, seed 2525)", [] {
        attn::Random rng(2525);
        Matrix tokens = xt::empty<double>({std::size_t{5}, std::size_t{9}});
        for (std::size_t b = 0; b < 5; ++b) {
            const std::size_t length = rng.integer(4, 9);
            for (std::size_t i = 0; i < 9; ++i)
                tokens(b, i) = i < length ? double(4 + rng.integer(0, 11)) : 3.0;
        }
        compare(tokens, 3);
    });

    return e.run(argc, argv);
}
