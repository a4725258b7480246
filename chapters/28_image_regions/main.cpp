// Chapter 28 (its title: chapters/manifest.tsv).
// Small generated images cut into patches, each patch a token, as vision transformers do; a
// caption word's query attends over the patches and learns to look at the object it names.
#include <xtensor/xsort.hpp>

#include <attention/random.hpp>
#include <attention/regions.hpp>
#include <workbook/chapter.hpp>
#include <workbook/training_view.hpp>
#include <workbook/translation_view.hpp>

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "28_image_regions",
            "",
            {{"--steps", "N", "training steps (default 300)"},
             {"--seed", "S", "the random seed of the weights and images (default 28)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        const attn::ImageTask task = attn::image_regions_task();
        const std::size_t steps = ch.option_count("--steps", task.steps);
        const std::uint64_t rng_seed = attn::seed_option(ch, 28);
        attn::Random example_rng(rng_seed + 2);
        const attn::ImageBatch ex = task.draw(example_rng, 1, true);  // one held-out image
        const attn::Tensor3 picture = attn::image_pixels(ex, 0);      // (16, 16, 3)
        const std::string word = task.colours[std::size_t(ex.word(0, 0))];
        const auto grid =
                [](const attn::ImageForward& f) {  // the 16 weights of the example, (4, 4)
                    attn::Matrix g = xt::empty<double>({std::size_t{4}, std::size_t{4}});
                    for (std::size_t n = 0; n < 16; ++n) g(n / 4, n % 4) = f.weights(0, n);
                    return g;
                };
        const std::string dump = ch.dump_dir();
        std::vector<std::string> patch_names;  // the keys: p<row><col>
        for (std::size_t n = 0; n < 16; ++n)
            patch_names.push_back("p" + std::to_string(n / 4) + std::to_string(n % 4));
        const auto dump_at = [&](const std::string& dir, const attn::ImageModel& m,
                                 const attn::ImageForward& f) {
            const attn::Tensor3 w = xt::view(f.weights, xt::range(0, 1), xt::newaxis(),
                                             xt::all());  // (H = 1, 1, 16)
            attn::dump_attention_layer(dir, m.caption.layers[0], f.u[0], f.x[0], w, nullptr, {word},
                                       patch_names);
        };
        const attn::Labels grid_labels{{"row 0", "row 1", "row 2", "row 3"},
                                       {"col 0", "col 1", "col 2", "col 3"}};
        ch.title();

        //! [step1]
        ch.step("1) images, patches, and the model");
        ch.say("Generated images of 16×16 pixels with two objects, each filling one 4×4 "
               "patch: a square, a ring or a cross, red, green or blue (the two of different"
               " colours). The image is cut into a 4×4 grid of patches, and each patch's 48 "
               "numbers (16 pixels × 3 colours) become one token through a learned linear "
               "layer, plus a learned vector for its place in the grid. The caption word, a "
               "colour, gives one query (E = 32, one head) over the 16 patch tokens; a read-"
               "out names the shape of that colour from what the query read, and from "
               "nothing else. A third of the (colour, shape, patch) combinations appear in "
               "no training image; in every held-out image the named object is one of them. "
               "Random weights (random seed " +
               std::to_string(rng_seed) + "); nothing is set by hand.");
        ch.out() << "  a held-out image (R, G, B: the lit colour; the gaps split the patches), and "
                    "the word \""
                 << word << "\":\n\n"
                 << attn::image_text(picture);
        //! [step1]

        //! [step2]
        ch.step("2) before training");
        attn::Random rng(rng_seed);
        attn::ImageModel model = attn::init_image_model(task, rng);
        const attn::ImageForward before = attn::image_forward(model, ex);
        ch.heatmap("patches_before", grid(before), grid_labels,
                   "(4, 4) \"" + word + "\"'s weights over the patch grid, untrained");
        ch.say("In these maps the rows and columns are the image's rows and columns of patches, "
               "not "
               "queries and keys: there is one query, the word, and these are its 16 weights.");
        ch.write_svg("image_before",
                     attn::patch_weights_svg(picture, grid(before), "\"" + word + "\", untrained"));
        if (!dump.empty()) dump_at(attn::checkpoint_dir(dump, 0), model, before);
        //! [step2]

        //! [step3]
        ch.step("3) training: Adam, " + std::to_string(steps) + " steps of " +
                std::to_string(task.batch) + " images");
        const std::size_t every = std::max<std::size_t>(1, steps / 4);
        const attn::TrainLog log =
                attn::train_image(model, task, steps, rng, [&](std::size_t step, double loss) {
                    if (step % every != 0 && step != steps) return;
                    ch.out() << "  step " << step << "  loss " << attn::format_number(loss, 4)
                             << "\n";
                    if (!dump.empty())
                        dump_at(attn::checkpoint_dir(dump, step), model,
                                attn::image_forward(model, ex));
                });
        ch.out() << "\n" << attn::loss_curve_text(log.loss) << "\n";
        ch.write_svg("loss_curve", attn::line_plot_svg(attn::loss_curve_plot(
                                           log.loss, "Chapter 28: the training loss")));
        //! [step3]

        //! [step4]
        ch.step("4) held out: the answer, and where the word looks");
        attn::Random test_rng(rng_seed + 1);
        const attn::ImageBatch held = task.draw(test_rng, 1000, true);
        const attn::ImageScore s = attn::score(attn::image_forward(model, held), held);
        ch.out() << "  1000 held-out images:\n"
                 << "    accuracy (the shape of the named colour)          "
                 << attn::format_percent(s.accuracy) << "\n"
                 << "    attention share on the named object's patch       "
                 << attn::format_number(s.share, 3) << "\n"
                 << "    the same, spread evenly over the 16 patches       "
                 << attn::format_number(1.0 / 16.0, 3) << "\n\n";
        const attn::ImageForward after = attn::image_forward(model, ex);
        ch.heatmap("patches_after", grid(after), grid_labels,
                   "(4, 4) \"" + word + "\"'s weights over the patch grid, trained");
        ch.write_svg("image_after",
                     attn::patch_weights_svg(picture, grid(after), "\"" + word + "\", trained"));
        const std::size_t at = std::size_t(ex.patch(0, 0));  // the named object's patch
        ch.say("In this image \"" + word + "\" puts " +
               attn::format_number(grid(after)(at / 4, at % 4), 2) + " of its weight on the " +
               word + " object's patch (row " + std::to_string(at / 4) + ", col " +
               std::to_string(at % 4) +
               "). The share above is the mean over the 1000 held-out "
               "images; one image need not match it.");
        ch.out() << "  answer: " << task.shapes[std::size_t(xt::argmax(xt::row(after.probs, 0))())]
                 << " (the " << word << " object is a " << task.shapes[std::size_t(ex.answer(0, 0))]
                 << ")\n\n";
        if (!dump.empty()) dump_at(dump, model, after);
        //! [step4]
    });
}
