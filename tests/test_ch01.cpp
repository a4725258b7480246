// Chapter 01 — words become vectors.
#include "support.hpp"

#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;

TEST_CASE("the toy example's tokens are 3 tokens by 4 dims", "[ch01]") {
    const Matrix tokens = attn::toy_tokens();
    REQUIRE(tokens.shape(0) == 3);
    REQUIRE(tokens.shape(1) == 4);
    // Typed in from the toy example: [[1,0,1,0],[0,2,0,2],[1,1,1,1]].
    const double toy[3][4] = {{1, 0, 1, 0}, {0, 2, 0, 2}, {1, 1, 1, 1}};
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j) CHECK(tokens(i, j) == toy[i][j]);
}

TEST_CASE("chapter 01 prints its recorded output", "[ch01]") {
    wbtest::check_recorded_output("01_tokens");
}

TEST_CASE("chapter 01 shows a loaded token matrix and dumps what it prints", "[ch01]") {
    wbtest::TempDir in("ch01_in"), out("ch01_out");
    const Matrix mine = {{0.5, -1.0}, {2.0, 3.0}, {4.0, 5.0}, {-6.0, 7.25}};
    wbtest::write_npy_f32(in / "query.npy", mine);
    const auto r = wbtest::run_chapter("01_tokens", {"--load", in.path(), "--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("tokens  (4, 2)") != std::string::npos);
    CHECK_THAT(attn::load_npy(out / "tokens.npy").data, wbtest::Near(mine, 0));
    CHECK_THAT(attn::load_npy(out / "tokens_row_1.npy").data,
               wbtest::Near(xt::xarray<double>{2.0, 3.0}, 0));
}

TEST_CASE("chapter 01 rejects bad input with one line and status 2", "[ch01]") {
    wbtest::TempDir in("ch01_bad");
    wbtest::check_bad_input("01_tokens", {"--load", in.path()}, {"query.npy", "no such file"});
    wbtest::check_bad_input("01_tokens", {"--bogus"}, {"unknown option '--bogus'"});
    wbtest::check_bad_input("01_tokens", {"--load"}, {"--load needs a value"});
}

TEST_CASE("chapter 01 says where the toy example and the 5-token module come from", "[ch01]") {
    const auto r = wbtest::run_chapter("01_tokens");
    REQUIRE(r.status == 0);
    // Joined back into one line: the chapter wraps its paragraphs.
    std::string text;
    for (char c : r.out) text += c == '\n' ? ' ' : c;
    CHECK(text.find("public explainer of attention") != std::string::npos);
    CHECK(text.find("\"the toy example\"") != std::string::npos);
    CHECK(text.find("\"the 5-token module\"") != std::string::npos);
    CHECK(text.find("nn.MultiheadAttention(64, 8) on 5 random tokens") != std::string::npos);
}
