// Chapter 11 — the whole module, replaying PyTorch's nn.MultiheadAttention.
#include "support.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include <xtensor/xmath.hpp>

#include <attention/mha.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>
#include <xtensor/xnpy.hpp>

using attn::Matrix;
using wbtest::Near;

namespace {

// Every case tools/make_fixtures.py saved from PyTorch 1.13 (batch_first=True).
const char* const kCases[] = {"five_token_module",
                              "self",
                              "cross",
                              "causal_bool",
                              "causal_float",
                              "padding",
                              "padding_float",
                              "bool_mask_float_padding",
                              "mask3d",
                              "one_head",
                              "no_bias",
                              "large",
                              "fully_masked"};

}  // namespace

TEST_CASE("chapter 11 prints its recorded output, with the original program's output shape",
          "[ch11]") {
    wbtest::check_recorded_output("11_multihead_attention");
    const auto r = wbtest::run_chapter("11_multihead_attention");
    // The PyTorch program the workbook started from prints "Multi-head attention output: torch.Size([5, 64])".
    CHECK(r.out.find("Multi-head attention output: torch.Size([5, 64])\n") != std::string::npos);
    CHECK(r.out.find("against ours, to 1e-5: they agree.") != std::string::npos);
}

TEST_CASE("chapter 11 replays every PyTorch case", "[ch11]") {
    for (const std::string c : kCases) {
        SECTION(c) {
            wbtest::TempDir out("ch11_" + c);
            const auto r =
                    wbtest::run_chapter("11_multihead_attention",
                                        {"--load", wbtest::fixture_path("multihead_attention/" + c),
                                         "--dump", out.path()});
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
    const std::pair<const char*, const char*> steps[] = {{"Q", "q"},
                                                         {"K", "k"},
                                                         {"V", "v"},
                                                         {"Q_heads", "q_heads"},
                                                         {"K_heads", "k_heads"},
                                                         {"V_heads", "v_heads"},
                                                         {"scaled_scores", "scaled_scores"},
                                                         {"heads_output", "head_outputs"},
                                                         {"concat", "concat"},
                                                         {"output", "output64"}};
    for (const auto& [ours, theirs] : steps) {
        INFO("step " << ours << " vs PyTorch's " << theirs << ".npy");
        REQUIRE_THAT(attn::load_npy(out / (std::string(ours) + ".npy")).data,
                     Near(wbtest::fixture("multihead_attention/five_token_module/" +
                                          std::string(theirs) + ".npy"),
                          1e-9));
    }
}

TEST_CASE("a fully masked row is NaN, as in PyTorch, the other rows are not", "[ch11]") {
    const auto theirs = wbtest::fixture("multihead_attention/fully_masked/output64.npy");
    wbtest::TempDir out("ch11_fully");
    const auto r =
            wbtest::run_chapter("11_multihead_attention",
                                {"--load", wbtest::fixture_path("multihead_attention/fully_masked"),
                                 "--dump", out.path()});
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
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"attn_mask", "(3, 2)", "(3, 3)"});
    std::remove((dir / "attn_mask.npy").c_str());

    wbtest::write_npy_f32(dir / "key_padding_mask.npy", xt::zeros<double>({2, 3}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"key_padding_mask", "(2, 3)"});
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
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"out_proj.weight.npy", "no such file"});
}

TEST_CASE("chapter 11 leads with the point: the agreement with PyTorch comes before the steps",
          "[ch11]") {
    const auto r = wbtest::run_chapter("11_multihead_attention");
    REQUIRE(r.status == 0);
    const auto agree = r.out.find("against ours, to 1e-5: they agree.");
    REQUIRE(agree != std::string::npos);
    CHECK(agree < r.out.find("-- Step 2)"));
    CHECK(agree < r.out.find("Q_heads"));
    CHECK(r.out.find("state_dict (the module's named weight tensors") != std::string::npos);
}

TEST_CASE(
        "chapter 11 prints the per-head stacks only with --verbose and --dump writes them either "
        "way",
        "[ch11]") {
    wbtest::TempDir out("ch11_quiet");
    const auto quiet = wbtest::run_chapter("11_multihead_attention", {"--dump", out.path()});
    const auto loud = wbtest::run_chapter("11_multihead_attention", {"--verbose"});
    REQUIRE(quiet.status == 0);
    REQUIRE(loud.status == 0);
    // The stacks' first row of numbers: printed with --verbose only.
    for (const char* name : {"Q_heads", "K_heads", "V_heads", "scaled_scores", "heads_output"}) {
        INFO(name);
        const std::string header = std::string(name) + "  (8, 5, ";
        CHECK(quiet.out.find(header) != std::string::npos);
        CHECK(loud.out.find(header) != std::string::npos);
        const auto stack = attn::load_npy(out / (std::string(name) + ".npy")).data;
        CHECK(stack.shape(0) == 8);
    }
    CHECK(quiet.out.size() * 2 < loud.out.size());
    // One heatmap grid of every head, and one head's numbers.
    CHECK(quiet.out.find("heatmaps of weights, one per head") != std::string::npos);
    CHECK_THAT(attn::load_npy(out / "weights_head0.npy").data,
               Near(xt::view(wbtest::fixture("multihead_attention/five_token_module/weights64.npy"),
                             0, xt::all(), xt::all()),
                    1e-9));
}

TEST_CASE("the 5-token module's maps are nearly uniform: scores near 0, weights near 1/S",
          "[ch11]") {
    // PyTorch's own numbers (not the workbook's) for the freshly initialised module.
    const auto scores = wbtest::fixture("multihead_attention/five_token_module/scaled_scores.npy");
    const auto w = wbtest::fixture("multihead_attention/five_token_module/weights64.npy");
    CHECK(xt::amax(xt::abs(scores))() < 0.5);
    CHECK(xt::amin(w)() > 0.15);
    CHECK(xt::amax(w)() < 0.25);
    // The chapter prints the same bounds.
    const auto r = wbtest::run_chapter("11_multihead_attention");
    std::ostringstream range;
    range << std::fixed << std::setprecision(4) << xt::amin(w)() << " and " << xt::amax(w)();
    CHECK(r.out.find("lies between " + range.str()) != std::string::npos);
    std::ostringstream bound;
    bound << std::fixed << std::setprecision(2) << xt::amax(xt::abs(scores))();
    CHECK(r.out.find("scaled scores lie within ±" + bound.str()) != std::string::npos);
    // ... and points to where heads are trained (chapter 23 exists: its slug is in the manifest).
    CHECK(r.out.find("Nothing has trained these heads; chapters 22-24 train such") !=
          std::string::npos);
}

TEST_CASE("same_numbers: NaN in the same places is agreement, anywhere else it is not", "[ch11]") {
    const double nan = NAN;
    const xt::xarray<double> a = {{1.0, nan}, {3.0, 4.0}};
    CHECK(attn::same_numbers(a, xt::xarray<double>{{1.0, nan}, {3.0, 4.0 + 1e-6}}, 1e-5));
    CHECK_FALSE(attn::same_numbers(a, xt::xarray<double>{{nan, 2.0}, {3.0, 4.0}}, 1e-5));
    CHECK_FALSE(attn::same_numbers(a, xt::xarray<double>{{1.0, 2.0}, {3.0, 4.0}}, 1e-5));
    CHECK_FALSE(attn::same_numbers(a, xt::xarray<double>{{1.0, nan}, {3.0, 4.1}}, 1e-5));
    CHECK_FALSE(attn::same_numbers(a, xt::xarray<double>{1.0, nan, 3.0, 4.0}, 1e-5));
}

TEST_CASE("chapter 11 with PyTorch's fully masked rows: they agree, and it says why", "[ch11]") {
    const auto r = wbtest::run_chapter(
            "11_multihead_attention",
            {"--load", wbtest::fixture_path("multihead_attention/fully_masked")});
    REQUIRE(r.status == 0);
    CHECK(r.out.find("PyTorch's own output (output.npy) against ours, to 1e-5: they agree.") !=
          std::string::npos);
    CHECK(r.out.find("THEY DIFFER") == std::string::npos);
    CHECK(r.out.find("Both have NaN in the same places") != std::string::npos);
}

TEST_CASE("chapter 11 --load compares with reference_output.npy, else PyTorch's output.npy",
          "[ch11]") {
    // A module with in_proj_weight = 0: V = 0, so its output is 0 by hand, whatever W_o is.
    wbtest::TempDir dir("ch11_ref");
    wbtest::write_plain_module(dir, 4);
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 4}));
    const std::vector<std::string> args = {"--load", dir.path(), "--heads", "2"};
    CHECK(attn::torch_reference_file(dir.path()).empty());
    CHECK(wbtest::run_chapter("11_multihead_attention", args).out.find("nothing to compare") !=
          std::string::npos);

    wbtest::write_npy_f32(dir / "output.npy", xt::zeros<double>({3, 4}));
    CHECK(attn::torch_reference_file(dir.path()) == "output.npy");
    CHECK(wbtest::run_chapter("11_multihead_attention", args)
                  .out.find("(output.npy) against ours, to 1e-5: they agree.") !=
          std::string::npos);

    wbtest::write_npy_f32(dir / "output.npy", xt::ones<double>({3, 4}));
    CHECK(wbtest::run_chapter("11_multihead_attention", args)
                  .out.find("(output.npy) against ours, to 1e-5: THEY DIFFER.") !=
          std::string::npos);

    // reference_output.npy, when present, is the one read.
    wbtest::write_npy_f32(dir / "reference_output.npy", xt::zeros<double>({3, 4}));
    CHECK(attn::torch_reference_file(dir.path()) == "reference_output.npy");
    CHECK(wbtest::run_chapter("11_multihead_attention", args)
                  .out.find("(reference_output.npy) against ours, to 1e-5: they agree.") !=
          std::string::npos);
}
