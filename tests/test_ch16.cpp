// Chapter 16 — batches: several sentences at once, padded and masked.
#include "support.hpp"

#include <cstdio>

#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::Tensor3;
using wbtest::Near;

TEST_CASE("changing sample 2 leaves samples 0 and 1 unchanged", "[ch16]") {
    attn::Random rng(161);
    const attn::MhaParams p = attn::random_mha_params(6, 3, rng);
    Tensor3 X = xt::empty<double>({3, 4, 6});
    for (double& x : X) x = rng.normal();
    const attn::MhaBatch a = attn::mha_forward_batch(p, X, X, X);
    xt::view(X, 2, xt::all(), xt::all()) = rng.normal_matrix(4, 6);
    const attn::MhaBatch b = attn::mha_forward_batch(p, X, X, X);
    CHECK(xt::all(
            xt::equal(xt::view(a.output, xt::range(0, 2)), xt::view(b.output, xt::range(0, 2)))));
    CHECK_FALSE(xt::all(xt::equal(xt::view(a.output, 2), xt::view(b.output, 2))));
}

TEST_CASE("a padded sample's real rows equal the sample computed alone", "[ch16]") {
    attn::Random rng(162);
    const attn::MhaParams p = attn::random_mha_params(4, 2, rng);
    Tensor3 X = xt::zeros<double>({2, 5, 4});
    const Matrix short_one = rng.normal_matrix(3, 4);
    xt::view(X, 0, xt::all(), xt::all()) = rng.normal_matrix(5, 4);
    xt::view(X, 1, xt::range(0, 3), xt::all()) = short_one;
    const attn::MhaBatch out = attn::mha_forward_batch(
            p, X, X, X, std::nullopt, xt::xarray<double>(attn::padding_mask({5, 3}, 5)));
    const Matrix alone = attn::mha_forward(p, short_one, short_one, short_one).output;
    CHECK_THAT(Matrix(xt::view(out.output, 1, xt::range(0, 3), xt::all())), Near(alone, 1e-12));
    CHECK(xt::all(xt::equal(xt::view(out.weights, 1, xt::all(), xt::all(), xt::range(3, 5)), 0.0)));
}

TEST_CASE("chapter 16 shows batch independence", "[ch16]") {
    const auto r = wbtest::run_chapter("16_batches");
    REQUIRE(r.status == 0);
    CHECK(r.out.find("  sample 0: unchanged\n  sample 1: unchanged\n  sample 2: changed\n") !=
          std::string::npos);
    CHECK(r.out.find("below 1e-12 (they agree)") != std::string::npos);
}

TEST_CASE("chapter 16 prints its recorded output", "[ch16]") {
    wbtest::check_recorded_output("16_batches");
}

TEST_CASE("chapter 16 --load replays a padded PyTorch batch", "[ch16]") {
    for (const char* c : {"padding", "padding_float"}) {
        INFO(c);
        wbtest::TempDir out("ch16_out");
        const auto r = wbtest::run_chapter(
                "16_batches",
                {"--load", wbtest::fixture_path(std::string("multihead_attention/") + c), "--dump",
                 out.path(), "--no-color"});
        INFO(r.err);
        REQUIRE(r.status == 0);
        for (const char* name : {"output", "weights_mean"})
            wbtest::check_against_torch(out / (std::string(name) + ".npy"), c, name);
        // The last sample is the one changed in step 4; every other one stays.
        const std::size_t B =
                wbtest::fixture(std::string("multihead_attention/") + c + "/query.npy").shape(0);
        std::string verdicts;
        for (std::size_t b = 0; b < B; ++b)
            verdicts +=
                    "  sample " + std::to_string(b) + (b + 1 < B ? ": unchanged\n" : ": changed\n");
        CHECK(r.out.find(verdicts) != std::string::npos);
    }
}

TEST_CASE("chapter 16 rejects bad input with one line and status 2", "[ch16]") {
    wbtest::TempDir dir("ch16_bad");
    wbtest::write_plain_module(dir, 4);
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 4}));
    wbtest::check_bad_input("16_batches", {"--load", dir.path(), "--heads", "2"},
                            {"query.npy", "(B, L, E)", "(3, 4)"});
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({2, 3, 4}));
    wbtest::check_bad_input("16_batches", {"--load", dir.path(), "--heads", "3"},
                            {"4", "3", "divisible"});
    wbtest::write_npy_f32(dir / "key_padding_mask.npy", xt::zeros<double>({2, 3, 1}));
    wbtest::check_bad_input("16_batches", {"--load", dir.path(), "--heads", "2"},
                            {"key_padding_mask.npy", "(2, 3, 1)"});
    std::remove((dir / "key_padding_mask.npy").c_str());
    wbtest::write_npy_f32(dir / "key.npy", xt::ones<double>({2, 3, 4}));
    wbtest::check_bad_input("16_batches", {"--load", dir.path(), "--heads", "2"},
                            {"self-attention", "chapter 11"});
}
