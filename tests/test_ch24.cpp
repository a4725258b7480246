// Chapter 24 — "it" finds "cake".
#include "support.hpp"

#include <filesystem>
#include <regex>
#include <set>
#include <utility>

#include <attention/random.hpp>
#include <attention/tasks.hpp>

namespace {
const std::string slug = "24_it_refers_to_cake";
const std::string kPoints = "points at the referent \\(>= 0.5\\)";  // a row of step 2, as a regex

// A row of step 2's table in a chapter's output: (1 layer, 2 layers) as printed ("94.4%").
std::pair<std::string, std::string> step2_row(const std::string& out, const std::string& name) {
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex(name + " +([0-9.]+%) +([0-9.]+%)")));
    return {m[1], m[2]};
}
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
    // by hand: in every sentence "it" names the noun its adjective fits. "... eat the FOOD
    // ..." / "... take the CONTAINER ...": a taste fits the food, a shape the container.
    // "she couldn't fit the X in the Y ...": a size (big ...) fits X, small/full/narrow fit Y.
    const std::set<std::string> tastes = {"sweet", "salty", "sour", "spicy", "stale"};
    const std::set<std::string> sizes = {"big", "wide", "tall", "long", "large"};
    const std::set<std::string> foods = {"cake", "soup", "bread", "pie", "apple", "cookie"};
    std::size_t fit = 0, two_containers = 0;
    for (std::size_t s = 0; s < 400; ++s) {
        std::size_t it = 0;
        while (train.targets(s, it) == attn::kNoTarget) ++it;
        const auto word = [&](std::size_t i) {
            return task.vocab[std::size_t(train.tokens(s, i))];
        };
        const std::string adjective = word(it + 3);
        const std::string referent = task.classes[std::size_t(train.targets(s, it))];
        if (word(1) == "couldn't") {
            ++fit;
            two_containers += foods.count(word(4)) == 0;
            CHECK(referent == (sizes.count(adjective) ? word(4) : word(7)));
        } else {
            CHECK(tastes.count(adjective) == foods.count(referent));
        }
    }
    CHECK(fit > 100);            // about two in five
    CHECK(two_containers > 40);  // where the kind of noun cannot decide
}

TEST_CASE(
        "ch24: the explainer's sentence is resolved to cake, two layers point it at its referent, "
        "one layer cannot choose between two nouns",
        "[ch24]") {
    // the recorded output, which the first test holds the chapter to
    const std::string out = wbtest::source_file("chapters/" + slug + "/expected.txt");
    CHECK(out.find("\"she didn't want to eat the cake because it was too sweet\"  ->  it = cake") !=
          std::string::npos);
    CHECK(std::stod(step2_row(out, "referent accuracy").second) >= 95.0);
    CHECK(std::stod(step2_row(out, kPoints).second) >= 90.0);
    const auto two_nouns = step2_row(out, "in the sentences with two nouns");
    CHECK(std::stod(two_nouns.first) < 75.0);  // one layer: about as often at the other noun
    CHECK(std::stod(two_nouns.second) >= 90.0);
}

TEST_CASE(
        "ch24: after 700 steps the last layer's best head points it at its referent in "
        "nine held-out sentences of ten",
        "[ch24]") {
    // the chapter's training (task, seed 24) stopped early; the property shows from ~500 steps
    const attn::Task task = attn::referent_task(2);
    const attn::Model m = attn::train_quietly(task, 700, 24);
    attn::Random test_rng(25);
    const attn::TaskBatch held = task.draw(test_rng, 500, true);
    const attn::ModelForward f = attn::model_forward(m, held.tokens, held.targets);
    const long noun0 = attn::encode(task, {"cake"})[0];
    // at "it" (the row with a target): the key holding the referent's token
    const auto referent = [&](std::size_t b, std::size_t i) {
        if (held.targets(b, i) == attn::kNoTarget) return -1L;
        long k = 0;
        while (held.tokens(b, std::size_t(k)) != noun0 + held.targets(b, i)) ++k;
        return k;
    };
    const std::size_t L = task.size.L;
    // the best head, as the chapter picks it: the most weight on the referent, on average
    const std::size_t h =
            attn::role_score(f, 1, 0, referent, L) >= attn::role_score(f, 1, 1, referent, L) ? 0
                                                                                             : 1;
    const double share = attn::role_share(f, 1, h, referent, L);
    CHECK(share >= 0.9);
    CHECK(attn::accuracy(f, held.targets) >= 0.95);
}

TEST_CASE("ch24: the other random seeds and plain Adam on the page are what the chapter prints",
          "[ch24]") {
    const std::string page = std::regex_replace(
            wbtest::source_file("docs/ch24_it_refers_to_cake.dox"), std::regex("\\s+"), " ");
    // --weight-decay 0: plain Adam, the chapter's random seed, well short of 90% pointing
    const wbtest::Run adam = wbtest::run_chapter(slug, {"--weight-decay", "0"});
    REQUIRE(adam.status == 0);
    CHECK(adam.out.find("Adam, no weight decay") != std::string::npos);
    const std::string adam_points = step2_row(adam.out, kPoints).second;
    CHECK(std::stod(adam_points) < 90.0);
    CHECK(page.find("plain Adam, and its best head points at the referent in " + adam_points) !=
          std::string::npos);
    // seeds 24 to 28: the figures the page lists, in order (24's from the recorded output)
    std::vector<std::string> points, accuracy;
    for (const std::string random_seed : {"24", "25", "26", "27", "28"}) {
        const std::string out = random_seed == "24"
                                        ? wbtest::source_file("chapters/" + slug + "/expected.txt")
                                        : wbtest::run_chapter(slug, {"--seed", random_seed}).out;
        points.push_back(step2_row(out, kPoints).second);
        accuracy.push_back(step2_row(out, "referent accuracy").second);
    }
    const auto listed = [](const std::vector<std::string>& v) {
        return v[0] + ", " + v[1] + ", " + v[2] + ", " + v[3] + " and " + v[4];
    };
    CHECK(page.find("points at the referent in " + listed(points)) != std::string::npos);
    CHECK(page.find("referent accuracy is " + listed(accuracy)) != std::string::npos);
    // "not every random seed does"
    bool all_reach = true;
    for (std::size_t i = 0; i < points.size(); ++i)
        all_reach = all_reach && std::stod(points[i]) >= 90.0 && std::stod(accuracy[i]) >= 95.0;
    CHECK_FALSE(all_reach);
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
    wbtest::check_bad_input(slug, {"--weight-decay", "-1"}, {"--weight-decay -1"});
    wbtest::check_bad_input(slug, {"--weight-decay", "nan"}, {"--weight-decay nan"});
}
