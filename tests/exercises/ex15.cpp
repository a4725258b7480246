// Exercise 15's checks: positional_encoding(L, E), the sinusoids of the original
// Transformer, against the reference attn::positional_encoding.
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

enum class Wave { sin_even, cos_even, halves };

// PE with exponent(c) for column c's angle, pos / 10000^exponent(c); the waves in
// alternating columns (sin first or cos first) or sin in the first half, cos in the second.
template <class Exponent>
Matrix pe_with(std::size_t L, std::size_t E, Exponent exponent, Wave wave = Wave::sin_even,
               bool multiply = false) {
    Matrix pe = xt::zeros<double>({L, E});
    for (std::size_t pos = 0; pos < L; ++pos)
        for (std::size_t c = 0; c < E; ++c) {
            const double scale = std::pow(10000.0, exponent(c));
            const double angle = multiply ? pos * scale : pos / scale;
            bool is_sin = c % 2 == 0;
            if (wave == Wave::cos_even) is_sin = !is_sin;
            if (wave == Wave::halves) is_sin = c < (E + 1) / 2;
            pe(pos, c) = is_sin ? std::sin(angle) : std::cos(angle);
        }
    return pe;
}

// What the known mistakes would return for (L, E), most specific first.
std::vector<Mistake> mistakes(std::size_t L, std::size_t E) {
    const double e = static_cast<double>(E);
    const auto two_i = [e](std::size_t c) { return static_cast<double>(c - c % 2) / e; };
    const auto halves_2i = [E,
                            e](std::size_t c) {  // sin in [0, E/2), cos after: pair k = c mod half
        const std::size_t half = (E + 1) / 2, k = c < half ? c : c - half;
        return 2.0 * static_cast<double>(k) / e;
    };
    std::vector<Mistake> m = {
            gives(pe_with(L, E, two_i, Wave::cos_even),
                  "sin and cos are swapped: the even columns 2i are sin(pos / 10000^(2i/E)), the "
                  "odd "
                  "columns 2i+1 cos of the same angle. Row 0 (pos = 0) is [0, 1, 0, 1, …]."),
            gives(pe_with(L, E, [e](std::size_t c) { return static_cast<double>(c / 2) / e; }),
                  "your angles use the exponent i/E instead of 2i/E (i = c / 2, the pair's index): "
                  "the clocks slow down half as fast as they should. The exponent is (c - c % 2) / "
                  "E."),
            gives(pe_with(L, E, [e](std::size_t c) { return static_cast<double>(c) / e; }),
                  "your exponent is c/E for every column: the cos column 2i+1 must share the "
                  "frequency of the sin column 2i, pos / 10000^(2i/E) with 2i = c - c % 2."),
            gives(pe_with(L, E, [](std::size_t) { return 0.0; }),
                  "every column has the same frequency, angle = pos: was 2i/E computed with whole "
                  "numbers (2 * i / E = 0)? Divide as doubles."),
            gives(pe_with(L, E, two_i, Wave::sin_even, true),
                  "you multiplied pos by 10000^(2i/E): the angle is pos divided by it, so the "
                  "later "
                  "columns turn slowly, not fast."),
            gives(pe_with(L, E, halves_2i, Wave::halves),
                  "you put every sin in the first half of the columns and every cos in the second "
                  "(a layout some libraries use): here they alternate, column 2i a sin and column "
                  "2i+1 the cos of the same angle."),
            shape_differs(
                    attn::positional_encoding(L, E),
                    "PE is (L, E): one row per position, one column per dimension of a token."),
    };
    return m;
}

void compare(std::size_t L, std::size_t E) {
    expect({"positional_encoding(" + std::to_string(L) + ", " + std::to_string(E) + ")",
            {},
            [=] { return mistakes(L, E); },
            "compare row 1 (pos = 1) by hand: column 0 is sin(1) = 0.8415, column 1 cos(1) = "
            "0.5403, "
            "column 2 sin(1 / 10000^(2/E)), …"},
           ex::positional_encoding(L, E), attn::positional_encoding(L, E));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(15, "15_positions", "positional_encoding(L, E)");

    e.check("chapter 15's PE (3, 8): \"dog bites man\", E = 8", [] {
        // By hand: position 1, columns 0 and 1: sin(1), cos(1); columns 2, 3: angle 1 / 10.
        const Matrix pe = attn::positional_encoding(3, 8);
        reference_agrees("PE row 1, columns 0-3", xt::view(pe, xt::range(1, 2), xt::range(0, 4)),
                         Matrix{{std::sin(1.0), std::cos(1.0), std::sin(0.1), std::cos(0.1)}},
                         1e-15);
        compare(3, 8);
    });

    attn::Random rng(1515);
    const std::size_t L = rng.integer(5, 9), E = 2 * rng.integer(5, 8);
    e.check("L = " + std::to_string(L) + ", E = " + std::to_string(E) + " (random from seed 1515)",
            [=] { compare(L, E); });

    e.check("50 positions, E = 16: the slow clocks of the last columns matter",
            [] { compare(50, 16); });

    e.check("an odd width, E = 5: the last column is a sin of its own", [] { compare(4, 5); });

    return e.run(argc, argv);
}
