// Chapter 27 (its title: chapters/manifest.tsv).
// A document of sentences, each one token; a question whose answer is in exactly one of them;
// a single attention query, made from the question, learns to put its weight on that sentence.
#include <xtensor/xsort.hpp>

#include <attention/important.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/training_view.hpp>
#include <workbook/translation_view.hpp>

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "27_important_sentence",
            "",
            {{"--steps", "N", "training steps (default 300)"},
             {"--seed", "S", "the random seed of the weights and documents (default 27)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        const attn::DocTask task = attn::important_sentence_task();
        const std::size_t steps = ch.option_count("--steps", task.steps);
        const std::uint64_t rng_seed = attn::seed_option(ch, 27);
        const std::string dump = ch.dump_dir();
        attn::Random example_rng(rng_seed + 2);
        const attn::DocBatch ex = task.draw(example_rng, 1, true);  // one held-out document
        std::vector<std::string> sentences,
                numbers;  // the sentences, and "s1".. as the map's columns
        for (std::size_t k = 0; k < task.K; ++k) {
            sentences.push_back(task.words[std::size_t(ex.names(0, k))] + " is in the " +
                                task.words[std::size_t(ex.places(0, k))]);
            numbers.push_back("s" + std::to_string(k + 1));
        }
        const std::vector<std::string> question = {
                "where is " + task.words[std::size_t(ex.question(0, 0))] + "?"};
        ch.title();

        //! [step1]
        ch.step("1) documents, questions, and the model");
        ch.say("Generated documents of K = " + std::to_string(task.K) +
               " sentences \"NAME is in the PLACE\" "
               "(8 names, 6 places, the names of a document distinct), and a question \"where is "
               "NAME?\" "
               "about one of them. Each sentence is one token: its vector is the sum of its two "
               "words' "
               "vectors. The question's vector is its name's; from it one query (E = 32, one head) "
               "attends over the " +
               std::to_string(task.K) +
               " sentence vectors, and a read-out scores the "
               "six places from what the query read, and from nothing else. A third of the 48 "
               "(name, place) pairs appear in no training document; every held-out question is "
               "answered "
               "by such a pair. Random weights (random seed " +
               std::to_string(rng_seed) + "); nothing is set by hand.");
        ch.out() << "  a held-out document:\n";
        for (std::size_t k = 0; k < task.K; ++k)
            ch.out() << "    " << numbers[k] << ": " << sentences[k] << ".\n";
        ch.out() << "  question: " << question[0] << "\n\n";
        //! [step1]

        //! [step2]
        ch.step("2) before training");
        attn::Random rng(rng_seed);
        attn::Model model = attn::init_doc_model(task, rng);
        const attn::DocForward before = attn::doc_forward(model, ex);
        const auto show = [&](const std::string& name, const attn::DocForward& f,
                              const std::string& caption) {
            const attn::Matrix w = xt::view(f.weights, xt::range(0, 1), xt::all());  // (1, K)
            ch.heatmap(name, w, {question, numbers}, caption);
        };
        show("weights_before", before,
             "(1, K) the question's weights over the sentences, untrained");
        const auto dump_at = [&](const std::string& dir, const attn::DocForward& f) {
            attn::Tensor3 w = xt::view(f.weights, xt::range(0, 1), xt::newaxis(),
                                       xt::all());  // (H = 1, 1, K)
            attn::dump_attention_layer(dir, model.layers[0], f.u[0], f.s[0], w, nullptr, question,
                                       sentences);
        };
        if (!dump.empty()) dump_at(attn::checkpoint_dir(dump, 0), before);
        //! [step2]

        //! [step3]
        ch.step("3) training: Adam, " + std::to_string(steps) + " steps of " +
                std::to_string(task.batch) + " documents");
        const std::size_t every = std::max<std::size_t>(1, steps / 4);
        const attn::TrainLog log =
                attn::train_doc(model, task, steps, rng, [&](std::size_t step, double loss) {
                    if (step % every != 0 && step != steps) return;
                    ch.out() << "  step " << step << "  loss " << attn::format_number(loss, 4)
                             << "\n";
                    if (!dump.empty())
                        dump_at(attn::checkpoint_dir(dump, step), attn::doc_forward(model, ex));
                });
        ch.out() << "\n" << attn::loss_curve_text(log.loss) << "\n";
        ch.write_svg("loss_curve", attn::line_plot_svg(attn::loss_curve_plot(
                                           log.loss, "Chapter 27: the training loss")));
        //! [step3]

        //! [step4]
        ch.step("4) held out: the answer, and where the query looks");
        attn::Random test_rng(rng_seed + 1);
        const attn::DocBatch held = task.draw(test_rng, 1000, true);
        const attn::DocScore s = attn::score(attn::doc_forward(model, held), held);
        ch.out() << "  1000 held-out documents:\n"
                 << "    accuracy (the right place)                          "
                 << attn::format_percent(s.accuracy) << "\n"
                 << "    mean weight on the sentence that answers            "
                 << attn::format_number(s.weight, 3) << "\n"
                 << "    the same, spread evenly over the " << task.K << " sentences       "
                 << attn::format_number(1.0 / double(task.K), 3) << "\n\n";
        const attn::DocForward after = attn::doc_forward(model, ex);
        show("weights_after", after, "(1, K) trained");
        ch.out() << "  answer: " << task.places[std::size_t(xt::argmax(xt::row(after.probs, 0))())]
                 << "\n\n";
        if (!dump.empty()) dump_at(dump, after);
        //! [step4]
    });
}
