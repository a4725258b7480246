// Chapter 13 — masks: no peeking ahead, no attending to padding.
#include "support.hpp"

#include <cmath>
#include <filesystem>

#include <xtensor/xnpy.hpp>

#include <attention/attention.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("the causal and padding masks, by hand", "[ch13]") {
    const double inf = INFINITY;
    CHECK_THAT(attn::causal_mask(3), Near(Matrix{{0, -inf, -inf}, {0, 0, -inf}, {0, 0, 0}}, 0));
    CHECK_THAT(attn::causal_mask_bool(3), Near(Matrix{{0, 1, 1}, {0, 0, 1}, {0, 0, 0}}, 0));
    CHECK_THAT(attn::padding_mask({3, 1}, 3), Near(Matrix{{0, 0, 0}, {0, -inf, -inf}}, 0));
}

TEST_CASE("with a causal mask, changing a future token leaves every earlier output unchanged",
          "[ch13]") {
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
    CHECK_THAT(Matrix(xt::view(a.weights, xt::range(0, 1), xt::all())),
               Near(Matrix{{1, 0, 0, 0}}, 0));
    const Matrix pad = xt::zeros<double>({4, 4}) +
                       xt::view(attn::padding_mask({2}, 4), xt::range(0, 1), xt::all());
    const Matrix w = attn::attention(X, X, X, &pad).weights;
    CHECK(xt::all(xt::equal(xt::view(w, xt::all(), xt::range(2, 4)), 0.0)));
}

TEST_CASE("masks of -1e9 and -inf agree until a row is fully masked, then -inf gives NaN",
          "[ch13]") {
    attn::Random rng(133);
    const Matrix X = rng.normal_matrix(3, 3);
    const Matrix inf_mask = attn::causal_mask(3);
    const Matrix big = xt::where(xt::isinf(inf_mask), -1e9, 0.0);
    CHECK_THAT(attn::attention(X, X, X, &big).weights,
               Near(attn::attention(X, X, X, &inf_mask).weights, 1e-15));
    const double inf = INFINITY;
    const Matrix full = {{-inf, -inf, -inf}, {0, 0, 0}, {0, 0, 0}};
    const Matrix w = attn::attention(X, X, X, &full).weights;
    CHECK(std::isnan(w(0, 0)));
    CHECK_FALSE(std::isnan(w(1, 0)));
    const Matrix full_big = {{-1e9, -1e9, -1e9}, {0, 0, 0}, {0, 0, 0}};
    // Every score in row 0 moves down by the same 1e9, and softmax ignores a shift:
    // the row comes out as if it had no mask at all (to the 1e-7 that 1e9 + s keeps).
    const Matrix unmasked = attn::attention(X, X, X).weights;
    CHECK_THAT(Matrix(xt::view(attn::attention(X, X, X, &full_big).weights, xt::range(0, 1),
                               xt::all())),
               Near(Matrix(xt::view(unmasked, xt::range(0, 1), xt::all())), 1e-6));
}

TEST_CASE("chapter 13 shows the future cannot change the past", "[ch13]") {
    const auto r = wbtest::run_chapter("13_masking");
    REQUIRE(r.status == 0);
    for (const char* line : {"output row 0 (I): unchanged", "output row 2 (green): unchanged",
                             "output row 3 (tea): changed"}) {
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
    // Only what was computed from the loaded data is dumped, not the chapter's own example.
    for (const char* example :
         {"key_padding_mask", "causal_mask", "weights", "convention_rows", "combined_mask"}) {
        INFO(example);
        CHECK_FALSE(std::filesystem::exists(out / (std::string(example) + ".npy")));
    }
    CHECK(std::filesystem::exists(out / "mask.npy"));
    attn::dump_npy(in / "attn_mask.npy", xt::zeros<double>({2, 2, 2}));
    wbtest::check_bad_input("13_masking", {"--load", in.path()}, {"attn_mask.npy", "(2, 2, 2)"});
}

// The conventions table of step 4, one test per row.

TEST_CASE("nn.MultiheadAttention's bool masks: True = not allowed (PyTorch 1.13 fixtures)",
          "[ch13]") {
    // attn_mask (L, S): wherever PyTorch was given True, its weights are exactly 0, and only there.
    const Matrix attn_mask =
            wbtest::fixture_matrix("multihead_attention/causal_bool/attn_mask.npy");
    const xt::xarray<double> w =
            wbtest::fixture("multihead_attention/causal_bool/weights64.npy");  // (B, H, L, S)
    REQUIRE(w.dimension() == 4);
    const Matrix additive = attn::additive_from_blocked(attn_mask);
    for (std::size_t b = 0; b < w.shape(0); ++b)
        for (std::size_t h = 0; h < w.shape(1); ++h)
            for (std::size_t i = 0; i < w.shape(2); ++i)
                for (std::size_t j = 0; j < w.shape(3); ++j) {
                    INFO("attn_mask: sample " << b << ", head " << h << ", query " << i << ", key "
                                              << j);
                    CHECK((w(b, h, i, j) == 0.0) == (attn_mask(i, j) != 0.0));
                    CHECK((w(b, h, i, j) == 0.0) == std::isinf(additive(i, j)));
                }
    // key_padding_mask (B, S): a True key gets weight 0 from every query of its sample.
    const Matrix kpm = wbtest::fixture_matrix("multihead_attention/padding/key_padding_mask.npy");
    const xt::xarray<double> wp = wbtest::fixture("multihead_attention/padding/weights64.npy");
    const Matrix kpm_additive = attn::additive_from_blocked(kpm);
    REQUIRE(wp.shape(0) == kpm.shape(0));
    for (std::size_t b = 0; b < wp.shape(0); ++b)
        for (std::size_t h = 0; h < wp.shape(1); ++h)
            for (std::size_t i = 0; i < wp.shape(2); ++i)
                for (std::size_t j = 0; j < wp.shape(3); ++j) {
                    INFO("key_padding_mask: sample " << b << ", head " << h << ", query " << i
                                                     << ", key " << j);
                    CHECK((wp(b, h, i, j) == 0.0) == (kpm(b, j) != 0.0));
                    CHECK((wp(b, h, i, j) == 0.0) == std::isinf(kpm_additive(b, j)));
                }
}

TEST_CASE(
        "F.scaled_dot_product_attention's bool attn_mask: True = allowed (its documented "
        "reference)",
        "[ch13]") {
    // PyTorch 1.13 has no F.scaled_dot_product_attention (it came in 2.0), so no fixture: its
    // documentation gives a reference implementation that starts from a zero bias and fills
    // -inf wherever the bool mask is False (masked_fill of attn_mask.logical_not()), and adds a
    // float mask to the bias as it is. By hand:
    const double inf = INFINITY;
    const Matrix allowed = {{1, 0, 1}, {0, 1, 1}};
    CHECK_THAT(attn::additive_from_allowed(allowed), Near(Matrix{{0, -inf, 0}, {-inf, 0, 0}}, 0));
    // The causal mask in this convention is the lower triangle, and gives the causal weights.
    attn::Random rng(134);
    const Matrix X = rng.normal_matrix(4, 3);
    const Matrix lower = 1.0 - attn::causal_mask_bool(4);
    const Matrix from_allowed = attn::additive_from_allowed(lower);
    const Matrix causal = attn::causal_mask(4);
    CHECK_THAT(attn::attention(X, X, X, &from_allowed).weights,
               Near(attn::attention(X, X, X, &causal).weights, 0));
    // Read with nn.MultiheadAttention's convention instead, it is inverted: row 0 sees only the future.
    const Matrix misread = attn::additive_from_blocked(lower);
    const Matrix w = attn::attention(X, X, X, &misread).weights;
    CHECK(w(0, 0) == 0.0);
    CHECK(w(0, 1) > 0.0);
}

TEST_CASE("Hugging Face's attention_mask: 1 = attend, 0 = padding (its documented meaning)",
          "[ch13]") {
    // Hugging Face is not packaged for Debian, so no fixture: its model documentation describes
    // attention_mask as values in {0, 1}, 1 for tokens that are not masked and 0 for padding
    // tokens that must not be attended to. By hand:
    const double inf = INFINITY;
    CHECK_THAT(attn::additive_from_attention_mask(Matrix{{1, 1, 0, 0}, {1, 1, 1, 1}}),
               Near(Matrix{{0, 0, -inf, -inf}, {0, 0, 0, 0}}, 0));
    // ... which is the workbook's key padding mask for lengths 2 and 4.
    CHECK_THAT(attn::additive_from_attention_mask(Matrix{{1, 1, 0, 0}, {1, 1, 1, 1}}),
               Near(attn::padding_mask({2, 4}, 4), 0));
}

TEST_CASE("a float mask is added to the scores (PyTorch 1.13 fixture)", "[ch13]") {
    // causal_float: PyTorch's nn.MultiheadAttention with a float attn_mask; the workbook adds it.
    wbtest::TempDir out("ch13_float");
    const auto r =
            wbtest::run_chapter("11_multihead_attention",
                                {"--load", wbtest::fixture_path("multihead_attention/causal_float"),
                                 "--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    wbtest::check_against_torch(out / "weights.npy", "causal_float", "weights");
}

TEST_CASE("chapter 13 step 4: three readings agree, the misread one sees only the future",
          "[ch13]") {
    wbtest::TempDir out("ch13_conv");
    const auto r = wbtest::run_chapter("13_masking", {"--dump", out.path()});
    REQUIRE(r.status == 0);
    const Matrix rows = attn::load_npy(out / "convention_rows.npy").data;
    REQUIRE(rows.shape(0) == 4);
    // Row "green" (query 2): the three right readings give the causal weights, nothing on "tea" ...
    const Matrix X_causal_row = Matrix(xt::view(rows, xt::range(0, 1), xt::all()));
    CHECK(rows(0, 3) == 0.0);
    CHECK(rows(0, 0) + rows(0, 1) + rows(0, 2) == Approx(1.0));
    CHECK_THAT(Matrix(xt::view(rows, xt::range(1, 2), xt::all())), Near(X_causal_row, 0));
    CHECK_THAT(Matrix(xt::view(rows, xt::range(2, 3), xt::all())), Near(X_causal_row, 1e-15));
    // ... the misread one may see only "tea", the future.
    CHECK_THAT(Matrix(xt::view(rows, xt::range(3, 4), xt::all())), Near(Matrix{{0, 0, 0, 1}}, 0));
    const double inf = INFINITY;
    CHECK_THAT(attn::load_npy(out / "attention_mask_additive.npy").data,
               Near(Matrix{{0, 0, -inf, -inf}}, 0));
    CHECK_THAT(attn::load_npy(out / "key_padding_mask.npy").data,
               Near(Matrix{{0, 0, 0, 0}, {0, 0, -inf, -inf}}, 0));
}
