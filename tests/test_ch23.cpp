// Chapter 23 — heads learn their own relationships.
#include "support.hpp"

#include <filesystem>
#include <regex>

#include <attention/random.hpp>
#include <attention/tasks.hpp>
#include <attention/training.hpp>
#include <workbook/npy.hpp>

namespace {
const std::string slug = "23_heads_learn";
}  // namespace

TEST_CASE("ch23: chapter 23 prints its recorded output", "[ch23]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE("ch23: the digit task's answer is (previous digit, first digit), by hand", "[ch23]") {
    const attn::Task task = attn::previous_and_first_task(2);
    attn::Random rng(1);
    const attn::TaskBatch b = task.draw(rng, 3, false);
    for (std::size_t s = 0; s < 3; ++s) {
        CHECK(b.targets(s, 0) == attn::kNoTarget);
        for (std::size_t i = 1; i < 8; ++i)
            CHECK(b.targets(s, i) == b.tokens(s, i - 1) * 6 + b.tokens(s, 0));
    }
}

TEST_CASE(
        "ch23: trained, two heads take one role each (mass >= 0.8) and are right on 99% of "
        "held-out sequences",
        "[ch23]") {
    const attn::Task task = attn::previous_and_first_task(2);
    const attn::Model m = attn::train_quietly(task, task.steps, 23);
    attn::Random rng(99);
    const attn::TaskBatch held = task.draw(rng, 300, true);
    const attn::ModelForward f = attn::model_forward(m, held.tokens, held.targets);
    CHECK(attn::accuracy(f, held.targets) >= 0.99);
    // the templates, written out here: key i-1 and key 0, for queries 2..7
    const auto previous = [](std::size_t, std::size_t i) { return i >= 2 ? long(i) - 1 : -1L; };
    const auto first = [](std::size_t, std::size_t i) { return i >= 2 ? 0L : -1L; };
    const double p = std::max(attn::role_score(f, 0, 0, previous, 8),
                              attn::role_score(f, 0, 1, previous, 8));
    const double q =
            std::max(attn::role_score(f, 0, 0, first, 8), attn::role_score(f, 0, 1, first, 8));
    CHECK(p >= 0.8);
    CHECK(q >= 0.8);
}

TEST_CASE(
        "ch23: on the sentences, one head learns verb -> subject and another verb -> object (mass "
        ">= 0.8)",
        "[ch23]") {
    const attn::Task task = attn::subject_verb_object_task(2);
    const attn::Model m =
            attn::train_quietly(task, task.steps, 25);  // the chapter's: random seed 23 + 2
    attn::Random rng(7);
    const attn::TaskBatch held = task.draw(rng, 300, true);
    const attn::ModelForward f = attn::model_forward(m, held.tokens, held.targets);
    CHECK(attn::accuracy(f, held.targets) >= 0.99);
    // the templates, by hand from the grammar: the subject is the word before the verb, the
    // object the sentence's last word (before the padding, token 0)
    const auto subject = [&](std::size_t b, std::size_t i) {
        return held.targets(b, i) != attn::kNoTarget ? long(i) - 1 : -1L;
    };
    const auto object = [&](std::size_t b, std::size_t i) {
        if (held.targets(b, i) == attn::kNoTarget) return -1L;
        long k = 6;
        while (held.tokens(b, std::size_t(k)) == 0) --k;
        return k;
    };
    const double s0 = attn::role_score(f, 0, 0, subject, 7),
                 s1 = attn::role_score(f, 0, 1, subject, 7);
    const double o0 = attn::role_score(f, 0, 0, object, 7),
                 o1 = attn::role_score(f, 0, 1, object, 7);
    CHECK(std::max(s0, s1) >= 0.8);
    CHECK(std::max(o0, o1) >= 0.8);
    CHECK((s0 >= 0.8) != (s1 >= 0.8));  // different heads
    CHECK((s0 >= 0.8) == (o1 >= 0.8));
}

TEST_CASE("ch23: role_score is the mean weight on the template's key", "[ch23]") {
    // one sequence, L = 2, one head: weights written by hand
    attn::ModelForward f;
    f.B = 1;
    f.layers.resize(1);
    f.layers[0].weights = xt::xtensor<double, 4>{{{{0.25, 0.75}, {0.5, 0.5}}}};
    CHECK(attn::role_score(
                  f, 0, 0, [](std::size_t, std::size_t) { return 1L; }, 2) == 0.625);
    CHECK(attn::role_score(
                  f, 0, 0, [](std::size_t, std::size_t i) { return i == 1 ? 0L : -1L; }, 2) == 0.5);
}

TEST_CASE("ch23: the chapter prints two heads at 100% and one head clearly lower", "[ch23]") {
    // the recorded output, which the first test holds the chapter to
    const std::string out = wbtest::source_file("chapters/" + slug + "/expected.txt");
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("mean +([0-9.]+)% +([0-9.]+)%")));
    CHECK(std::stod(m[1]) >= 99.0);
    CHECK(std::stod(m[2]) <= 90.0);
}

TEST_CASE("ch23: --dump writes both models in the agreed layout", "[ch23]") {
    wbtest::TempDir out("ch23_dump");
    wbtest::run_dumping(slug, out, {"--steps", "5"});
    for (const std::string f :
         {"tokens.txt", "layer0/weights.npy", "layer0/query.npy", "embedding.weight.npy",
          "sentence/layer0/weights.npy", "sentence/tokens.txt", "sentence/readout.weight.npy"})
        CHECK(std::filesystem::exists(out / f));
    CHECK(attn::load_npy(out / "layer0/weights.npy").data.shape(0) == 2);
}

TEST_CASE("ch23: a bad --steps or --seed gets one line and exit status 2", "[ch23]") {
    wbtest::check_bad_input(slug, {"--steps", "-1"}, {"--steps -1"});
    wbtest::check_bad_input(slug, {"--seed", "x"}, {"--seed x"});
}
