// Chapter 15 — positions: attention alone does not know word order.
#include "support.hpp"

#include <cmath>

#include <attention/attention.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("sinusoidal positional encodings, by hand", "[ch15]") {
    const Matrix pe = attn::positional_encoding(3, 4);
    // pos 0: sin 0 = 0, cos 0 = 1. pos 1: sin 1, cos 1, sin(1/100), cos(1/100) (10000^(2/4) = 100).
    CHECK_THAT(pe, Near(Matrix{{0, 1, 0, 1},
                               {std::sin(1.0), std::cos(1.0), std::sin(0.01), std::cos(0.01)},
                               {std::sin(2.0), std::cos(2.0), std::sin(0.02), std::cos(0.02)}},
                        1e-15));
}

TEST_CASE("permuting the tokens permutes self-attention's output and nothing else", "[ch15]") {
    attn::Random rng(151);
    const Matrix X = rng.normal_matrix(5, 4);
    const std::vector<std::size_t> perm = {3, 0, 4, 1, 2};
    Matrix P = xt::empty<double>({5, 4});
    for (std::size_t i = 0; i < 5; ++i) xt::row(P, i) = xt::row(X, perm[i]);
    const Matrix out = attn::attention(X, X, X).output, out_p = attn::attention(P, P, P).output;
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK_THAT(Matrix(xt::view(out_p, xt::range(i, i + 1), xt::all())),
                   Near(Matrix(xt::view(out, xt::range(perm[i], perm[i] + 1), xt::all())), 1e-12));
    }
    // With positions added, the same token at another position gets another output.
    const Matrix pe = attn::positional_encoding(5, 4);
    const Matrix Xp = X + pe, Pp = P + pe;
    const Matrix o1 = attn::attention(Xp, Xp, Xp).output, o2 = attn::attention(Pp, Pp, Pp).output;
    CHECK(xt::amax(xt::abs(xt::row(o2, 1) - xt::row(o1, 0)))() >
          1e-3);  // token 0, moved to position 1
}

TEST_CASE("chapter 15 prints its recorded output", "[ch15]") {
    wbtest::check_recorded_output("15_positions");
}

TEST_CASE("chapter 15 --load adds positions to your tokens", "[ch15]") {
    wbtest::TempDir in("ch15_in"), out("ch15_out");
    wbtest::write_npy_f32(in / "query.npy", xt::zeros<double>({2, 2}));
    const auto r = wbtest::run_chapter("15_positions", {"--load", in.path(), "--dump", out.path()});
    REQUIRE(r.status == 0);
    CHECK_THAT(attn::load_npy(out / "tokens_with_positions.npy").data,
               Near(Matrix{{0, 1}, {std::sin(1.0), std::cos(1.0)}}, 1e-15));
    // Your tokens replace the built-in sentences.
    CHECK(r.out.find("dog") == std::string::npos);
    CHECK(r.out.find("Step 2)") == std::string::npos);
}
