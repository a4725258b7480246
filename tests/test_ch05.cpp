// Chapter 05 — the weighted sum of the values.
#include "support.hpp"

#include <xtensor/xmath.hpp>

#include <attention/attention.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("weights·V by hand", "[ch05]") {
    // Half of [1, 2] plus half of [3, 4] is [2, 3]; all of row 1 picks v_1.
    const Matrix w = {{0.5, 0.5}, {0, 1}};
    const Matrix V = {{1, 2}, {3, 4}};
    CHECK_THAT(attn::weighted_sum(w, V), Near(Matrix{{2, 3}, {3, 4}}, 1e-15));
    CHECK_THAT(attn::weighted_sum_loop(w, V), Near(Matrix{{2, 3}, {3, 4}}, 1e-15));
}

TEST_CASE("weighted sum of PyTorch's weights gives PyTorch's output", "[ch05]") {
    for (const std::string c : {"cross", "large", "one"}) {
        INFO(c);
        const std::string d = "scaled_dot_product_attention/" + c + "/";
        const Matrix w = wbtest::fixture_matrix(d + "weights.npy");
        const Matrix V = wbtest::fixture_matrix(d + "value.npy");
        const auto expected = wbtest::fixture(d + "output.npy");
        CHECK_THAT(attn::weighted_sum(w, V), Near(expected, 1e-9));
        CHECK_THAT(attn::weighted_sum_loop(w, V), Near(expected, 1e-9));
    }
}

TEST_CASE("every output row is a convex combination of the value rows", "[ch05]") {
    attn::Random rng(5);
    for (int trial = 0; trial < 10; ++trial) {
        const std::size_t L = rng.integer(1, 6), S = rng.integer(1, 6), d = rng.integer(1, 6);
        const Matrix w = attn::softmax(rng.normal_matrix(L, S, 4.0));
        const Matrix V = rng.normal_matrix(S, d);
        const Matrix out = attn::weighted_sum(w, V);
        const Matrix lo = xt::amin(V, {0}, xt::keep_dims), hi = xt::amax(V, {0}, xt::keep_dims);
        CHECK(xt::all(out >= lo - 1e-12));
        CHECK(xt::all(out <= hi + 1e-12));
        CHECK_THAT(attn::weighted_sum_loop(w, V), Near(out, 1e-12));
    }
}

TEST_CASE("chapter 05 prints its recorded output", "[ch05]") {
    wbtest::check_recorded_output("05_weighted_sum");
}

TEST_CASE("chapter 05 --load/--dump gives PyTorch's output", "[ch05]") {
    wbtest::check_dump_matches("05_weighted_sum", "scaled_dot_product_attention/cross",
                               {"weights", "output"}, 1e-9);
}

TEST_CASE("chapter 05 rejects values with the wrong number of rows", "[ch05]") {
    wbtest::TempDir dir("ch05_bad");
    wbtest::write_npy_f32(dir / "query.npy", Matrix{{1, 2}, {3, 4}});
    wbtest::write_npy_f32(dir / "value.npy", Matrix{{1, 2, 3}});
    wbtest::check_bad_input("05_weighted_sum", {"--load", dir.path()},
                            {"value.npy", "S = 2", "(1, 3)"});
}
