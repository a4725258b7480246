// Chapter 11 — the whole module, replaying PyTorch's nn.MultiheadAttention.
#include "support.hpp"

#include <cmath>
#include <cstdio>

#include <xtensor/xmath.hpp>

#include <workbook/inputs.hpp>
#include <attention/mha.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;

namespace {

// Every case tools/make_fixtures.py saved from PyTorch 1.13 (batch_first=True).
const char* const kCases[] = {"five_token_module", "self", "cross", "causal_bool", "causal_float", "padding",
                              "padding_float", "bool_mask_float_padding", "mask3d", "one_head",
                              "no_bias", "large", "fully_masked"};

}  // namespace

TEST_CASE("chapter 11 prints its recorded output, with the seed's output shape", "[ch11]") {
    wbtest::check_recorded_output("11_multihead_attention");
    const auto r = wbtest::run_chapter("11_multihead_attention");
    // The seed's program prints "Multi-head attention output: torch.Size([5, 64])".
    CHECK(r.out.find("Multi-head attention output: torch.Size([5, 64])\n") != std::string::npos);
    CHECK(r.out.find("against ours, to 1e-5: they agree.") != std::string::npos);
}

TEST_CASE("chapter 11 replays every PyTorch case", "[ch11]") {
    for (const std::string c : kCases) {
        SECTION(c) {
            wbtest::TempDir out("ch11_" + c);
            const auto r = wbtest::run_chapter("11_multihead_attention",
                                               {"--load", wbtest::fixture_path("multihead_attention/" + c), "--dump", out.path()});
            INFO(r.err);
            REQUIRE(r.status == 0);
            for (const std::string name : {"output", "weights", "weights_mean"}) {
                wbtest::check_against_torch(out / (name + ".npy"), c, name);
            }
        }
    }
}

TEST_CASE("chapter 11's steps match PyTorch's intermediates", "[ch11]") {
    // The first step that differs is the one named in the failure.
    wbtest::TempDir out("ch11_steps");
    const auto r = wbtest::run_chapter("11_multihead_attention", {"--dump", out.path()});
    REQUIRE(r.status == 0);
    const std::pair<const char*, const char*> steps[] = {
        {"Q", "q"}, {"K", "k"}, {"V", "v"}, {"Q_heads", "q_heads"}, {"K_heads", "k_heads"},
        {"V_heads", "v_heads"}, {"scaled_scores", "scaled_scores"}, {"heads_output", "head_outputs"},
        {"concat", "concat"}, {"output", "output64"}};
    for (const auto& [ours, theirs] : steps) {
        INFO("step " << ours << " vs PyTorch's " << theirs << ".npy");
        REQUIRE_THAT(attn::load_npy(out / (std::string(ours) + ".npy")).data,
                     Near(wbtest::fixture("multihead_attention/five_token_module/" + std::string(theirs) + ".npy"), 1e-9));
    }
}

TEST_CASE("a fully masked row is NaN, as in PyTorch, the other rows are not", "[ch11]") {
    const auto theirs = wbtest::fixture("multihead_attention/fully_masked/output64.npy");
    wbtest::TempDir out("ch11_fully");
    const auto r = wbtest::run_chapter("11_multihead_attention",
                                       {"--load", wbtest::fixture_path("multihead_attention/fully_masked"), "--dump", out.path()});
    REQUIRE(r.status == 0);
    const auto ours = attn::load_npy(out / "output.npy").data;
    REQUIRE(ours.shape() == theirs.shape());
    std::size_t nan_rows = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
        CHECK(std::isnan(ours.flat(i)) == std::isnan(theirs.flat(i)));
        nan_rows += std::isnan(ours.flat(i));
    }
    CHECK(nan_rows > 0);
    CHECK(nan_rows < ours.size());
}

TEST_CASE("chapter 11 rejects bad input with one line and status 2", "[ch11]") {
    const std::string slug = "11_multihead_attention";
    wbtest::TempDir dir("ch11_bad");
    wbtest::write_plain_module(dir, 4);
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 4}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "3"}, {"4", "3", "divisible"});
    wbtest::check_bad_input(slug, {"--load", dir.path()}, {"--heads H is needed"});

    wbtest::write_npy_f32(dir / "attn_mask.npy", xt::zeros<double>({3, 2}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"}, {"attn_mask", "(3, 2)", "(3, 3)"});
    std::remove((dir / "attn_mask.npy").c_str());

    wbtest::write_npy_f32(dir / "key_padding_mask.npy", xt::zeros<double>({2, 3}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"}, {"key_padding_mask", "(2, 3)"});
    std::remove((dir / "key_padding_mask.npy").c_str());

    wbtest::write_npy_f32(dir / "key.npy", xt::ones<double>({2, 3, 4}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"}, {"key.npy", "(2, 3, 4)"});
    std::remove((dir / "key.npy").c_str());

    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 5}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"}, {"(3, 5)", "4"});

    wbtest::write_bytes(dir / "query.npy", "\x93NUMPY\x01\x00garbage");
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"}, {"query.npy"});

    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 4}));
    std::remove((dir / "out_proj.weight.npy").c_str());
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"}, {"out_proj.weight.npy", "no such file"});
}
