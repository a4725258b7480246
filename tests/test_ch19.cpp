// Chapter 19 — the softmax backward: its Jacobian, the vector–Jacobian product, saturation.
#include "backward_support.hpp"

#include <cmath>

#include <attention/attention.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;
using Array = xt::xarray<double>;

namespace {

const std::string slug = "19_softmax_backward";

// The chapter run with --dump into `out` (support.hpp; wbtest::dumped reads what it wrote).
std::string run_dumping(const wbtest::TempDir& out, std::vector<std::string> args = {}) {
    return wbtest::run_dumping(slug, out, std::move(args));
}

}  // namespace

TEST_CASE("ch19: chapter 19 prints its recorded output", "[ch19]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE("ch19: chapter 19's Jacobian of the toy example's row 0, by hand", "[ch19]") {
    wbtest::TempDir out("ch19_jacobian");
    run_dumping(out);
    // Row 0 of the scaled scores is [1, 0, 1]: y = [e, 1, e] / (2e + 1).
    const double e = std::exp(1.0), a = e / (2 * e + 1), b = 1 / (2 * e + 1);
    CHECK_THAT(dumped(out, "y"), Near(Array{a, b, a}, 1e-15));
    const Array J = {{a * (1 - a), -a * b, -a * a},
                     {-b * a, b * (1 - b), -b * a},
                     {-a * a, -a * b, a * (1 - a)}};
    CHECK_THAT(dumped(out, "jacobian"), Near(J, 1e-15));
    CHECK_THAT(dumped(out, "jacobian_numerical"), Near(J, 1e-9));
    // dx of row 0 is gᵀ·J, both ways
    const Array g = dumped(out, "g");
    const Array by_hand = {g(0) * J(0, 0) + g(1) * J(1, 0) + g(2) * J(2, 0),
                           g(0) * J(0, 1) + g(1) * J(1, 1) + g(2) * J(2, 1),
                           g(0) * J(0, 2) + g(1) * J(1, 2) + g(2) * J(2, 2)};
    CHECK_THAT(dumped(out, "dx_row"), Near(by_hand, 1e-15));
    CHECK_THAT(dumped(out, "dx_by_jacobian"), Near(by_hand, 1e-15));
}

TEST_CASE("ch19: chapter 19's dx equals central differences, and its rows sum to 0", "[ch19]") {
    wbtest::TempDir out("ch19_dx");
    run_dumping(out);
    const Matrix x = dumped(out, "scaled_scores"), G = dumped(out, "grad_weights");
    const Array fd = wbtest::central_differences(
            [&](const Array& z) { return double(xt::sum(attn::softmax(Matrix(z)) * G)()); }, x);
    CHECK_GRAD("dx", dumped(out, "dx"), fd, 1e-7);
    CHECK_GRAD("dx_numerical", dumped(out, "dx_numerical"), fd, 1e-7);
    const Array sums = xt::sum(dumped(out, "dx"), {1});
    CHECK(xt::amax(xt::abs(sums))() < 1e-12);
}

TEST_CASE(
        "ch19: chapter 19's saturation table: the unscaled gradient shrinks, the scaled one stays",
        "[ch19]") {
    wbtest::TempDir out("ch19_table");
    const std::string text = run_dumping(out);
    const Array t =
            dumped(out, "saturation_table");  // d_k, max w raw, |dx| raw, max w scaled, |dx| scaled
    REQUIRE(t.shape(0) == 5);
    for (std::size_t r = 1; r < 5; ++r) {
        INFO("row " << r);
        CHECK(t(r, 1) > t(r - 1, 1));  // the raw softmax saturates more and more
        CHECK(t(r, 2) < t(r - 1, 2));  // and passes back less and less
    }
    const Array scaled = xt::col(t, 4);
    CHECK(xt::amax(scaled)() / xt::amin(scaled)() < 1.1);  // the scaled one stays the same
    CHECK(t(4, 4) / t(4, 2) > 5);
    // the sentence under the table quotes these numbers
    char ratio[64];
    std::snprintf(ratio, sizeof ratio, "%.0f times smaller", t(4, 4) / t(4, 2));
    CHECK(text.find(ratio) != std::string::npos);
}

TEST_CASE("ch19: chapter 19 --load: dx is PyTorch's gradient of the scores", "[ch19]") {
    // attention_backward/cross holds PyTorch's P and its dP and dS (no mask): the softmax
    // backward of dP is dS. grad_weights.npy = dP.
    wbtest::TempDir in("ch19_in"), out("ch19_out");
    const std::string c = "attention_backward/cross/";
    attn::dump_npy(in / "query.npy", wbtest::fixture(c + "query.npy"));
    attn::dump_npy(in / "key.npy", wbtest::fixture(c + "key.npy"));
    attn::dump_npy(in / "value.npy",
                   wbtest::fixture(c + "value.npy"));  // read, as chapter 04 reads it
    attn::dump_npy(in / "grad_weights.npy", wbtest::fixture(c + "dP.npy"));
    run_dumping(out, {"--load", in.path()});
    CHECK_THAT(dumped(out, "weights"), Near(wbtest::fixture(c + "weights.npy"), 1e-12));
    CHECK_THAT(dumped(out, "dx"), Near(wbtest::fixture(c + "dS.npy"), 1e-12));
}

TEST_CASE("ch19: chapter 19 rejects bad input with one line and status 2", "[ch19]") {
    wbtest::TempDir dir("ch19_bad");
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy: no such file"});
    wbtest::write_npy_f32(dir / "query.npy", Matrix{{1, 2}, {3, 4}, {5, 6}});
    wbtest::write_npy_f32(dir / "grad_weights.npy", Matrix{{1, 2}, {3, 4}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"grad_weights.npy", "(3, 3)", "(2, 2)"});
    attn::dump_npy(dir / "grad_weights.npy", Matrix{{1, 2, 3}, {4, NAN, 6}, {7, 8, 9}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"grad_weights.npy", "NaN"});
    attn::dump_npy(dir / "grad_weights.npy", Matrix{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
    CHECK(wbtest::run_chapter(slug, {"--load", dir.path()}).status == 0);
}
