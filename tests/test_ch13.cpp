// Chapter 13 — masks: no peeking ahead, no attending to padding.
#include "support.hpp"

#include <cmath>

#include <xtensor/xnpy.hpp>

#include <attention/attention.hpp>
#include <workbook/npy.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("the causal and padding masks, by hand", "[ch13]") {
    const double inf = INFINITY;
    CHECK_THAT(attn::causal_mask(3), Near(Matrix{{0, -inf, -inf}, {0, 0, -inf}, {0, 0, 0}}, 0));
    CHECK_THAT(attn::causal_mask_bool(3), Near(Matrix{{0, 1, 1}, {0, 0, 1}, {0, 0, 0}}, 0));
    CHECK_THAT(attn::padding_mask({3, 1}, 3), Near(Matrix{{0, 0, 0}, {0, -inf, -inf}}, 0));
}

TEST_CASE("with a causal mask, changing a future token leaves every earlier output unchanged", "[ch13]") {
    attn::Random rng(131);
    for (std::size_t L : {2, 5, 9}) {
        Matrix X = rng.normal_matrix(L, 6);
        const Matrix mask = attn::causal_mask(L);
        const Matrix before = attn::attention(X, X, X, &mask).output;
        xt::row(X, L - 1) = xt::row(rng.normal_matrix(1, 6), 0);
        const Matrix after = attn::attention(X, X, X, &mask).output;
        for (std::size_t i = 0; i + 1 < L; ++i) {
            INFO("L = " << L << ", row " << i);
            CHECK(xt::all(xt::equal(xt::row(before, i), xt::row(after, i))));
        }
        CHECK_FALSE(xt::all(xt::equal(xt::row(before, L - 1), xt::row(after, L - 1))));
    }
}

TEST_CASE("row 0 under a causal mask sees only itself, padded keys get weight 0", "[ch13]") {
    attn::Random rng(132);
    const Matrix X = rng.normal_matrix(4, 3);
    const Matrix causal = attn::causal_mask(4);
    const attn::Attention a = attn::attention(X, X, X, &causal);
    CHECK_THAT(Matrix(xt::view(a.weights, xt::range(0, 1), xt::all())), Near(Matrix{{1, 0, 0, 0}}, 0));
    const Matrix pad = xt::zeros<double>({4, 4}) + xt::view(attn::padding_mask({2}, 4), xt::range(0, 1), xt::all());
    const Matrix w = attn::attention(X, X, X, &pad).weights;
    CHECK(xt::all(xt::equal(xt::view(w, xt::all(), xt::range(2, 4)), 0.0)));
}

TEST_CASE("masks of -1e9 and -inf agree until a row is fully masked, then -inf gives NaN", "[ch13]") {
    attn::Random rng(133);
    const Matrix X = rng.normal_matrix(3, 3);
    const Matrix inf_mask = attn::causal_mask(3);
    const Matrix big = xt::where(xt::isinf(inf_mask), -1e9, 0.0);
    CHECK_THAT(attn::attention(X, X, X, &big).weights, Near(attn::attention(X, X, X, &inf_mask).weights, 1e-15));
    const double inf = INFINITY;
    const Matrix full = {{-inf, -inf, -inf}, {0, 0, 0}, {0, 0, 0}};
    const Matrix w = attn::attention(X, X, X, &full).weights;
    CHECK(std::isnan(w(0, 0)));
    CHECK_FALSE(std::isnan(w(1, 0)));
    const Matrix full_big = {{-1e9, -1e9, -1e9}, {0, 0, 0}, {0, 0, 0}};
    // Every score in row 0 moves down by the same 1e9, and softmax ignores a shift:
    // the row comes out as if it had no mask at all (to the 1e-7 that 1e9 + s keeps).
    const Matrix unmasked = attn::attention(X, X, X).weights;
    CHECK_THAT(Matrix(xt::view(attn::attention(X, X, X, &full_big).weights, xt::range(0, 1), xt::all())),
               Near(Matrix(xt::view(unmasked, xt::range(0, 1), xt::all())), 1e-6));
}

TEST_CASE("chapter 13 shows the future cannot change the past", "[ch13]") {
    const auto r = wbtest::run_chapter("13_masking");
    REQUIRE(r.status == 0);
    for (const char* line : {"output row 0 (I): unchanged", "output row 2 (green): unchanged", "output row 3 (tea): changed"}) {
        INFO(line);
        CHECK(r.out.find(line) != std::string::npos);
    }
}

TEST_CASE("chapter 13 prints its recorded output", "[ch13]") {
    wbtest::check_recorded_output("13_masking");
}

TEST_CASE("chapter 13 --load applies a bool attn_mask as PyTorch does", "[ch13]") {
    wbtest::TempDir in("ch13_in"), out("ch13_out");
    wbtest::write_npy_f32(in / "query.npy", Matrix{{1, 0}, {0, 1}});
    const xt::xtensor<bool, 2> keep_first = {{false, true}, {false, true}};  // True = blocked
    xt::dump_npy(in / "attn_mask.npy", keep_first);
    const auto r = wbtest::run_chapter("13_masking", {"--load", in.path(), "--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK_THAT(attn::load_npy(out / "masked_weights.npy").data, Near(Matrix{{1, 0}, {1, 0}}, 0));
    CHECK_THAT(attn::load_npy(out / "masked_output.npy").data, Near(Matrix{{1, 0}, {1, 0}}, 0));
    attn::dump_npy(in / "attn_mask.npy", xt::zeros<double>({2, 2, 2}));
    wbtest::check_bad_input("13_masking", {"--load", in.path()}, {"attn_mask.npy", "(2, 2, 2)"});
}
