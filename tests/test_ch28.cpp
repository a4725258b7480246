// Chapter 28 — image regions: a caption word's query over an image's patches.
#include "support.hpp"

#include <filesystem>
#include <regex>
#include <set>
#include <tuple>

#include <attention/random.hpp>
#include <attention/regions.hpp>
#include <workbook/npy.hpp>
#include <workbook/translation_view.hpp>

using wbtest::Near;

namespace {
const std::string slug = "28_image_regions";
}  // namespace

TEST_CASE("ch28: chapter 28 prints its recorded output", "[ch28]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE("ch28: patchify cuts a 4x4 image into 2x2 patches, by hand", "[ch28]") {
    attn::Matrix image = xt::empty<double>({std::size_t{4}, std::size_t{4}});
    for (std::size_t k = 0; k < 16; ++k) image.data()[k] = double(k);
    CHECK_THAT(
            attn::patchify(image, 2),
            Near(attn::Matrix{{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}}, 0.0));
}

TEST_CASE(
        "ch28: the named colour lights only its object's patch, and held-out combinations are "
        "never trained on",
        "[ch28]") {
    const attn::ImageTask task = attn::image_regions_task();
    attn::Random rng(6);
    const attn::ImageBatch train = task.draw(rng, 300, false), held = task.draw(rng, 300, true);
    std::set<std::tuple<std::size_t, std::size_t, std::size_t>>
            trained;  // (colour, lit pixels, patch) as drawn
    for (const attn::ImageBatch* d : {&train, &held})
        for (std::size_t b = 0; b < 300; ++b) {
            const std::size_t colour = std::size_t(d->word(b, 0)),
                              patch = std::size_t(d->patch(b, 0));
            const attn::Tensor3 img = attn::image_pixels(*d, b);
            std::size_t lit = 0,
                        elsewhere = 0;  // by hand: the named colour's pixels all in the named patch
            for (std::size_t r = 0; r < 16; ++r)
                for (std::size_t c = 0; c < 16; ++c)
                    if (img(r, c, colour) > 0)
                        ((r / 4) * 4 + c / 4 == patch ? lit : elsewhere) += 1;
            CHECK(elsewhere == 0);
            CHECK(lit == (d->answer(b, 0) == 0
                                  ? 16u
                                  : 12u));  // a square lights 16 pixels, a ring or a cross 12
            if (d == &train)
                trained.insert({colour, std::size_t(d->answer(b, 0)), patch});
            else
                CHECK(trained.count({colour, std::size_t(d->answer(b, 0)), patch}) == 0);
        }
}

TEST_CASE("ch28: the model's gradient equals central differences", "[ch28]") {
    attn::ImageTask task = attn::image_regions_task();
    task.E = 4;
    attn::Random rng(13);
    attn::ImageModel m = attn::init_image_model(task, rng);
    const attn::ImageBatch batch = task.draw(rng, 2, false);
    attn::ImageModel g = attn::image_backward(m, attn::image_forward(m, batch), batch);
    for (auto [model, grad] :
         {std::pair<attn::Model*, attn::Model*>{&m.image, &g.image}, {&m.caption, &g.caption}}) {
        auto params = attn::named_parameters(*model);
        const auto grads = attn::named_parameters(*grad);
        for (std::size_t a = 0; a < params.size(); ++a) {
            INFO(params[a].name);
            double worst = 0.0;
            for (std::size_t i = 0; i < params[a].size(); ++i) {
                const double keep = params[a].data[i], h = 1e-5;
                params[a].data[i] = keep + h;
                const double up = attn::image_forward(m, batch).loss;
                params[a].data[i] = keep - h;
                const double down = attn::image_forward(m, batch).loss;
                params[a].data[i] = keep;
                worst = std::max(worst, std::abs((up - down) / (2 * h) - grads[a].data[i]));
            }
            CHECK(worst < 1e-8);
        }
    }
}

TEST_CASE("ch28: trained 150 steps, held-out images are answered and the word looks at its object",
          "[ch28]") {
    const attn::ImageTask task = attn::image_regions_task();
    attn::Random rng(28);
    attn::ImageModel m = attn::init_image_model(task, rng);
    attn::train_image(m, task, 150, rng);
    attn::Random test_rng(99);
    const attn::ImageBatch held = task.draw(test_rng, 300, true);
    const attn::ImageScore s = attn::score(attn::image_forward(m, held), held);
    CHECK(s.accuracy >= 0.95);
    CHECK(s.share >= 0.6);  // spread evenly it would be 1/16
}

TEST_CASE("ch28: the chapter's figures: >= 95% right, attention share on the named object >= 0.6",
          "[ch28]") {
    // the recorded output, which the first test holds the chapter to
    const std::string out = wbtest::source_file("chapters/" + slug + "/expected.txt");
    std::smatch m;
    REQUIRE(std::regex_search(
            out, m, std::regex("accuracy \\(the shape of the named colour\\) +([0-9.]+)%")));
    CHECK(std::stod(m[1]) >= 95.0);
    REQUIRE(std::regex_search(
            out, m, std::regex("attention share on the named object's patch +([0-9.]+)")));
    CHECK(std::stod(m[1]) >= 0.6);
}

TEST_CASE("ch28: the picture is valid SVG with the image's 256 pixels and 16 patch outlines",
          "[ch28]") {
    attn::Tensor3 img = xt::zeros<double>({std::size_t{16}, std::size_t{16}, std::size_t{3}});
    const attn::Matrix w = xt::ones<double>({std::size_t{4}, std::size_t{4}}) / 16.0;
    const std::string svg = attn::patch_weights_svg(img, w, "test");
    CHECK(wbtest::xml_problem(svg).empty());
    std::size_t rects = 0;
    for (std::size_t at = svg.find("<rect"); at != std::string::npos;
         at = svg.find("<rect", at + 1))
        ++rects;
    CHECK(rects == 256 + 16);
}

TEST_CASE("ch28: --dump writes the query's layout, and chapter 11 replays it", "[ch28]") {
    wbtest::TempDir out("ch28_dump");
    wbtest::run_dumping(slug, out, {"--steps", "4"});
    wbtest::check_dump_replayed(
            out,
            {"tokens.txt", "layer0/weights.npy", "layer0/key.npy", "layer0/key_tokens.txt",
             "checkpoints/step_000000/layer0/weights.npy", "checkpoints/step_000004/tokens.txt"});
}

TEST_CASE("ch28: a bad --steps or --seed gets one line and exit status 2", "[ch28]") {
    wbtest::check_bad_input(slug, {"--steps", "many"}, {"--steps many"});
    wbtest::check_bad_input(slug, {"--seed", "-4"}, {"--seed"});
}
