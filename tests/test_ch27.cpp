// Chapter 27 — the important sentence: one query over a document's sentences.
#include "support.hpp"

#include <filesystem>
#include <regex>
#include <set>

#include <attention/important.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using wbtest::Near;

namespace {
const std::string slug = "27_important_sentence";
}  // namespace

TEST_CASE("ch27: chapter 27 prints its recorded output", "[ch27]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE(
        "ch27: the answer is the place of the one sentence about the asked name, and held-out "
        "pairs are never trained on",
        "[ch27]") {
    const attn::DocTask task = attn::important_sentence_task();
    attn::Random rng(3);
    const attn::DocBatch train = task.draw(rng, 400, false), held = task.draw(rng, 400, true);
    std::set<std::pair<long, long>> trained;
    for (const attn::DocBatch* d : {&train, &held})
        for (std::size_t b = 0; b < 400; ++b) {
            std::size_t about = 0;  // by hand: the sentences whose name is the question's
            for (std::size_t k = 0; k < task.K; ++k)
                if (d->names(b, k) == d->question(b, 0)) {
                    ++about;
                    CHECK(long(k) == d->sentence(b, 0));
                    CHECK(task.words[std::size_t(d->places(b, k))] ==
                          task.places[std::size_t(d->answer(b, 0))]);
                }
            CHECK(about == 1);
            for (std::size_t k = 0; k < task.K; ++k)
                if (d == &train) trained.insert({d->names(b, k), d->places(b, k)});
        }
    for (std::size_t b = 0; b < 400; ++b) {
        const std::size_t k = std::size_t(held.sentence(b, 0));
        CHECK(trained.count({held.names(b, k), held.places(b, k)}) == 0);
    }
}

TEST_CASE("ch27: the model's gradient equals central differences", "[ch27]") {
    attn::DocTask task = attn::important_sentence_task();
    task.E = 6;
    attn::Random rng(12);
    attn::Model m = attn::init_doc_model(task, rng);
    const attn::DocBatch batch = task.draw(rng, 3, false);
    attn::Model g = attn::doc_backward(m, attn::doc_forward(m, batch), batch);
    auto params = attn::named_parameters(m);
    const auto grads = attn::named_parameters(g);
    for (std::size_t a = 0; a < params.size(); ++a) {
        INFO(params[a].name);
        double worst = 0.0;
        for (std::size_t i = 0; i < params[a].size(); ++i) {
            const double keep = params[a].data[i], h = 1e-5;
            params[a].data[i] = keep + h;
            const double up = attn::doc_forward(m, batch).loss;
            params[a].data[i] = keep - h;
            const double down = attn::doc_forward(m, batch).loss;
            params[a].data[i] = keep;
            worst = std::max(worst, std::abs((up - down) / (2 * h) - grads[a].data[i]));
        }
        CHECK(worst < 1e-8);
    }
}

TEST_CASE(
        "ch27: trained 150 steps, held-out questions are answered and the query weighs the "
        "answering sentence",
        "[ch27]") {
    const attn::DocTask task = attn::important_sentence_task();
    attn::Random rng(27);
    attn::Model m = attn::init_doc_model(task, rng);
    attn::train_doc(m, task, 150, rng);
    attn::Random test_rng(99);
    const attn::DocBatch held = task.draw(test_rng, 300, true);
    const attn::DocScore s = attn::score(attn::doc_forward(m, held), held);
    CHECK(s.accuracy >= 0.95);
    CHECK(s.weight >= 0.8);  // spread evenly it would be 1/4
}

TEST_CASE("ch27: the chapter's figures: >= 95% right, most of the weight on the answering sentence",
          "[ch27]") {
    // the recorded output, which the first test holds the chapter to
    const std::string out = wbtest::source_file("chapters/" + slug + "/expected.txt");
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("accuracy \\(the right place\\) +([0-9.]+)%")));
    CHECK(std::stod(m[1]) >= 95.0);
    REQUIRE(std::regex_search(out, m,
                              std::regex("mean weight on the sentence that answers +([0-9.]+)")));
    CHECK(std::stod(m[1]) >= 0.8);
}

TEST_CASE("ch27: --dump writes the query's layout, and chapter 11 replays it", "[ch27]") {
    wbtest::TempDir out("ch27_dump");
    wbtest::run_dumping(slug, out, {"--steps", "4"});
    wbtest::check_dump_replayed(
            out,
            {"tokens.txt", "layer0/weights.npy", "layer0/key.npy", "layer0/key_tokens.txt",
             "checkpoints/step_000000/layer0/weights.npy", "checkpoints/step_000004/tokens.txt"});
}

TEST_CASE("ch27: a bad --steps or --seed gets one line and exit status 2", "[ch27]") {
    wbtest::check_bad_input(slug, {"--steps", "0x"}, {"--steps 0x"});
    wbtest::check_bad_input(slug, {"--seed", "2.5"}, {"--seed"});
}
