// Chapter 12 — one head or several: "The cat chased the mouse".
#include "support.hpp"

#include <cmath>

#include <workbook/npy.hpp>

using attn::Matrix;

namespace {
// Tokens: 0 The, 1 cat, 2 chased, 3 the, 4 mouse.
enum { THE0, CAT, CHASED, THE1, MOUSE };

// By hand: a query meets `hits` keys with score 9 (3·3) and the other 5 - hits with 0,
// all divided by √d_head. The weight of one hit:
double hit_weight(int hits, double d_head) {
    const double e = std::exp(9.0 / std::sqrt(d_head));
    return e / (hits * e + (5 - hits));
}
}  // namespace

TEST_CASE("chapter 12's heads link the words the sketch names", "[ch12]") {
    wbtest::TempDir out("ch12");
    const auto r = wbtest::run_chapter("12_self_vs_multihead", {"--dump", out.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const Matrix one = attn::load_npy(out / "weights_one_head.npy").data;
    const Matrix h0 = attn::load_npy(out / "weights_head_0.npy").data;
    const Matrix h1 = attn::load_npy(out / "weights_head_1.npy").data;
    const Matrix h2 = attn::load_npy(out / "weights_head_2.npy").data;
    const double tol = 1e-12;
    // One head (d_head = 12): cat's one distribution must split between "mouse" and "chased".
    CHECK(std::abs(one(CAT, MOUSE) - hit_weight(2, 12)) < tol);
    CHECK(std::abs(one(CAT, CHASED) - hit_weight(2, 12)) < tol);
    CHECK(hit_weight(2, 12) < 0.5);
    CHECK(std::abs(one(THE0, CAT) - 0.2) < tol);  // no rule for "The": uniform
    // Three heads: cat puts nearly all its weight on mouse in head 0, on chased in head 1.
    CHECK(std::abs(h0(CAT, MOUSE) - hit_weight(1, 4)) < tol);
    CHECK(std::abs(h1(CAT, CHASED) - hit_weight(1, 4)) < tol);
    // Head 1 (index 0): "cat" <-> "mouse".
    CHECK(std::abs(h0(CAT, MOUSE) - hit_weight(1, 4)) < tol);
    CHECK(std::abs(h0(MOUSE, CAT) - hit_weight(1, 4)) < tol);
    // Head 2: "chased" <-> "cat".
    CHECK(std::abs(h1(CHASED, CAT) - hit_weight(1, 4)) < tol);
    CHECK(std::abs(h1(CAT, CHASED) - hit_weight(1, 4)) < tol);
    // Head 3: "the" <-> "the" (both "The" and "the" are keys of type the).
    CHECK(std::abs(h2(THE0, THE1) - hit_weight(2, 4)) < tol);
    CHECK(std::abs(h2(THE1, THE0) - hit_weight(2, 4)) < tol);
    CHECK(hit_weight(1, 4) > 0.9);  // the links stand out
}

TEST_CASE("chapter 12 prints the source's tables", "[ch12]") {
    const auto r = wbtest::run_chapter("12_self_vs_multihead");
    REQUIRE(r.status == 0);
    for (const char* line :
         {"Focus         One context pattern   Multiple patterns at once",
          "Image captioning (BLIP)        Attends to visual regions + text tokens",
          "Parallelizable         Yes - allows faster training & longer input support",
          "  cat -> chased 0.45, mouse 0.45", "  cat -> mouse 0.96", "  cat -> chased 0.96",
          "  chased -> cat 0.96"}) {
        INFO(line);
        CHECK(r.out.find(line) != std::string::npos);
    }
}

TEST_CASE("chapter 12 prints its recorded output", "[ch12]") {
    wbtest::check_recorded_output("12_self_vs_multihead");
}

TEST_CASE("chapter 12 takes no --load", "[ch12]") {
    wbtest::check_bad_input("12_self_vs_multihead", {"--load", "x"}, {"unknown option '--load'"});
}

TEST_CASE(
        "chapter 12's combined output after W_o keeps cat's two words apart where one head blends "
        "them",
        "[ch12]") {
    wbtest::TempDir out("ch12_out");
    const auto r = wbtest::run_chapter("12_self_vs_multihead", {"--dump", out.path()});
    REQUIRE(r.status == 0);
    // Word-type columns of a head's slice: 0 the, 1 cat, 2 chased, 3 mouse.
    const Matrix one = attn::load_npy(out / "output_one_head.npy").data;  // cat's row, (1, 4)
    CHECK(std::abs(one(0, 2) - hit_weight(2, 12)) < 1e-12);
    CHECK(std::abs(one(0, 3) - hit_weight(2, 12)) < 1e-12);
    const Matrix o = attn::load_npy(out / "output.npy").data;  // (L, E = 12), W_o = I
    REQUIRE(o.shape(1) == 12);
    CHECK(std::abs(o(CAT, 0 * 4 + 3) - hit_weight(1, 4)) < 1e-12);  // head 0's slice: mouse
    CHECK(std::abs(o(CAT, 1 * 4 + 2) - hit_weight(1, 4)) < 1e-12);  // head 1's slice: chased
    CHECK(r.out.find("hand-set, not learned") != std::string::npos);
    CHECK(r.out.find("Chapter 23") != std::string::npos);  // where heads are trained
}
