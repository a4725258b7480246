// Chapter 21 — the multi-head backward pass, against PyTorch's autograd.
#include "backward_support.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include <attention/backward.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::MhaParams;
using attn::Tensor3;
using wbtest::Near;
using Array = xt::xarray<double>;

namespace {

const std::string slug = "21_multihead_backward";

// The chapter run with --dump into `out` (support.hpp; wbtest::dumped reads what it wrote).
std::string run_dumping(const wbtest::TempDir& out, std::vector<std::string> args = {}) {
    return wbtest::run_dumping(slug, out, std::move(args));
}

}  // namespace

TEST_CASE("ch21: chapter 21 prints its recorded output", "[ch21]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE(
        "ch21: chapter 21's gradients of the toy example equal the tests' own central differences",
        "[ch21]") {
    wbtest::TempDir out("ch21_fd");
    run_dumping(out);
    // the chapter's example: the module of chapters 07-10 (Random(7)), x = the toy example
    attn::Random rng(7);
    const MhaParams p = attn::random_mha_params(4, 2, rng);
    const Matrix x = attn::toy_tokens(), dO = dumped(out, "grad_output");
    const auto loss = [&](const MhaParams& q, const Matrix& X) {
        return double(xt::sum(attn::mha_forward(q, X, X, X).output * dO)());
    };
    const auto by = [&](auto set) {
        return [&, set](const Array& a) {
            MhaParams q = p;
            set(q, a);
            return loss(q, x);
        };
    };
    CHECK_GRAD("in_proj_weight.grad", dumped(out, "in_proj_weight.grad"),
               wbtest::central_differences(
                       by([](MhaParams& q, const Array& a) { q.in_proj_weight = a; }),
                       p.in_proj_weight),
               1e-7);
    CHECK_GRAD(
            "in_proj_bias.grad", dumped(out, "in_proj_bias.grad"),
            wbtest::central_differences(
                    by([](MhaParams& q, const Array& a) { q.in_proj_bias = a; }), p.in_proj_bias),
            1e-7);
    CHECK_GRAD("out_proj.weight.grad", dumped(out, "out_proj.weight.grad"),
               wbtest::central_differences(
                       by([](MhaParams& q, const Array& a) { q.out_proj_weight = a; }),
                       p.out_proj_weight),
               1e-7);
    CHECK_GRAD(
            "out_proj.bias.grad", dumped(out, "out_proj.bias.grad"),
            wbtest::central_differences(
                    by([](MhaParams& q, const Array& a) { q.out_proj_bias = a; }), p.out_proj_bias),
            1e-7);
    CHECK_GRAD("query.grad", dumped(out, "query.grad"),
               wbtest::central_differences([&](const Array& a) { return loss(p, a); }, x), 1e-7);
    // self-attention: one input, so no key.grad or value.grad
    CHECK_FALSE(std::filesystem::exists(out / "key.grad.npy"));
    CHECK_FALSE(std::filesystem::exists(out / "value.grad.npy"));
    // out_proj.bias.grad is the column sums of dO
    CHECK_THAT(dumped(out, "out_proj.bias.grad"), Near(Array(xt::sum(dO, {0})), 1e-15));
}

TEST_CASE("ch21: b_k's gradient is 0, ours and PyTorch's", "[ch21]") {
    wbtest::TempDir out("ch21_bk");
    const std::string text = run_dumping(out);
    const Array db = dumped(out, "in_proj_bias.grad");
    CHECK(xt::amax(xt::abs(xt::view(db, xt::range(4, 8))))() < 1e-12);
    CHECK(xt::amax(xt::abs(xt::view(db, xt::range(0, 4))))() > 1e-3);  // b_q's is not
    CHECK(text.find("every entry below\n1e-12") != std::string::npos);
    for (const std::string c : {"self", "cross", "causal_bool", "padding", "mask3d", "one_head"}) {
        INFO(c);
        const Array theirs =
                wbtest::fixture("multihead_backward/" + c + "/in_proj_bias.grad64.npy");
        const std::size_t E = theirs.size() / 3;
        CHECK(xt::amax(xt::abs(xt::view(theirs, xt::range(E, 2 * E))))() < 1e-12);
        CHECK(xt::amax(xt::abs(theirs))() > 0.1);
    }
}

TEST_CASE("ch21: chapter 21 --load replays PyTorch's autograd on every case", "[ch21]") {
    for (const std::string c : {"self", "unbatched", "cross", "causal_bool", "causal_float",
                                "padding", "mask3d", "one_head", "no_bias", "fully_masked"}) {
        SECTION(c) {
            const std::string dir = "multihead_backward/" + c + "/";
            wbtest::TempDir out("ch21_" + c);
            const std::string text = run_dumping(out, {"--load", wbtest::fixture_path(dir)});
            std::vector<std::string> names = {"in_proj_weight", "out_proj.weight", "query"};
            for (const std::string n : {"in_proj_bias", "out_proj.bias", "key", "value"}) {
                const bool theirs =
                        std::filesystem::exists(wbtest::fixture_path(dir + n + ".grad64.npy"));
                CHECK(std::filesystem::exists(out / (n + ".grad.npy")) ==
                      theirs);  // the same files
                if (theirs) names.push_back(n);
            }
            for (const auto& n : names) {
                INFO(c << ": " << n << ".grad");
                const Array ours = dumped(out, n + ".grad");
                CHECK_THAT(ours, Near(wbtest::fixture(dir + n + ".grad64.npy"), 1e-12));
                CHECK_GRAD(n + ".grad against the float32 run", ours,
                           wbtest::fixture(dir + n + ".grad.npy"), 1e-5);
            }
            if (c == "mask3d") CHECK(text.find("steps 1) to 6) are skipped") != std::string::npos);
        }
    }
}

TEST_CASE("ch21: on a batch, steps 1) to 6) are sample 0's own backward pass, with its masks",
          "[ch21]") {
    for (const std::string c : {"padding", "causal_bool", "cross"}) {
        INFO(c);
        const std::string dir = wbtest::fixture_path("multihead_backward/" + c);
        wbtest::TempDir out("ch21_sample0_" + c);
        run_dumping(out, {"--load", dir});
        std::size_t H = 0;
        std::ifstream(dir + "/num_heads.txt") >> H;
        const attn::MhaCase mc = attn::load_mha_case(dir, H);
        // sample 0 alone, as a batch of one: its masks are row 0 of key_padding_mask and attn_mask
        const auto first = [](const Tensor3& t) {
            return Tensor3(xt::view(t, xt::range(0, 1), xt::all(), xt::all()));
        };
        std::optional<Array> pad;
        if (mc.key_padding_mask)
            pad = Array(xt::view(*mc.key_padding_mask, xt::range(0, 1), xt::all()));
        const Tensor3 dO =
                first(Tensor3(wbtest::fixture("multihead_backward/" + c + "/grad_output.npy")));
        const attn::MhaBatchGrads g = attn::mha_backward_batch(
                mc.params, first(mc.query), first(mc.key), first(mc.value), dO, mc.attn_mask, pad);
        CHECK_THAT(dumped(out, "sample0_out_proj.weight.grad"), Near(g.out_proj_weight, 1e-14));
        CHECK_THAT(dumped(out, "sample0_in_proj_weight.grad"), Near(g.in_proj_weight, 1e-14));
        const Array q_grad = c == "cross" ? Array(xt::view(g.query, 0))
                                          : Array(xt::view(g.query + g.key + g.value, 0));
        CHECK_THAT(dumped(out, "sample0_query.grad"), Near(q_grad, 1e-14));
    }
}

TEST_CASE(
        "ch21: chapter 21's masks and batches: padded keys get no gradient, a fully masked row NaN",
        "[ch21]") {
    wbtest::TempDir out("ch21_masks");
    const std::string text = run_dumping(out);
    const Array key_part = dumped(out, "padded_key_part"),
                query_part = dumped(out, "padded_query_part");
    CHECK(xt::all(xt::equal(xt::row(key_part, 3), 0.0)));
    for (std::size_t i = 0; i < 3; ++i) CHECK(xt::any(xt::not_equal(xt::row(key_part, i), 0.0)));
    for (std::size_t i = 0; i < 4; ++i) CHECK(xt::any(xt::not_equal(xt::row(query_part, i), 0.0)));
    CHECK(text.find("  in_proj_weight.grad   48 of 48 NaN\n  in_proj_bias.grad     12 of 12 NaN\n"
                    "  out_proj.weight.grad  16 of 16 NaN\n  out_proj.bias.grad    0 of 4 NaN") !=
          std::string::npos);
    CHECK(text.find(
                  "  x.grad, sample 0      0 of 16 NaN\n  x.grad, sample 1      16 of 16 NaN\n") !=
          std::string::npos);
}

TEST_CASE("ch21: chapter 21 skips central differences on a large module, and says so", "[ch21]") {
    wbtest::TempDir in("ch21_large_in"), out("ch21_large");
    attn::Random rng(2110);  // E = 64, H = 8: 16384 parameters and 320 inputs
    const MhaParams p = attn::random_mha_params(64, 8, rng);
    attn::dump_npy(in / "in_proj_weight.npy", p.in_proj_weight);
    attn::dump_npy(in / "in_proj_bias.npy", p.in_proj_bias);
    attn::dump_npy(in / "out_proj.weight.npy", p.out_proj_weight);
    attn::dump_npy(in / "out_proj.bias.npy", p.out_proj_bias);
    attn::dump_npy(in / "query.npy", rng.normal_matrix(5, 64));
    const std::string text = run_dumping(out, {"--load", in.path(), "--heads", "8"});
    CHECK(text.find("(skipped: 16960 numbers, more than 10000") != std::string::npos);
    CHECK(std::filesystem::exists(out / "in_proj_weight.grad.npy"));
}

TEST_CASE("ch21: chapter 21 rejects bad input with one line and status 2", "[ch21]") {
    wbtest::TempDir dir("ch21_bad");
    wbtest::write_plain_module(dir, 4);
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"query.npy: no such file"});
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({3, 4}));
    wbtest::write_npy_f32(dir / "grad_output.npy", xt::ones<double>({2, 4}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"grad_output.npy", "(3, 4)", "(2, 4)"});
    wbtest::write_npy_f32(dir / "grad_output.npy", xt::ones<double>({1, 3, 4}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"grad_output.npy", "(3, 4)", "(1, 3, 4)"});
    attn::dump_npy(dir / "grad_output.npy", Matrix{{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, NAN, 4}});
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"grad_output.npy", "NaN"});
    std::remove((dir / "grad_output.npy").c_str());
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "3"}, {"divisible"});
    wbtest::write_npy_f32(dir / "query.npy", xt::ones<double>({2, 3, 4}));
    wbtest::write_npy_f32(dir / "grad_output.npy", xt::ones<double>({2, 3, 5}));
    wbtest::check_bad_input(slug, {"--load", dir.path(), "--heads", "2"},
                            {"grad_output.npy", "(2, 3, 4)", "(2, 3, 5)"});
    std::remove((dir / "grad_output.npy").c_str());
    CHECK(wbtest::run_chapter(slug, {"--load", dir.path(), "--heads", "2"}).status == 0);
}
