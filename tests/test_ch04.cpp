// Chapter 04 — softmax turns scores into weights.
#include "support.hpp"

#include <cmath>
#include <fstream>
#include <iterator>

#include <xtensor/xmath.hpp>

#include <attention/attention.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("softmax of the toy example's first row, by hand", "[ch04]") {
    // [1, 0, 1] → [e, 1, e] / (2e + 1) = [0.4223, 0.1554, 0.4223]
    const double e = std::exp(1.0), z = 2 * e + 1;
    const Matrix expected = {{e / z, 1 / z, e / z}};
    CHECK_THAT(attn::softmax(Matrix{{1, 0, 1}}), Near(expected, 1e-15));
    CHECK_THAT(attn::softmax_loop(Matrix{{1, 0, 1}}), Near(expected, 1e-15));
    CHECK_THAT(attn::softmax(Matrix{{1, 0, 1}}), Near(Matrix{{0.4223, 0.1554, 0.4223}}, 0.5e-4));
}

TEST_CASE("softmax works on each row, and every row sums to 1", "[ch04]") {
    // Two rows that would give different answers if normalised over columns.
    const Matrix x = {{0, 0}, {0, std::log(3.0)}};
    CHECK_THAT(attn::softmax(x), Near(Matrix{{0.5, 0.5}, {0.25, 0.75}}, 1e-15));
    attn::Random rng(4);
    const Matrix r = rng.normal_matrix(7, 11, 3.0);
    const Matrix sums = xt::sum(attn::softmax(r), {1}, xt::keep_dims);
    CHECK_THAT(sums, Near(xt::ones<double>({7, 1}), 1e-14));
}

TEST_CASE("softmax is unchanged by adding a constant to a row", "[ch04]") {
    attn::Random rng(44);
    const Matrix x = rng.normal_matrix(5, 6);
    const Matrix w = attn::softmax(x);
    // x + 700 rounds x to the ulp of 700 (1e-13): the weights agree to about that.
    for (double c : {-100.0, 5.0, 700.0}) CHECK_THAT(attn::softmax(x + c), Near(w, 1e-12));
}

TEST_CASE("scores near 1000: the naive softmax overflows, the stable one does not", "[ch04]") {
    const Matrix big = {{1000, 1001, 1002}};
    const Matrix naive = attn::softmax_naive(big);
    CHECK(std::isnan(naive(0, 0)));  // exp(1000) = inf, inf / inf = NaN
    const Matrix stable = attn::softmax(big);
    // The same as softmax([0, 1, 2]) = [1, e, e²] / (1 + e + e²).
    const double e = std::exp(1.0), z = 1 + e + e * e;
    CHECK_THAT(stable, Near(Matrix{{1 / z, e / z, e * e / z}}, 1e-15));
    CHECK_THAT(attn::softmax_loop(big), Near(stable, 1e-15));
}

TEST_CASE("masked scores: -inf gets weight 0, a fully masked row is NaN (as PyTorch)", "[ch04]") {
    const double inf = INFINITY;
    const Matrix x = {{0, -inf, 0}, {-inf, -inf, -inf}};
    const Matrix w = attn::softmax(x);
    CHECK_THAT(Matrix(xt::view(w, xt::range(0, 1), xt::all())), Near(Matrix{{0.5, 0, 0.5}}, 1e-15));
    CHECK(std::isnan(w(1, 0)));
    CHECK(std::isnan(w(1, 2)));
}

TEST_CASE("softmax matches PyTorch, including scores in the thousands", "[ch04]") {
    for (const std::string c : {"cross", "large", "one"}) {
        INFO(c);
        const Matrix s =
                wbtest::fixture_matrix("scaled_dot_product_attention/" + c + "/scaled_scores.npy");
        CHECK_THAT(
                attn::softmax(s),
                Near(wbtest::fixture("scaled_dot_product_attention/" + c + "/weights.npy"), 1e-12));
        CHECK_THAT(
                attn::softmax_loop(s),
                Near(wbtest::fixture("scaled_dot_product_attention/" + c + "/weights.npy"), 1e-12));
    }
}

TEST_CASE("chapter 04 prints its recorded output", "[ch04]") {
    wbtest::check_recorded_output("04_softmax");
}

TEST_CASE("chapter 04 --load/--dump gives PyTorch's weights", "[ch04]") {
    wbtest::check_dump_matches("04_softmax", "scaled_dot_product_attention/large",
                               {"scaled_scores", "weights"}, 1e-9);
}

TEST_CASE("chapter 04 rejects a float16 file", "[ch04]") {
    wbtest::TempDir dir("ch04_bad");
    attn::Matrix m = {{1, 2}};
    wbtest::write_npy_f32(dir / "query.npy", m);
    std::ifstream in(dir / "query.npy", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    bytes.replace(bytes.find("<f4"), 3, "<f2");
    wbtest::write_bytes(dir / "query.npy", bytes);
    wbtest::check_bad_input("04_softmax", {"--load", dir.path()}, {"query.npy", "float16"});
}
