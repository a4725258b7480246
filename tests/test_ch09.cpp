// Chapter 09 — attention in every head, in parallel.
#include "support.hpp"

#include <cmath>

#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using attn::Tensor3;
using wbtest::Near;

TEST_CASE("all heads in one pass equal the loop over heads", "[ch09]") {
    attn::Random rng(9);
    for (int trial = 0; trial < 5; ++trial) {
        const std::size_t H = rng.integer(1, 4), L = rng.integer(1, 6), S = rng.integer(1, 6),
                          d = rng.integer(1, 5);
        Tensor3 Qh = xt::empty<double>({H, L, d}), Kh = xt::empty<double>({H, S, d}),
                Vh = xt::empty<double>({H, S, d});
        for (auto* t : {&Qh, &Kh, &Vh})
            for (double& x : *t) x = rng.normal();
        const attn::HeadsAttention all = attn::attend_heads(Qh, Kh, Vh);
        const attn::HeadsAttention loop = attn::attend_heads_loop(Qh, Kh, Vh);
        CHECK_THAT(all.weights, Near(loop.weights, 1e-12));
        CHECK_THAT(all.output, Near(loop.output, 1e-12));
    }
}

TEST_CASE("each head scales by √d_head and attends on its own slice, by hand", "[ch09]") {
    // Two heads, d_head = 1, one query, two keys. Head 0: q = 2, k = (1, 0) → scores (2, 0);
    // head 1: q = 0 → equal scores. Values pick the key index.
    const Tensor3 Qh = {{{2}}, {{0}}};
    const Tensor3 Kh = {{{1}, {0}}, {{1}, {0}}};
    const Tensor3 Vh = {{{0}, {1}}, {{0}, {1}}};
    const attn::HeadsAttention a = attn::attend_heads(Qh, Kh, Vh);
    const double e2 = std::exp(2.0);  // √1 = 1: no change from scaling
    CHECK_THAT(a.weights, Near(Tensor3{{{e2 / (e2 + 1), 1 / (e2 + 1)}}, {{0.5, 0.5}}}, 1e-15));
    CHECK_THAT(a.output, Near(Tensor3{{{1 / (e2 + 1)}}, {{0.5}}}, 1e-15));
}

TEST_CASE("a mask that allows everything changes nothing", "[ch09]") {
    attn::Random rng(99);
    Tensor3 Qh = xt::empty<double>({2, 3, 2}), Kh = xt::empty<double>({2, 4, 2});
    for (auto* t : {&Qh, &Kh})
        for (double& x : *t) x = rng.normal();
    const Matrix zeros = xt::zeros<double>({3, 4});
    CHECK_THAT(attn::attend_heads(Qh, Kh, Kh, &zeros).output,
               Near(attn::attend_heads(Qh, Kh, Kh).output, 0));
}

TEST_CASE("chapter 09 prints its recorded output", "[ch09]") {
    wbtest::check_recorded_output("09_heads_in_parallel");
}
