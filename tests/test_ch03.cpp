// Chapter 03 — scaling by √d_k.
#include "support.hpp"

#include <cmath>

#include <attention/attention.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("the toy example's scores divided by √4 = 2", "[ch03]") {
    const Matrix X = attn::toy_tokens();
    CHECK_THAT(attn::scale(attn::scores(X, X), 4),
               Near(Matrix{{1, 0, 1}, {0, 4, 2}, {1, 2, 2}}, 0));
    CHECK_THAT(attn::scale(Matrix{{3.0}}, 9), Near(Matrix{{1.0}}, 1e-15));
}

TEST_CASE("scaled scores match PyTorch", "[ch03]") {
    for (const std::string c : {"cross", "large"}) {
        const Matrix Q = wbtest::fixture_matrix("scaled_dot_product_attention/" + c + "/query.npy");
        const Matrix K = wbtest::fixture_matrix("scaled_dot_product_attention/" + c + "/key.npy");
        CHECK_THAT(attn::scale(attn::scores(Q, K), Q.shape(1)),
                   Near(wbtest::fixture("scaled_dot_product_attention/" + c + "/scaled_scores.npy"),
                        1e-9));
    }
}

TEST_CASE("chapter 03's measured table shows what the theory predicts", "[ch03]") {
    wbtest::TempDir out("ch03_table");
    const auto r = wbtest::run_chapter("03_scaling", {"--dump", out.path()});
    REQUIRE(r.status == 0);
    const Matrix t =
            attn::load_npy(out / "scaling_table.npy").data;  // d_k, var, var/d_k, max w raw, scaled
    REQUIRE(t.shape(0) == 5);
    const double dims[] = {4, 16, 64, 256, 1024};
    for (std::size_t i = 0; i < 5; ++i) {
        INFO("d_k = " << dims[i]);
        CHECK(t(i, 0) == dims[i]);
        CHECK(std::abs(t(i, 1) / dims[i] - 1.0) < 0.1);  // Var(q·k) = d_k
        CHECK(std::abs(t(i, 2) - 1.0) < 0.1);            // Var(q·k / √d_k) = 1
        CHECK(t(i, 4) > 1.0 / 16);                       // a weight over 16 keys
        CHECK(t(i, 4) < 0.6);                            // scaled: never saturated
        if (i > 0) CHECK(t(i, 3) > t(i - 1, 3));         // unscaled: climbs with d_k
    }
    CHECK(t(4, 3) > 0.9);                      // ... towards one-hot
    CHECK(std::abs(t(4, 4) - t(0, 4)) < 0.1);  // scaled: the same for every d_k
}

TEST_CASE("chapter 03 prints its recorded output", "[ch03]") {
    wbtest::check_recorded_output("03_scaling");
}

TEST_CASE("chapter 03 --load/--dump gives PyTorch's scaled scores", "[ch03]") {
    wbtest::check_dump_matches("03_scaling", "scaled_dot_product_attention/cross",
                               {"scores", "scaled_scores"}, 1e-9);
}

TEST_CASE("chapter 03 rejects a malformed file", "[ch03]") {
    wbtest::TempDir dir("ch03_bad");
    wbtest::write_bytes(dir / "query.npy", "not an npy file at all");
    wbtest::check_bad_input("03_scaling", {"--load", dir.path()},
                            {"query.npy", "not a valid .npy"});
}

TEST_CASE("chapter 03 explains softmax and 'learning stalls' where it uses them", "[ch03]") {
    const auto r = wbtest::run_chapter("03_scaling");
    REQUIRE(r.status == 0);
    std::string text;
    for (char c : r.out) text += c == '\n' ? ' ' : c;
    const auto first_softmax = text.find("softmax");
    const auto softmax_defined = text.find("softmax (chapter 04: it turns each row of scores");
    CHECK(first_softmax == softmax_defined);
    const auto stalls = text.find("learning stalls");
    REQUIRE(stalls != std::string::npos);
    CHECK(text.substr(stalls, 120)
                  .find("training changes each parameter in proportion to its "
                        "gradient") != std::string::npos);
    // "seed" only as a random-number seed.
    CHECK(text.find("random-number seed 3") != std::string::npos);
}
