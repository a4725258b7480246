// Chapter 25 (its title: chapters/manifest.tsv).
// A causal model (chapter 13's mask) learns the next word of a small generated language in
// which the verb agrees with a noun several words back, past a nearer noun; then it writes
// sentences one token at a time with chapter 17's key/value cache.
#include <algorithm>
#include <numeric>

#include <attention/random.hpp>
#include <attention/tasks.hpp>
#include <attention/training.hpp>
#include <workbook/chapter.hpp>
#include <workbook/training_view.hpp>

namespace {

using Words = std::vector<std::string>;

// The example, whose two noun stems (key, lamp) are a pair training never shows.
const Words kExample = {"the", "keys", "near", "the", "old", "lamp", "are", "."};

attn::Tokens one(const attn::Task& task, const Words& words) {
    const std::vector<long> ids = attn::encode(task, words);
    attn::Tokens t = xt::zeros<long>({std::size_t{1}, ids.size()});
    std::copy(ids.begin(), ids.end(), t.begin());
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "25_next_word",
            "",
            {{"--steps", "N", "training steps (default 400)"},
             {"--seed", "S", "the random seed of the weights and batches (default 25)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        const attn::Task task = attn::agreement_task();
        const std::size_t steps = ch.option_count("--steps", task.steps);
        const std::uint64_t rng_seed = attn::seed_option(ch, 25);
        const std::string dump = ch.dump_dir();
        const attn::Tokens ex = one(task, kExample);
        const attn::Labels labels = attn::word_labels(kExample);
        ch.title();

        //! [step1]
        ch.step("1) the language and the model");
        ch.say("Generated sentences \"the NOUN near the [ADJ [ADJ]] NOUN VERB .\": six noun stems, "
               "each "
               "singular or plural (key/keys, door/doors, book/books, lamp/lamps, box/boxes, "
               "cabinet/cabinets), zero to two of four adjectives (each drawn on its own, so \"old "
               "old\" can happen), and the verb \"is\" or \"are\", "
               "which "
               "agrees with the FIRST noun. The two nouns' numbers are drawn independently, so the "
               "nearer "
               "noun "
               "is no guide. A third of the 36 pairs of noun stems are kept for the held-out "
               "sentences. "
               "The model (E = 24, two heads, one layer, random weights, random seed " +
               std::to_string(rng_seed) +
               ") predicts the next word at every position, through "
               "chapter 13's causal mask: position i sees words 0..i only. At the second noun the "
               "next "
               "word is the verb: that is the deciding position.");
        //! [step1]

        //! [step2]
        ch.step("2) before training");
        attn::Random rng(rng_seed);
        attn::Model model = attn::init_model(task.size, rng);
        const attn::ModelForward before = attn::model_forward(model, ex, {});
        ch.heatmap("weights_before", attn::head_weights(before, 0, 0), labels,
                   "(H, L, L) untrained: above the diagonal 0, the mask");
        if (!dump.empty())
            attn::dump_layers(attn::checkpoint_dir(dump, 0), model, before, 0, kExample);
        //! [step2]

        //! [step3]
        ch.step("3) training: Adam, " + std::to_string(steps) + " steps of " +
                std::to_string(task.batch) + " sentences");
        const std::size_t every = std::max<std::size_t>(1, steps / 4);
        const attn::TrainLog log =
                attn::train(model, task, steps, rng, [&](std::size_t step, double loss) {
                    if (step % every != 0 && step != steps) return;
                    ch.out() << "  step " << step << "  loss " << attn::format_number(loss, 4)
                             << "\n";
                    if (!dump.empty())
                        attn::dump_layers(attn::checkpoint_dir(dump, step), model,
                                          attn::model_forward(model, ex, {}), 0, kExample);
                });
        ch.out() << "\n" << attn::loss_curve_text(log.loss) << "\n";
        ch.write_svg("loss_curve", attn::line_plot_svg(attn::loss_curve_plot(
                                           log.loss, "Chapter 25: the training loss")));
        ch.say("The loss cannot reach 0: which noun follows \"the\", and which adjective, are "
               "drawn at "
               "random, so no model can predict them. The verb can be predicted, and the full "
               "stop.");
        //! [step3]

        //! [step4]
        ch.step("4) the deciding positions, held out");
        attn::Random test_rng(rng_seed + 1);
        const attn::TaskBatch held = task.draw(test_rng, 2000, true);
        const attn::Tokens deciding = attn::deciding_targets(task, held.targets);
        const attn::ModelForward f = attn::model_forward(model, held.tokens, held.targets);
        // key_of: from the deciding position, the first noun (position 1); -1 for every other row
        const auto first_noun = [&](std::size_t b, std::size_t i) {
            return deciding(b, i) == attn::kNoTarget ? -1L : 1L;
        };
        std::size_t nearer_agrees = 0, rows = 0;  // how often the nearer noun has the verb's number
        for (std::size_t b = 0; b < held.tokens.shape(0); ++b)
            for (std::size_t i = 0; i < task.size.L; ++i)
                if (deciding(b, i) != attn::kNoTarget) {
                    const std::string& noun = task.vocab[std::size_t(held.tokens(b, i))];
                    nearer_agrees += (noun.back() == 's') ==
                                     (task.vocab[std::size_t(deciding(b, i))] == "are");
                    ++rows;
                }
        ch.out() << "  2000 held-out sentences (noun pairs training never saw):\n"
                 << "    next-word accuracy at the deciding position   "
                 << attn::format_percent(attn::accuracy(f, deciding)) << "\n"
                 << "    mean attention there on the first noun        head 0 "
                 << attn::format_number(attn::role_score(f, 0, 0, first_noun, task.size.L), 2)
                 << "   head 1 "
                 << attn::format_number(attn::role_score(f, 0, 1, first_noun, task.size.L), 2)
                 << "\n"
                 << "    copying the nearer noun's number would score  "
                 << attn::format_percent(double(nearer_agrees) / double(rows)) << "\n\n";
        const double share = std::max(attn::role_score(f, 0, 0, first_noun, task.size.L),
                                      attn::role_score(f, 0, 1, first_noun, task.size.L));
        if (share >= 0.9)
            ch.say("One head puts nearly all of the deciding position's weight on the first noun: "
                   "the "
                   "word that decides, found from the next-word loss alone.");
        else
            ch.say("No head looks only at the first noun: the better one puts " +
                   attn::format_number(share, 2) +
                   " of the deciding position's weight there on average, the rest elsewhere. That "
                   "is "
                   "enough of the first noun's value for the read-out to choose the verb; the rows "
                   "below show where the rest goes in the example.");
        const attn::ModelForward after = attn::model_forward(model, ex, {});
        ch.heatmap("weights_after", attn::head_weights(after, 0, 0), labels, "(H, L, L) trained");
        attn::Matrix lamp_rows = xt::view(attn::head_weights(after, 0, 0), xt::all(), 5,
                                          xt::all());  // (H, L): "lamp"'s row
        ch.heatmap("deciding_row", lamp_rows, {{"head 0", "head 1"}, kExample},
                   "the deciding position's row in each head: where \"lamp\" looks to choose the "
                   "verb");
        //! [step4]

        //! [step5]
        ch.step("5) writing, one token at a time, with the key/value cache");
        ch.say("Each layer keeps the keys and values of the words so far (chapter 17's KVCache); "
               "each "
               "new word adds one row and asks one query. At every step, the three likeliest next "
               "words; "
               "the likeliest is taken.");
        for (const Words& prompt :
             {Words{"the", "keys", "near", "the", "old", "lamp"},
              Words{"the", "key", "near", "the", "red", "lamps"}, Words{"the"}}) {
            attn::CachedModel gen(model);
            Words text = prompt;
            attn::Vector p;
            for (const std::string& w : prompt) p = gen.step(attn::encode(task, {w})[0]);
            while (gen.length() < task.size.L && text.back() != ".") {
                std::vector<std::size_t> order(p.size());
                std::iota(order.begin(), order.end(), 0);
                std::stable_sort(order.begin(), order.end(),
                                 [&](std::size_t a, std::size_t b) { return p(a) > p(b); });
                ch.out() << "  after \"" << text.back() << "\":";
                for (std::size_t k = 0; k < 3; ++k)
                    ch.out() << "  " << task.vocab[order[k]] << " "
                             << attn::format_number(p(order[k]), 2);
                ch.out() << "\n";
                text.push_back(task.vocab[order[0]]);
                p = gen.step(long(order[0]));
            }
            std::string s;
            for (const std::string& w : text) s += (s.empty() ? "" : " ") + w;
            ch.out() << "  -> \"" << s << "\"\n\n";
        }
        //! [step5]

        if (!dump.empty()) {
            attn::dump_layers(dump, model, after, 0, kExample);
            attn::dump_state_dict(dump, model);
        }
    });
}
