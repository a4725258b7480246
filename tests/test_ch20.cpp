// Chapter 20 — attention backward, step by step.
#include "backward_support.hpp"

#include <cmath>

#include <xtensor/xnpy.hpp>

#include <attention/attention.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;
using Array = xt::xarray<double>;

namespace {

const std::string slug = "20_attention_backward";

// The chapter run with --dump into `out` (support.hpp; wbtest::dumped reads what it wrote).
std::string run_dumping(const wbtest::TempDir& out, std::vector<std::string> args = {}) {
    return wbtest::run_dumping(slug, out, std::move(args));
}

}  // namespace

TEST_CASE("ch20: chapter 20 prints its recorded output", "[ch20]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE("ch20: chapter 20's gradients of the toy example are PyTorch's", "[ch20]") {
    wbtest::TempDir out("ch20_toy");
    const std::string text = run_dumping(out);
    // tests/fixtures/attention_backward/toy: PyTorch's autograd, float64, on the same dO
    CHECK_THAT(dumped(out, "grad_output"),
               Near(wbtest::fixture("attention_backward/toy/grad_output.npy"), 0));
    for (const std::string name : {"dQ", "dK", "dV", "dP", "dS"}) {
        INFO(name);
        CHECK_THAT(dumped(out, name),
                   Near(wbtest::fixture("attention_backward/toy/" + name + ".npy"), 1e-12));
    }
    // the stated dO is printed
    CHECK(text.find(
                  "[[ 1.0000,  0.0000,  0.0000, -1.0000],\n [ 0.0000,  2.0000, -1.0000,  0.0000],\n"
                  " [ 0.0000,  1.0000,  1.0000,  2.0000]]") != std::string::npos);
}

TEST_CASE("ch20: chapter 20's central differences agree with the tests' own and with its gradients",
          "[ch20]") {
    wbtest::TempDir out("ch20_fd");
    run_dumping(out);
    const Matrix X = wbtest::fixture("attention_backward/toy/query.npy");
    const Matrix dO = dumped(out, "grad_output");
    const auto loss = [&](const Matrix& Q, const Matrix& K, const Matrix& V) {
        return double(xt::sum(attn::attention(Q, K, V).output * dO)());
    };
    const Array fd_Q =
            wbtest::central_differences([&](const Array& x) { return loss(x, X, X); }, X);
    const Array fd_K =
            wbtest::central_differences([&](const Array& x) { return loss(X, x, X); }, X);
    const Array fd_V =
            wbtest::central_differences([&](const Array& x) { return loss(X, X, x); }, X);
    CHECK_GRAD("dQ", dumped(out, "dQ"), fd_Q, 1e-7);
    CHECK_GRAD("dK", dumped(out, "dK"), fd_K, 1e-7);
    CHECK_GRAD("dV", dumped(out, "dV"), fd_V, 1e-7);
    CHECK_GRAD("dQ_numerical", dumped(out, "dQ_numerical"), fd_Q, 1e-7);
    CHECK_GRAD("dK_numerical", dumped(out, "dK_numerical"), fd_K, 1e-7);
    CHECK_GRAD("dV_numerical", dumped(out, "dV_numerical"), fd_V, 1e-7);
    // the chapter says "below 1e-8": true
    CHECK(wbtest::rel_error(dumped(out, "dQ"), dumped(out, "dQ_numerical")) < 1e-8);
    CHECK(wbtest::rel_error(dumped(out, "dV"), dumped(out, "dV_numerical")) < 1e-8);
}

TEST_CASE("ch20: chapter 20's masks: zero gradient where blocked, NaN from a fully masked row",
          "[ch20]") {
    wbtest::TempDir out("ch20_masks");
    run_dumping(out);
    const Array dS = dumped(out, "dS_causal"), dP = dumped(out, "dP_causal");
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = i + 1; j < 3; ++j) {
            INFO("query " << i << ", key " << j);
            CHECK(dS(i, j) == 0.0);
        }
    CHECK(dP(1, 2) != 0.0);  // "although dP is not"
    CHECK(dS(2, 1) != 0.0);
    const Array dQ = dumped(out, "dQ_fully_masked");
    CHECK(xt::all(xt::isnan(xt::row(dQ, 0))));
    CHECK_FALSE(xt::any(xt::isnan(xt::view(dQ, xt::range(1, 3), xt::all()))));
    CHECK(xt::all(xt::isnan(dumped(out, "dK_fully_masked"))));
    CHECK(xt::all(xt::isnan(dumped(out, "dV_fully_masked"))));
}

TEST_CASE("ch20: chapter 20 --load replays PyTorch's cases: masks, L ≠ S, a fully masked row",
          "[ch20]") {
    for (const std::string c :
         {"toy", "toy_causal", "cross", "masked", "float_mask", "fully_masked"}) {
        SECTION(c) {
            wbtest::check_dump_matches(slug, "attention_backward/" + c,
                                       {"dQ", "dK", "dV", "dP", "dS"}, 1e-12);
        }
    }
}

TEST_CASE("ch20: chapter 20 skips central differences on large inputs, and says so", "[ch20]") {
    wbtest::TempDir in("ch20_large"), out("ch20_large_out");
    attn::dump_npy(in / "query.npy", xt::ones<double>({40, 30}) * 0.01);
    const std::string text = run_dumping(out, {"--load", in.path()});
    CHECK(text.find("(skipped: Q, K and V hold more than 3000 numbers") != std::string::npos);
}

TEST_CASE("ch20: chapter 20 rejects bad input with one line and status 2", "[ch20]") {
    wbtest::TempDir dir("ch20_bad");
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"query.npy: no such file"});
    wbtest::write_npy_f32(dir / "query.npy", Matrix{{1, 2}, {3, 4}, {5, 6}});
    wbtest::write_npy_f32(dir / "grad_output.npy", Matrix{{1, 2, 3}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"grad_output.npy", "(3, 2)", "(1, 3)"});
    attn::dump_npy(dir / "grad_output.npy", Matrix{{1, 2}, {3, NAN}, {5, 6}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"grad_output.npy", "NaN"});
    attn::dump_npy(dir / "grad_output.npy", Matrix{{1, 2}, {3, 4}, {5, 6}});
    wbtest::write_npy_f32(dir / "attn_mask.npy", Matrix{{0, 0}, {0, 0}});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"attn_mask.npy", "(3, 3)", "(2, 2)"});
    const xt::xtensor<int, 2> ints = xt::zeros<int>({3, 3});
    xt::dump_npy(dir / "attn_mask.npy", ints);
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"attn_mask.npy", "int32"});
    wbtest::write_npy_f32(dir / "attn_mask.npy", Matrix{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}});
    CHECK(wbtest::run_chapter(slug, {"--load", dir.path()}).status == 0);
}
