// Chapter 17 — generating one token at a time: the KV cache.
#include "support.hpp"

#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("the KV cache gives the full causal computation, step by step", "[ch17]") {
    attn::Random rng(171);
    for (const auto& [E, H, T] :
         {std::tuple<std::size_t, std::size_t, std::size_t>{4, 1, 3}, {8, 2, 7}, {12, 4, 5}}) {
        const attn::MhaParams p = attn::random_mha_params(E, H, rng);
        const Matrix X = rng.normal_matrix(T, E);
        const Matrix mask = attn::causal_mask(T);
        const Matrix full = attn::mha_forward(p, X, X, X, &mask).output;
        attn::KVCache cache(p);
        for (std::size_t t = 0; t < T; ++t) {
            INFO("E = " << E << ", H = " << H << ", step " << t);
            const attn::Vector row = cache.step(xt::row(X, t));
            CHECK_THAT(Matrix(xt::reshape_view(row, {std::size_t{1}, E})),
                       Near(Matrix(xt::view(full, xt::range(t, t + 1), xt::all())), 1e-12));
            CHECK(cache.keys().shape(0) == t + 1);
        }
    }
}

TEST_CASE("the work counts, by hand", "[ch17]") {
    // With the cache, step t: q, k, v of one token and W_o of one row (4·E² multiply-adds),
    // plus one query against t keys and t values (2·t·E).
    attn::Random rng(172);
    attn::KVCache cache(attn::random_mha_params(8, 2, rng));
    for (std::size_t t = 1; t <= 3; ++t) {
        cache.step(xt::row(rng.normal_matrix(1, 8), 0));
        CHECK(cache.last_work().projections == 4.0 * 64);
        CHECK(cache.last_work().attention == 2.0 * t * 8);
    }
    // Without: the whole prefix again: 4·t·E² projections, causal attention t(t+1)·E.
    CHECK(attn::work_without_cache(3, 8).projections == 4.0 * 3 * 64);
    CHECK(attn::work_without_cache(3, 8).attention == 3.0 * 4 * 8);
}

TEST_CASE("chapter 17 prints its recorded output", "[ch17]") {
    wbtest::check_recorded_output("17_kv_cache");
}

TEST_CASE("chapter 17 --load: the last generated row is PyTorch's unmasked last row", "[ch17]") {
    // The newest token may look at every token, so causal or not, its row is the same:
    // PyTorch's output for the 5-token module (5 tokens, no mask) gives the last row.
    wbtest::TempDir out("ch17_out");
    const auto r = wbtest::run_chapter(
            "17_kv_cache", {"--load", wbtest::fixture_path("multihead_attention/five_token_module"),
                            "--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const xt::xarray<double> torch =
            wbtest::fixture("multihead_attention/five_token_module/output64.npy");
    const Matrix last = xt::view(torch, xt::range(4, 5), xt::all());
    for (const char* name : {"full_output", "stepped_output"}) {
        INFO(name);
        const xt::xarray<double> ours = attn::load_npy(out / (std::string(name) + ".npy")).data;
        REQUIRE(ours.shape(0) == 5);
        CHECK_THAT(Matrix(xt::view(ours, xt::range(4, 5), xt::all())), Near(last, 1e-9));
    }
}

TEST_CASE("chapter 17 rejects bad input with one line and status 2", "[ch17]") {
    wbtest::TempDir dir("ch17_bad");
    wbtest::write_plain_module(dir, 4);
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 5}));
    wbtest::check_bad_input("17_kv_cache", {"--load", dir.path(), "--heads", "2"},
                            {"query.npy", "(3, 5)", "E = 4"});
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 4}));
    wbtest::check_bad_input("17_kv_cache", {"--load", dir.path(), "--heads", "3"},
                            {"4", "3", "divisible"});
    wbtest::write_npy_f32(dir / "key.npy", xt::ones<double>({3, 4}));
    wbtest::check_bad_input("17_kv_cache", {"--load", dir.path(), "--heads", "2"},
                            {"self-attention"});
}

TEST_CASE(
        "chapter 17's work table: the per-step ratio grows about linearly, the total without a "
        "cache about quadratically",
        "[ch17]") {
    wbtest::TempDir out("ch17_work");
    const auto r = wbtest::run_chapter("17_kv_cache", {"--dump", out.path()});
    REQUIRE(r.status == 0);
    const auto work = attn::load_npy(out / "work.npy").data;  // rows: t, without, with
    REQUIRE(work.shape(0) == 6);
    // By hand, E = 8, t = 6: without 4·6·64 + 6·7·8 = 1872, with 4·64 + 2·6·8 = 352.
    CHECK(work(5, 1) == 1872.0);
    CHECK(work(5, 2) == 352.0);
    double previous = 0, total_without = 0, total_with = 0, half_without = 0, half_with = 0;
    for (std::size_t i = 0; i < 6; ++i) {
        const double t = work(i, 0), ratio = work(i, 1) / work(i, 2);
        INFO("t = " << t << ", ratio " << ratio);
        CHECK(ratio <= t);         // a little less than t ...
        CHECK(ratio >= 0.85 * t);  // ... but close: about linear in t
        if (i > 0) CHECK(ratio - previous > 0.75);
        previous = ratio;
        total_without += work(i, 1);
        total_with += work(i, 2);
        if (i == 2) half_without = total_without, half_with = total_with;
    }
    // Twice as long an answer: the total without the cache about 4x (quadratic), with it about 2x.
    CHECK(total_without / half_without > 3.5);
    CHECK(total_without / half_without < 4.0);
    CHECK(total_with / half_with > 2.0);
    CHECK(total_with / half_with < 2.5);
    CHECK(r.out.find(
                  "From 3 to 6 tokens (twice as long) the total without the cache grows 3.70x") !=
          std::string::npos);
    CHECK(r.out.find("quadratically") != std::string::npos);
    CHECK(r.out.find("gap grows quadratically") == std::string::npos);
}
