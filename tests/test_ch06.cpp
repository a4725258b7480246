// Chapter 06 — self-attention, the whole of it.
#include "support.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <xtensor/xnpy.hpp>

#include <attention/attention.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("attention on the seed's tokens gives the seed's numbers", "[ch06]") {
    const Matrix X = attn::toy_tokens();
    const attn::Attention a = attn::attention(X, X, X);
    // As printed by the seed's toy program (4 decimals).
    CHECK_THAT(a.weights, Near(Matrix{{0.4223, 0.1554, 0.4223},
                                      {0.0159, 0.8668, 0.1173},
                                      {0.1554, 0.4223, 0.4223}}, 0.5e-4));
    CHECK_THAT(a.output, Near(Matrix{{0.8446, 0.7330, 0.8446, 0.7330},
                                     {0.1332, 1.8509, 0.1332, 1.8509},
                                     {0.5777, 1.2670, 0.5777, 1.2670}}, 0.5e-4));
    // By hand: row 0's scaled scores are [1, 0, 1], so its weights are
    // [e, 1, e] / (2e + 1).
    const double e = std::exp(1.0);
    CHECK_THAT(Matrix(xt::view(a.weights, xt::range(0, 1), xt::all())),
               Near(Matrix{{e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)}}, 1e-15));
}

TEST_CASE("attention matches PyTorch on the seed (float32) to float32 precision", "[ch06]") {
    const Matrix X = wbtest::fixture_matrix("scaled_dot_product_attention/toy/query.npy");
    const attn::Attention a = attn::attention(X, X, X);
    CHECK_THAT(a.scores, Near(wbtest::fixture("scaled_dot_product_attention/toy/scores.npy"), 0));
    CHECK_THAT(a.scaled_scores, Near(wbtest::fixture("scaled_dot_product_attention/toy/scaled_scores.npy"), 1e-6));
    CHECK_THAT(a.weights, Near(wbtest::fixture("scaled_dot_product_attention/toy/weights.npy"), 1e-6));
    CHECK_THAT(a.output, Near(wbtest::fixture("scaled_dot_product_attention/toy/output.npy"), 1e-6));
}

TEST_CASE("attention matches PyTorch (float64) step by step", "[ch06]") {
    for (const std::string c : {"cross", "large", "one"}) {
        SECTION(c) {
            const std::string dir = "scaled_dot_product_attention/" + c + "/";
            const attn::Attention a = attn::attention(wbtest::fixture_matrix(dir + "query.npy"),
                                                      wbtest::fixture_matrix(dir + "key.npy"),
                                                      wbtest::fixture_matrix(dir + "value.npy"));
            CHECK_THAT(a.scores, Near(wbtest::fixture(dir + "scores.npy"), 1e-9));
            CHECK_THAT(a.scaled_scores, Near(wbtest::fixture(dir + "scaled_scores.npy"), 1e-9));
            CHECK_THAT(a.weights, Near(wbtest::fixture(dir + "weights.npy"), 1e-12));
            CHECK_THAT(a.output, Near(wbtest::fixture(dir + "output.npy"), 1e-9));
        }
    }
}

TEST_CASE("the loop version agrees with the vectorised one", "[ch06]") {
    attn::Random rng(6);
    for (int trial = 0; trial < 5; ++trial) {
        const std::size_t L = rng.integer(1, 7), S = rng.integer(1, 7);
        const std::size_t d_k = rng.integer(1, 9), d_v = rng.integer(1, 9);
        const Matrix Q = rng.normal_matrix(L, d_k), K = rng.normal_matrix(S, d_k);
        const Matrix V = rng.normal_matrix(S, d_v);
        CHECK_THAT(attn::attention_loop(Q, K, V), Near(attn::attention(Q, K, V).output, 1e-12));
    }
}

TEST_CASE("attention's input check rejects shapes that do not fit", "[ch06]") {
    const Matrix Q = xt::ones<double>({3, 4}), K5 = xt::ones<double>({2, 5});
    CHECK_THROWS_WITH(attn::check_attention_shapes(Q, K5, K5), Catch::Contains("(3, 4)") && Catch::Contains("(2, 5)"));
    const Matrix K = xt::ones<double>({2, 4}), V = xt::ones<double>({3, 4});
    CHECK_THROWS_AS(attn::check_attention_shapes(Q, K, V), attn::InputError);
}

TEST_CASE("chapter 06 prints exactly what the seed's PyTorch program prints", "[ch06]") {
    const auto r = wbtest::run_chapter("06_self_attention");
    REQUIRE(r.status == 0);
    const std::string torch_stdout = wbtest::source_file("tests/fixtures/toy_program_stdout.txt");
    CHECK(r.out.find(torch_stdout) != std::string::npos);
}

TEST_CASE("chapter 06 prints its recorded output", "[ch06]") {
    wbtest::check_recorded_output("06_self_attention");
}

TEST_CASE("chapter 06 --load/--dump replays PyTorch's cases", "[ch06]") {
    for (const std::string c : {"cross", "large", "one"}) {
        SECTION(c) {
            wbtest::check_dump_matches("06_self_attention", "scaled_dot_product_attention/" + c,
                                       {"scores", "scaled_scores", "weights", "output"}, 1e-9);
        }
    }
}

TEST_CASE("chapter 06 rejects bad input with one line and status 2", "[ch06]") {
    const std::string slug = "06_self_attention";
    wbtest::TempDir dir("ch06_bad");
    wbtest::check_bad_input(slug, {"--load", dir / "nowhere"}, {"nowhere", "no such directory"});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy: no such file"});

    wbtest::write_npy_f32(dir / "query.npy", Matrix{{1, 2, 3}, {4, 5, 6}});
    wbtest::write_npy_f32(dir / "key.npy", Matrix{{1, 2}, {3, 4}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"key.npy", "d_k = 3", "(2, 2)"});

    wbtest::write_npy_f32(dir / "key.npy", Matrix{{1, 2, 3}});
    wbtest::write_npy_f32(dir / "value.npy", Matrix{{1, 2}, {3, 4}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"value.npy", "S = 1", "(2, 2)"});

    std::remove((dir / "key.npy").c_str());
    std::remove((dir / "value.npy").c_str());
    wbtest::write_bytes(dir / "query.npy", "\x93NUMPY garbage");
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy"});

    attn::dump_npy(dir / "query.npy", attn::Tensor3{{{1.0}}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy", "2-D", "(1, 1, 1)"});

    const xt::xtensor<int, 2> ints = {{1, 2}};
    xt::dump_npy(dir / "query.npy", ints);
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy", "int32"});

    attn::dump_npy(dir / "query.npy", Matrix{{1.0, NAN}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy", "NaN"});

    attn::dump_npy(dir / "query.npy", Matrix{{1.0, 2.0}, {3.0, 4.0}});
    std::ifstream in(dir / "query.npy", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    wbtest::write_bytes(dir / "query.npy", bytes.substr(0, bytes.size() - 4));
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy", "truncated"});
}
