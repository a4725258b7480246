// Chapter 06 — self-attention, the whole of it.
#include "support.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <xtensor/xnpy.hpp>

#include <attention/attention.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("attention on the toy example's tokens gives the toy example's PyTorch numbers",
          "[ch06]") {
    const Matrix X = attn::toy_tokens();
    const attn::Attention a = attn::attention(X, X, X);
    // As printed by the toy example's PyTorch program (4 decimals).
    CHECK_THAT(a.weights, Near(Matrix{{0.4223, 0.1554, 0.4223},
                                      {0.0159, 0.8668, 0.1173},
                                      {0.1554, 0.4223, 0.4223}},
                               0.5e-4));
    CHECK_THAT(a.output, Near(Matrix{{0.8446, 0.7330, 0.8446, 0.7330},
                                     {0.1332, 1.8509, 0.1332, 1.8509},
                                     {0.5777, 1.2670, 0.5777, 1.2670}},
                              0.5e-4));
    // By hand: row 0's scaled scores are [1, 0, 1], so its weights are
    // [e, 1, e] / (2e + 1).
    const double e = std::exp(1.0);
    CHECK_THAT(Matrix(xt::view(a.weights, xt::range(0, 1), xt::all())),
               Near(Matrix{{e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)}}, 1e-15));
}

TEST_CASE("attention matches PyTorch on the toy example (float32) to float32 precision", "[ch06]") {
    const Matrix X = wbtest::fixture_matrix("scaled_dot_product_attention/toy/query.npy");
    const attn::Attention a = attn::attention(X, X, X);
    CHECK_THAT(a.scores, Near(wbtest::fixture("scaled_dot_product_attention/toy/scores.npy"), 0));
    CHECK_THAT(a.scaled_scores,
               Near(wbtest::fixture("scaled_dot_product_attention/toy/scaled_scores.npy"), 1e-6));
    CHECK_THAT(a.weights,
               Near(wbtest::fixture("scaled_dot_product_attention/toy/weights.npy"), 1e-6));
    CHECK_THAT(a.output,
               Near(wbtest::fixture("scaled_dot_product_attention/toy/output.npy"), 1e-6));
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
    CHECK_THROWS_WITH(attn::check_attention_shapes(Q, K5, K5),
                      Catch::Contains("(3, 4)") && Catch::Contains("(2, 5)"));
    const Matrix K = xt::ones<double>({2, 4}), V = xt::ones<double>({3, 4});
    CHECK_THROWS_AS(attn::check_attention_shapes(Q, K, V), attn::InputError);
}

TEST_CASE("chapter 06 prints exactly what the toy example's PyTorch program prints", "[ch06]") {
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

// ---- step 5: global context, long-range dependencies, parallel rows (attention/contrast.hpp)

#include <attention/contrast.hpp>

namespace {
std::string one_line(const std::string& s) {
    std::string t;
    for (char c : s) t += c == '\n' ? ' ' : c;
    return t;
}
}  // namespace

TEST_CASE("convolve3 mixes a token with its two neighbours, zeros beyond the ends", "[ch06]") {
    const Matrix X = {{1, 10}, {2, 20}, {3, 30}};
    // By hand: out_0 = 0.5·x0 + 0.25·x1, out_1 = 0.25·x0 + 0.5·x1 + 0.25·x2, out_2 = 0.25·x1 + 0.5·x2.
    CHECK_THAT(attn::convolve3(X, {0.25, 0.5, 0.25}),
               Near(Matrix{{1.0, 10.0}, {2.0, 20.0}, {2.0, 20.0}}, 1e-15));
}

TEST_CASE("which inputs can change output 0: a 3-wide convolution 2, attention all", "[ch06]") {
    attn::Random rng(11);
    const Matrix X = rng.normal_matrix(7, 4);
    const auto conv = [](const Matrix& x) { return attn::convolve3(x, {0.25, 0.5, 0.25}); };
    CHECK(attn::influencers(conv, X, 0) == std::vector<std::size_t>{0, 1});
    CHECK(attn::influencers(conv, X, 3) == std::vector<std::size_t>{2, 3, 4});
    CHECK(attn::influencers(attn::self_attention_layer, X, 0) ==
          std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
    // A kernel without a right neighbour: output 0 sees input 0 only (the count is measured).
    const auto left_only = [](const Matrix& x) { return attn::convolve3(x, {0.5, 0.5, 0.0}); };
    CHECK(attn::influencers(left_only, X, 0) == std::vector<std::size_t>{0});
}

TEST_CASE("the last of 7 tokens reaches output 0 after 6 convolutions, 1 attention layer",
          "[ch06]") {
    attn::Random rng(12);
    const Matrix X = rng.normal_matrix(7, 3);
    const auto conv = [](const Matrix& x) { return attn::convolve3(x, {0.25, 0.5, 0.25}); };
    CHECK(attn::layers_to_reach(conv, X, 6, 0, 10) == 6);
    CHECK(attn::layers_to_reach(conv, X, 6, 0, 5) == 0);  // not within 5 layers
    CHECK(attn::layers_to_reach(attn::self_attention_layer, X, 6, 0, 10) == 1);
}

TEST_CASE("a recurrent update needs L steps in sequence, attention 1", "[ch06]") {
    attn::Random rng(13);
    const Matrix X = rng.normal_matrix(7, 4);
    const Matrix W = rng.normal_matrix(4, 4, 0.5), U = rng.normal_matrix(4, 4, 0.5);
    CHECK(attn::sequential_steps(attn::recurrent_step(W, U), X, 4) == 7);
    CHECK(attn::sequential_steps(attn::attention_step(), X, 4) == 1);
    // attention_step's rows are the rows of attention(X, X, X).
    const Matrix full = attn::attention(X, X, X).output;
    for (std::size_t t = 0; t < 7; ++t)
        CHECK_THAT(attn::attention_step()(t, X, Matrix(xt::zeros<double>({7, 4}))),
                   Near(xt::xarray<double>(xt::row(full, t)), 1e-14));
    // With W = 0 the recurrent rows read only their own input: 1 step.
    const Matrix zero = xt::zeros<double>({4, 4});
    CHECK(attn::sequential_steps(attn::recurrent_step(zero, U), X, 4) == 1);
}

TEST_CASE("chapter 06 prints the three measured claims", "[ch06]") {
    const auto r = wbtest::run_chapter("06_self_attention");
    REQUIRE(r.status == 0);
    const std::string text = one_line(r.out);
    CHECK(text.find("inputs 0, 1 (2 of 7)") != std::string::npos);
    CHECK(text.find("inputs 0, 1, 2, 3, 4, 5, 6 (7 of 7)") != std::string::npos);
    CHECK(text.find("stacked: 6 layers of them; attention needs 1") != std::string::npos);
    CHECK(text.find("recurrent 7, attention 1") != std::string::npos);
}

TEST_CASE("chapter 06 with --load does not claim the toy program printed the user's numbers",
          "[ch06]") {
    wbtest::TempDir in("ch06_claims");
    wbtest::write_npy_f32(in / "query.npy", Matrix{{1, 2}, {0, 1}, {3, -1}, {2, 2}});
    const auto r = wbtest::run_chapter("06_self_attention", {"--load", in.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string text = one_line(r.out);
    CHECK(text.find("toy example's PyTorch program prints") == std::string::npos);
    CHECK(text.find("Your inputs' weights and output") != std::string::npos);
    CHECK(text.find("L = 4 tokens (your queries)") != std::string::npos);
    CHECK(text.find("recurrent 4, attention 1") != std::string::npos);
}

TEST_CASE("chapter 06 labels your heatmap with tokens.txt, and a wrong count is one line, status 2",
          "[ch06]") {
    wbtest::TempDir in("ch06_tokens");
    wbtest::write_npy_f32(in / "query.npy", Matrix{{1, 0}, {0, 1}, {1, 1}});
    wbtest::write_bytes(in / "tokens.txt", "she\nate\ncake\n");
    const auto r = wbtest::run_chapter("06_self_attention", {"--load", in.path(), "--no-color"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto map = r.out.find("weights  (3, 3)");
    REQUIRE(map != std::string::npos);
    // The keys are the queries, so rows and columns both carry the words.
    CHECK(r.out.find("cake", map) != std::string::npos);
    CHECK(r.out.find(" t0 ", map) == std::string::npos);
    wbtest::write_bytes(in / "tokens.txt", "she\nate\n");
    wbtest::check_bad_input("06_self_attention", {"--load", in.path()},
                            {"tokens.txt: 2 labels, but query.npy has 3 tokens"});
    // Without tokens.txt the labels are t0, t1, t2.
    std::filesystem::remove(in / "tokens.txt");
    const auto plain =
            wbtest::run_chapter("06_self_attention", {"--load", in.path(), "--no-color"});
    CHECK(plain.out.find("t2") != std::string::npos);
}
