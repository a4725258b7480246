// Chapter 10 — concatenate, then the output projection W_o.
#include "support.hpp"

#include <attention/mha.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using attn::Tensor3;
using wbtest::Near;

TEST_CASE("concatenating heads puts head h in columns h·d .. (h+1)·d-1, by hand", "[ch10]") {
    const Tensor3 heads = {{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}};  // (H=2, L=2, d=2)
    CHECK_THAT(attn::merge_heads(heads), Near(Matrix{{1, 2, 5, 6}, {3, 4, 7, 8}}, 0));
}

TEST_CASE("W_o mixes the heads: silencing one head moves every output column", "[ch10]") {
    attn::Random rng(10);
    const attn::MhaParams p = attn::random_mha_params(4, 2, rng);
    const Matrix X = rng.normal_matrix(3, 4);
    const attn::MhaForward f = attn::mha_forward(p, X, X, X);
    Tensor3 silenced = f.heads.output;
    xt::view(silenced, 1, xt::all(), xt::all()) = 0.0;
    const Matrix concat = attn::merge_heads(silenced);
    // Before W_o only head 1's columns (2, 3) change ...
    CHECK_THAT(Matrix(xt::view(concat, xt::all(), xt::range(0, 2))),
               Near(Matrix(xt::view(f.concat, xt::all(), xt::range(0, 2))), 0));
    CHECK(xt::all(xt::equal(xt::view(concat, xt::all(), xt::range(2, 4)), 0.0)));
    // ... after it, every column does.
    const Matrix out = attn::project(concat, p.out_proj_weight, p.out_proj_bias);
    for (std::size_t c = 0; c < 4; ++c)
        CHECK(xt::amax(xt::abs(xt::col(out, c) - xt::col(f.output, c)))() > 1e-6);
}

TEST_CASE("the output projection is concat·W_oᵀ + b_o, by hand", "[ch10]") {
    attn::MhaParams p;
    p.E = 2;
    p.H = 1;
    p.in_proj_weight = xt::zeros<double>({6, 2});
    p.out_proj_weight = Matrix{{0, 1}, {1, 0}};  // swaps the two columns
    p.out_proj_bias = attn::Vector{10, 20};
    CHECK_THAT(attn::project(Matrix{{1, 2}}, p.out_proj_weight, p.out_proj_bias),
               Near(Matrix{{12, 21}}, 0));
}

TEST_CASE("chapter 10 prints its recorded output", "[ch10]") {
    wbtest::check_recorded_output("10_concat_and_output");
}
