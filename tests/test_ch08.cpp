// Chapter 08 — splitting into heads.
#include "support.hpp"

#include <xtensor/xmanipulation.hpp>

#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::Tensor3;
using wbtest::Near;

namespace {
// Entry (i, c) = 10·i + c: every number says where it came from.
Matrix address(std::size_t L, std::size_t E) {
    Matrix X = xt::zeros<double>({L, E});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t c = 0; c < E; ++c) X(i, c) = 10.0 * i + c;
    return X;
}
}  // namespace

TEST_CASE("split_heads gives head h the columns h·d .. (h+1)·d-1 of every token", "[ch08]") {
    const Tensor3 heads = attn::split_heads(address(3, 6), 3);  // d = 2
    REQUIRE(heads.shape() == std::array<std::size_t, 3>{3, 3, 2});
    for (std::size_t h = 0; h < 3; ++h)
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 2; ++j) {
                INFO("head " << h << ", token " << i << ", entry " << j);
                CHECK(heads(h, i, j) == 10.0 * i + 2 * h + j);
            }
}

TEST_CASE("reshaping without the transpose is a different, wrong split", "[ch08]") {
    const Matrix X = address(3, 6);
    const Tensor3 wrong = xt::reshape_view(X, {3, 3, 2});
    // Head 0 of the wrong split holds only token 0's numbers (all below 10).
    CHECK(xt::all(xt::view(wrong, 0, xt::all(), xt::all()) < 10.0));
    CHECK_FALSE(xt::all(xt::equal(wrong, attn::split_heads(X, 3))));
}

TEST_CASE("merging the split heads gives back the input, bit for bit", "[ch08]") {
    attn::Random rng(8);
    for (std::size_t H : {1, 2, 4, 8}) {
        const Matrix X = rng.normal_matrix(5, 8 * 3);
        const Matrix back = attn::merge_heads(attn::split_heads(X, H));
        CHECK(xt::all(xt::equal(back, X)));
    }
}

TEST_CASE("split_heads refuses a width the heads do not divide", "[ch08]") {
    CHECK_THROWS_AS(attn::check_split(address(2, 5), 2), attn::InputError);
}

TEST_CASE("chapter 08 prints its recorded output", "[ch08]") {
    wbtest::check_recorded_output("08_head_splitting");
}

TEST_CASE("chapter 08 splits a loaded matrix and dumps the heads", "[ch08]") {
    wbtest::TempDir in("ch08_in"), out("ch08_out");
    wbtest::write_npy_f32(in / "query.npy", address(2, 4));
    const auto r = wbtest::run_chapter("08_head_splitting",
                                       {"--load", in.path(), "--heads", "2", "--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const Tensor3 expected = {{{0, 1}, {10, 11}}, {{2, 3}, {12, 13}}};  // by hand
    CHECK_THAT(attn::load_npy(out / "heads.npy").data, Near(expected, 0));
    CHECK_THAT(attn::load_npy(out / "merged.npy").data, Near(address(2, 4), 0));
}

TEST_CASE("chapter 08 rejects heads that do not divide the width", "[ch08]") {
    wbtest::TempDir in("ch08_bad");
    wbtest::write_npy_f32(in / "query.npy", address(2, 5));
    wbtest::check_bad_input("08_head_splitting", {"--load", in.path(), "--heads", "2"},
                            {"E = 5", "(2, 5)", "2 heads"});
    wbtest::check_bad_input("08_head_splitting", {"--heads", "0"}, {"--heads 0", "positive"});
    wbtest::check_bad_input("08_head_splitting", {"--heads", "two"}, {"--heads two"});
}

TEST_CASE(
        "chapter 08 splits L = 4 tokens into H = 3 heads, so the reshape bug visibly mixes tokens",
        "[ch08]") {
    wbtest::TempDir out("ch08_mix");
    const auto r = wbtest::run_chapter("08_head_splitting", {"--dump", out.path()});
    REQUIRE(r.status == 0);
    const Matrix X = attn::load_npy(out / "X.npy").data;
    REQUIRE(X.shape() == std::array<std::size_t, 2>{4, 6});  // L ≠ H = 3
    // By hand: x.view(3, 4, 2) reads 0 1 2 3 4 5 10 11 …: head 0 gets all six numbers of
    // token 0, then two of token 1's; the right head 0 is columns 0-1 of every token.
    const xt::xarray<double> wrong = attn::load_npy(out / "heads_wrong.npy").data;
    CHECK_THAT(xt::xarray<double>(xt::view(wrong, 0)),
               Near(Matrix{{0, 1}, {2, 3}, {4, 5}, {10, 11}}, 0));
    const xt::xarray<double> heads = attn::load_npy(out / "heads.npy").data;
    CHECK_THAT(xt::xarray<double>(xt::view(heads, 0)),
               Near(Matrix{{0, 1}, {10, 11}, {20, 21}, {30, 31}}, 0));
}
