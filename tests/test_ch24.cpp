// Chapter 24 — "it" finds "cake".
#include "support.hpp"

#include <filesystem>
#include <regex>
#include <set>

#include <attention/random.hpp>
#include <attention/tasks.hpp>

namespace {
const std::string slug = "24_it_refers_to_cake";
}  // namespace

TEST_CASE("ch24: chapter 24 prints its recorded output", "[ch24]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE(
        "ch24: the referent is the noun the adjective fits, and held-out sentences are never drawn "
        "in training",
        "[ch24]") {
    const attn::Task task = attn::referent_task(2);
    attn::Random rng(1);
    const attn::TaskBatch train = task.draw(rng, 400, false), held = task.draw(rng, 400, true);
    const auto sentence = [&](const attn::TaskBatch& b, std::size_t s) {
        std::string out;
        for (std::size_t i = 0; i < task.size.L; ++i)
            out += task.vocab[std::size_t(b.tokens(s, i))] + " ";
        return out;
    };
    std::set<std::string> seen;
    for (std::size_t s = 0; s < 400; ++s) seen.insert(sentence(train, s));
    for (std::size_t s = 0; s < 400; ++s) CHECK(seen.count(sentence(held, s)) == 0);
    // by hand: in every sentence "it" names the noun its adjective fits
    const std::set<std::string> tastes = {"sweet", "salty", "sour", "spicy", "stale"};
    const std::set<std::string> foods = {"cake", "soup", "bread", "pie", "apple", "cookie"};
    for (std::size_t s = 0; s < 400; ++s) {
        std::size_t it = 0;
        while (train.targets(s, it) == attn::kNoTarget) ++it;
        const std::string adjective = task.vocab[std::size_t(train.tokens(s, it + 3))];
        const std::string referent = task.classes[std::size_t(train.targets(s, it))];
        CHECK(tastes.count(adjective) == foods.count(referent));
    }
}

TEST_CASE(
        "ch24: the source's sentence is resolved to cake, and two layers beat one on held-out "
        "sentences",
        "[ch24]") {
    // the recorded output, which the first test holds the chapter to
    const std::string out = wbtest::source_file("chapters/" + slug + "/expected.txt");
    CHECK(out.find("\"she didn't want to eat the cake because it was too sweet\"  ->  it = cake") !=
          std::string::npos);
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("1 layer ([0-9.]+)% +2 layers ([0-9.]+)%")));
    CHECK(std::stod(m[2]) >= 95.0);
    CHECK(std::stod(m[1]) < std::stod(m[2]));
}

TEST_CASE("ch24: --dump writes both layers in the agreed layout", "[ch24]") {
    wbtest::TempDir out("ch24_dump");
    wbtest::run_dumping(slug, out, {"--steps", "3"});
    for (const std::string f :
         {"tokens.txt", "layer0/weights.npy", "layer1/weights.npy", "layer1/query.npy",
          "checkpoints/step_000000/layer1/weights.npy", "checkpoints/step_000003/tokens.txt",
          "layers.1.self_attn.in_proj_weight.npy"})
        CHECK(std::filesystem::exists(out / f));
}

TEST_CASE("ch24: a bad --steps or --seed gets one line and exit status 2", "[ch24]") {
    wbtest::check_bad_input(slug, {"--steps", "1.5"}, {"--steps 1.5"});
    wbtest::check_bad_input(slug, {"--seed", ""}, {"--seed"});
}
