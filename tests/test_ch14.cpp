// Chapter 14 — cross-attention: queries from one sequence, keys and values from another.
#include "support.hpp"

#include <xtensor/xsort.hpp>

#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("chapter 14's French words align with their English meaning", "[ch14]") {
    wbtest::TempDir out("ch14");
    const auto r = wbtest::run_chapter("14_cross_attention", {"--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const Matrix w = attn::load_npy(out / "weights.npy").data;
    REQUIRE(w.shape(0) == 4);  // L: le chat noir dort
    REQUIRE(w.shape(1) == 5);  // S: the black cat is sleeping
    // The strongest English word for each French word, by meaning, not by position.
    const std::size_t le = 0, chat = 1, noir = 2, dort = 3, the = 0, black = 1, cat = 2, is = 3,
                      sleeping = 4;
    CHECK(xt::argmax(xt::row(w, le))() == the);
    CHECK(xt::argmax(xt::row(w, chat))() == cat);
    CHECK(xt::argmax(xt::row(w, noir))() == black);
    CHECK(w(dort, is) == w(dort, sleeping));  // "dort" spreads over "is sleeping"
    CHECK(w(dort, is) + w(dort, sleeping) > 0.5);
    const auto heads = attn::load_npy(out / "mha_weights.npy").data;
    CHECK(heads.shape() == std::vector<std::size_t>{2, 4, 5});  // (H, L, S)
}

TEST_CASE("chapter 14 --load does cross-attention with L != S as PyTorch", "[ch14]") {
    wbtest::TempDir out("ch14_load");
    const auto r = wbtest::run_chapter(
            "14_cross_attention",
            {"--load", wbtest::fixture_path("scaled_dot_product_attention/cross"), "--dump",
             out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK_THAT(attn::load_npy(out / "weights.npy").data,
               Near(wbtest::fixture("scaled_dot_product_attention/cross/weights.npy"), 1e-12));
    CHECK_THAT(attn::load_npy(out / "output.npy").data,
               Near(wbtest::fixture("scaled_dot_product_attention/cross/output.npy"), 1e-12));
    // Your sequences replace the built-in example: no French, no English, no extra step.
    CHECK(r.out.find("chat") == std::string::npos);
    CHECK(r.out.find("your sequences") != std::string::npos);
    CHECK(r.out.find("Step 2)") == std::string::npos);
}

TEST_CASE("chapter 14 labels a loaded map with tokens.txt and key_tokens.txt", "[ch14]") {
    wbtest::TempDir in("ch14_labels");
    wbtest::write_npy_f32(in / "query.npy", Matrix{{1, 0}, {0, 1}});
    wbtest::write_npy_f32(in / "key.npy", Matrix{{1, 0}, {0, 1}, {1, 1}});
    wbtest::write_npy_f32(in / "value.npy", Matrix{{1, 0}, {0, 1}, {1, 1}});
    wbtest::write_bytes(in / "tokens.txt", "le\nchat\n");
    wbtest::write_bytes(in / "key_tokens.txt", "the\ncat\nsat\n");
    const auto r = wbtest::run_chapter("14_cross_attention", {"--load", in.path(), "--no-color"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("chat") != std::string::npos);
    CHECK(r.out.find("sat") != std::string::npos);
    CHECK(r.out.find("t0") == std::string::npos);
    // A wrong count: one line naming the file, exit status 2.
    wbtest::write_bytes(in / "key_tokens.txt", "the\ncat\n");
    wbtest::check_bad_input("14_cross_attention", {"--load", in.path()},
                            {"key_tokens.txt: 2 labels, but key.npy has 3 tokens"});
}

TEST_CASE("chapter 14 prints its recorded output", "[ch14]") {
    wbtest::check_recorded_output("14_cross_attention");
}

TEST_CASE("chapter 14 says what the encoder and the decoder are before using them", "[ch14]") {
    const auto r = wbtest::run_chapter("14_cross_attention");
    REQUIRE(r.status == 0);
    std::string text;
    for (char c : r.out) text += c == '\n' ? ' ' : c;
    const auto encoder = text.find("encoder"), decoder = text.find("decoder");
    CHECK(encoder == 4 + text.find("the encoder, which reads the English sentence"));
    CHECK(decoder == 4 + text.find("the decoder, which writes the French sentence"));
}
