// Chapter 02 — scores: every query's dot product with every key.
#include "support.hpp"

#include <attention/attention.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("scores of the toy example's tokens, by hand", "[ch02]") {
    // t0 = [1,0,1,0], t1 = [0,2,0,2], t2 = [1,1,1,1]:
    // t0·t0 = 2, t0·t1 = 0, t0·t2 = 2, t1·t1 = 8, t1·t2 = 4, t2·t2 = 4.
    const Matrix expected = {{2, 0, 2}, {0, 8, 4}, {2, 4, 4}};
    const Matrix X = attn::toy_tokens();
    CHECK_THAT(attn::scores(X, X), Near(expected, 0));
    CHECK_THAT(attn::scores_loop(X, X), Near(expected, 0));
}

TEST_CASE("scores of a cross-attention case (L != S) match PyTorch", "[ch02]") {
    const Matrix Q = wbtest::fixture_matrix("scaled_dot_product_attention/cross/query.npy");
    const Matrix K = wbtest::fixture_matrix("scaled_dot_product_attention/cross/key.npy");
    const auto expected =
            wbtest::fixture("scaled_dot_product_attention/cross/scores.npy");  // (4, 6)
    CHECK_THAT(attn::scores(Q, K), Near(expected, 1e-12));
    CHECK_THAT(attn::scores_loop(Q, K), Near(expected, 1e-12));
}

TEST_CASE("loops and Q·Kᵀ agree on random shapes", "[ch02]") {
    attn::Random rng(2);
    for (int trial = 0; trial < 10; ++trial) {
        const std::size_t L = rng.integer(1, 9), S = rng.integer(1, 9), d = rng.integer(1, 17);
        const Matrix Q = rng.normal_matrix(L, d), K = rng.normal_matrix(S, d);
        const Matrix s = attn::scores(Q, K);
        REQUIRE(s.shape(0) == L);
        REQUIRE(s.shape(1) == S);
        CHECK_THAT(attn::scores_loop(Q, K), Near(s, 1e-12));
    }
}

TEST_CASE("chapter 02 prints its recorded output", "[ch02]") {
    wbtest::check_recorded_output("02_dot_product_scores");
}

TEST_CASE("chapter 02 --load/--dump gives PyTorch's scores", "[ch02]") {
    wbtest::check_dump_matches("02_dot_product_scores", "scaled_dot_product_attention/cross",
                               {"scores"}, 1e-12);
    wbtest::check_dump_matches("02_dot_product_scores", "scaled_dot_product_attention/one",
                               {"scores"}, 1e-12);
}

TEST_CASE("chapter 02 rejects keys of another width", "[ch02]") {
    wbtest::TempDir dir("ch02_bad");
    wbtest::write_npy_f32(dir / "query.npy", Matrix{{1, 2, 3}});
    wbtest::write_npy_f32(dir / "key.npy", Matrix{{1, 2}});
    wbtest::check_bad_input("02_dot_product_scores", {"--load", dir.path()},
                            {"key.npy", "(1, 2)", "d_k = 3"});
}

namespace {
// True when `definition` is printed and `term` does not appear more than `window`
// characters before it: a term is explained where it is first used, or before.
bool defined_at_first_use(const std::string& out, const std::string& term,
                          const std::string& definition, std::size_t window = 60) {
    std::string text;
    for (char c : out) text += c == '\n' ? ' ' : c;
    const auto def = text.find(definition), first = text.find(term);
    INFO("term '" << term << "' first at " << first << ", its definition at " << def);
    return def != std::string::npos && first != std::string::npos &&
           (first >= def || def - first <= window);
}
}  // namespace

TEST_CASE("chapter 02 explains S, d_k and BLAS where it first uses them", "[ch02]") {
    const auto r = wbtest::run_chapter("02_dot_product_scores");
    REQUIRE(r.status == 0);
    CHECK(defined_at_first_use(r.out, "S,", "S the number of keys"));
    CHECK(defined_at_first_use(r.out, "d_k", "d_k the length of each query and key vector"));
    CHECK(defined_at_first_use(r.out, "BLAS", "BLAS, the Basic Linear Algebra Subprograms"));
    // With keys of their own, S ≠ L is said.
    wbtest::TempDir in("ch02_terms");
    wbtest::write_npy_f32(in / "query.npy", Matrix{{1, 0}, {0, 1}});
    wbtest::write_npy_f32(in / "key.npy", Matrix{{1, 0}, {0, 1}, {1, 1}});
    wbtest::write_npy_f32(in / "value.npy", Matrix{{1, 0}, {0, 1}, {1, 1}});
    const auto mine = wbtest::run_chapter("02_dot_product_scores", {"--load", in.path()});
    INFO(mine.err);
    REQUIRE(mine.status == 0);
    CHECK(mine.out.find("here S ≠ L") != std::string::npos);
}
