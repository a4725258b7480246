// Chapter 07 — learned projections: one token, three roles.
#include "support.hpp"

#include <algorithm>
#include <cstdio>

#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::Vector;
using wbtest::Near;

namespace {
// A tiny module, E = 2, whose packed weight is 0, 1, 2, ... row by row: W_q holds 0..3,
// W_k 4..7, W_v 8..11; in_proj_bias is 100..105.
attn::MhaParams counting() {
    attn::MhaParams p;
    p.E = 2;
    p.H = 1;
    p.in_proj_weight = xt::reshape_view(xt::arange<double>(12.0), {6, 2});
    p.in_proj_bias = xt::arange<double>(100.0, 106.0);
    p.out_proj_weight = xt::eye<double>(2);
    return p;
}
}  // namespace

TEST_CASE("project computes X·Wᵀ + b, by hand", "[ch07]") {
    const Matrix X = {{1, 2}};
    const Matrix W = {{1, 0}, {0, 1}, {1, 1}};  // (3, 2): three outputs
    CHECK_THAT(attn::project(X, W, Vector{0, 0, 1}), Near(Matrix{{1, 2, 4}}, 0));
    CHECK_THAT(attn::project(X, W, Vector{}), Near(Matrix{{1, 2, 3}}, 0));
    CHECK_THROWS_WITH(attn::check_projection(Matrix{{1, 2, 3}}, W, Vector{}),
                      Catch::Contains("(1, 3)") && Catch::Contains("(3, 2)"));
}

TEST_CASE("in_proj_weight's three blocks are W_q, W_k, W_v", "[ch07]") {
    const attn::MhaParams p = counting();
    CHECK_THAT(p.W_q(), Near(Matrix{{0, 1}, {2, 3}}, 0));
    CHECK_THAT(p.W_k(), Near(Matrix{{4, 5}, {6, 7}}, 0));
    CHECK_THAT(p.W_v(), Near(Matrix{{8, 9}, {10, 11}}, 0));
    CHECK_THAT(p.b_q(), Near(Vector{100, 101}, 0));
    CHECK_THAT(p.b_k(), Near(Vector{102, 103}, 0));
    CHECK_THAT(p.b_v(), Near(Vector{104, 105}, 0));
    CHECK_THAT(p.b_o(), Near(Vector{0, 0}, 0));  // no out_proj.bias: zeros
}

TEST_CASE("one product with the packed weight gives [Q | K | V]", "[ch07]") {
    attn::Random rng(7);
    const attn::MhaParams p = attn::random_mha_params(6, 2, rng);
    const Matrix X = rng.normal_matrix(4, 6);
    const Matrix QKV = attn::project(X, p.in_proj_weight, p.in_proj_bias);  // (4, 18)
    const Matrix Q = attn::project(X, p.W_q(), p.b_q());
    const Matrix V = attn::project(X, p.W_v(), p.b_v());
    CHECK_THAT(Matrix(xt::view(QKV, xt::all(), xt::range(0, 6))), Near(Q, 1e-12));
    CHECK_THAT(Matrix(xt::view(QKV, xt::all(), xt::range(12, 18))), Near(V, 1e-12));
}

TEST_CASE("chapter 07 prints its recorded output", "[ch07]") {
    wbtest::check_recorded_output("07_projections");
}

TEST_CASE("chapter 07 --load/--dump projects with a loaded module", "[ch07]") {
    wbtest::TempDir in("ch07_in"), out("ch07_out");
    const attn::MhaParams p = counting();
    attn::dump_npy(in / "in_proj_weight.npy", p.in_proj_weight);
    attn::dump_npy(in / "in_proj_bias.npy", p.in_proj_bias);
    attn::dump_npy(in / "out_proj.weight.npy", p.out_proj_weight);
    wbtest::write_npy_f32(in / "query.npy", Matrix{{1, 0}, {0, 1}});
    const auto r = wbtest::run_chapter("07_projections",
                                       {"--load", in.path(), "--heads", "1", "--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    // By hand: row i of Q is column i of W_q plus b_q.
    CHECK_THAT(attn::load_npy(out / "Q.npy").data, Near(Matrix{{100, 103}, {101, 104}}, 0));
    CHECK_THAT(attn::load_npy(out / "V.npy").data, Near(Matrix{{112, 115}, {113, 116}}, 0));
}

TEST_CASE("chapter 07 rejects a packed weight of the wrong shape", "[ch07]") {
    wbtest::TempDir in("ch07_bad");
    wbtest::write_npy_f32(in / "query.npy", Matrix{{1, 0}});
    attn::dump_npy(in / "in_proj_weight.npy", Matrix{{1, 0}, {0, 1}});  // (2, 2), not (6, 2)
    attn::dump_npy(in / "out_proj.weight.npy", Matrix{{1, 0}, {0, 1}});
    wbtest::check_bad_input("07_projections", {"--load", in.path(), "--heads", "1"},
                            {"in_proj_weight.npy", "(6, 2)", "(2, 2)"});
    std::remove((in / "out_proj.weight.npy").c_str());
    attn::dump_npy(in / "in_proj_weight.npy", xt::zeros<double>({6, 2}));
    wbtest::check_bad_input("07_projections", {"--load", in.path(), "--heads", "1"},
                            {"out_proj.weight.npy", "no such file"});
    wbtest::check_bad_input("07_projections", {"--load", in.path()}, {"--heads H is needed"});
}

TEST_CASE("PyTorch starts both biases at zero and chapter 07 says it draws them in ±0.1",
          "[ch07]") {
    // PyTorch 1.13's fresh nn.MultiheadAttention (the 5-token module): every bias is 0.0.
    CHECK(xt::all(xt::equal(
            wbtest::fixture("multihead_attention/five_token_module/in_proj_bias.npy"), 0.0)));
    CHECK(xt::all(xt::equal(
            wbtest::fixture("multihead_attention/five_token_module/out_proj.bias.npy"), 0.0)));
    // The chapter's biases: nonzero, within ±0.1; its weights within Xavier's bound √(6 / 4E).
    wbtest::TempDir out("ch07_bias");
    const auto r = wbtest::run_chapter("07_projections", {"--dump", out.path()});
    REQUIRE(r.status == 0);
    for (const char* b : {"b_q", "b_k", "b_v"}) {
        INFO(b);
        const auto v = attn::load_npy(out / (std::string(b) + ".npy")).data;
        CHECK(xt::all(xt::abs(v) <= 0.1));
        CHECK(xt::any(xt::not_equal(v, 0.0)));
    }
    const auto W = attn::load_npy(out / "W_q.npy").data;
    CHECK(xt::all(xt::abs(W) <= std::sqrt(6.0 / (4.0 * W.shape(1)))));
    std::string text = r.out;  // the paragraph as one line, whatever the wrapping
    std::replace(text.begin(), text.end(), '\n', ' ');
    CHECK(text.find("a fresh nn.MultiheadAttention sets both biases to zero") != std::string::npos);
    CHECK(text.find("uniform in ±0.1 instead, only to make them visible") != std::string::npos);
}
