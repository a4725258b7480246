// Chapter 24 (its title: chapters/manifest.tsv).
// "She didn't want to eat the cake because it was too sweet": a two-layer model trained to name
// what "it" refers to, on generated sentences, tested on noun-adjective pairs and noun orders
// it never saw; what one layer cannot do, and where the heads look.
#include <attention/random.hpp>
#include <attention/tasks.hpp>
#include <attention/training.hpp>
#include <workbook/chapter.hpp>
#include <workbook/training_view.hpp>

namespace {

using Words = std::vector<std::string>;

attn::Tokens one(const attn::Task& task, const Words& words) {
    const std::vector<long> ids = attn::encode(task, words);
    attn::Tokens t = xt::zeros<long>({std::size_t{1}, task.size.L});
    for (std::size_t i = 0; i < ids.size(); ++i) t(0, i) = ids[i];
    return t;
}

Words padded(Words w, std::size_t L) {
    while (w.size() < L) w.push_back("<pad>");
    return w;
}

std::size_t position_of(const Words& w, const std::string& word) {
    std::size_t i = 0;
    while (w[i] != word) ++i;
    return i;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "24_it_refers_to_cake",
            "",
            {{"--steps", "N", "training steps (default 1000)"},
             {"--seed", "S", "the random seed of the weights and batches (default 24)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        const attn::Task task = attn::referent_task(2);
        const std::size_t steps = ch.option_count("--steps", task.steps), L = task.size.L;
        const std::uint64_t rng_seed = attn::seed_option(ch, 24);
        const std::string dump = ch.dump_dir();
        ch.title();

        //! [step1]
        ch.step("1) the sentences");
        ch.say("Generated in one pattern: \"she didn't want to eat the FOOD from the CONTAINER "
               "because it "
               "was too ADJECTIVE\", the same with the nouns the other way round (\"... take the "
               "CONTAINER "
               "with the FOOD ...\"), and the one-noun form \"... eat the FOOD because it was too "
               "ADJECTIVE\". Six foods, six containers; five adjectives fit a food (sweet, salty, "
               "sour, "
               "spicy, stale), five a container (small, heavy, full, narrow, dirty). At \"it\" the "
               "model "
               "names the noun the adjective fits. Training never shows about a third of the "
               "noun-adjective pairs, nor about a third of the noun orders; the held-out sentences "
               "use "
               "only those.");
        //! [step1]

        //! [step2]
        ch.step("2) what one layer cannot do");
        ch.say("In one attention layer, \"it\"'s query is made from \"it\" and its position alone: "
               "the "
               "adjective comes after it, so the query cannot yet ask for the food or for the "
               "container. "
               "A second layer can: the first brings the adjective into \"it\"'s vector, and the "
               "second "
               "layer's query is made from that. Both models, trained " +
               std::to_string(steps) + " steps from random weights (E = 24, H = 2):");
        attn::Random rng(rng_seed);
        attn::Model two = attn::init_model(task.size, rng);
        attn::Model first_state = two;
        const attn::TrainLog log =
                attn::train(two, task, steps, rng, [&](std::size_t step, double loss) {
                    if (step % std::max<std::size_t>(1, steps / 4) == 0 || step == steps)
                        ch.out() << "  2 layers, step " << step << "  loss "
                                 << attn::format_number(loss, 4) << "\n";
                });
        ch.write_svg("loss_curve", attn::line_plot_svg(attn::loss_curve_plot(
                                           log.loss, "Chapter 24: two layers, training loss")));
        const attn::Model one_layer = attn::train_quietly(attn::referent_task(1), steps, rng_seed);
        attn::Random test_rng(rng_seed + 1);
        const attn::TaskBatch held = task.draw(test_rng, 1000, true);
        const attn::ModelForward f = attn::model_forward(two, held.tokens, held.targets);
        const double acc2 = attn::accuracy(f, held.targets);
        const double acc1 = attn::accuracy(
                attn::model_forward(one_layer, held.tokens, held.targets), held.targets);
        ch.out() << "\n  referent accuracy on 1000 held-out sentences:  1 layer "
                 << attn::format_percent(acc1) << "   2 layers " << attn::format_percent(acc2)
                 << "\n\n";
        //! [step2]

        //! [step3]
        ch.step("3) the source's sentence");
        const Words cake = padded({"she", "didn't", "want", "to", "eat", "the", "cake", "because",
                                   "it", "was", "too", "sweet"},
                                  L);
        const Words box = padded({"she", "didn't", "want", "to", "eat", "the", "cake", "from",
                                  "the", "box", "because", "it", "was", "too", "small"},
                                 L);
        const Words sweet = padded({"she", "didn't", "want", "to", "eat", "the", "cake", "from",
                                    "the", "box", "because", "it", "was", "too", "sweet"},
                                   L);
        for (const Words* w : {&cake, &sweet, &box}) {
            const attn::ModelForward fw = attn::model_forward(two, one(task, *w), {});
            const std::size_t it = position_of(*w, "it");
            std::size_t best = 0;
            for (std::size_t k = 1; k < task.classes.size(); ++k)
                if (fw.logits(it, k) > fw.logits(it, best)) best = k;
            std::string sentence;
            for (const std::string& x : *w)
                if (x != "<pad>") sentence += (sentence.empty() ? "" : " ") + x;
            ch.out() << "  \"" << sentence << "\"  ->  it = " << task.classes[best] << "\n";
        }
        ch.out() << "\n";
        const attn::ModelForward fc = attn::model_forward(two, one(task, cake), {});
        const std::size_t it = position_of(cake, "it");
        for (std::size_t layer = 0; layer < 2; ++layer) {
            const attn::Tensor3 w = attn::head_weights(fc, layer, 0);
            attn::Matrix rows =
                    xt::view(w, xt::all(), it, xt::all());  // (H, L): "it"'s row in every head
            ch.heatmap("it_row_layer" + std::to_string(layer), rows, {{"head 0", "head 1"}, cake},
                       "layer " + std::to_string(layer) + ": \"it\"'s attention in each head");
        }
        //! [step3]

        //! [step4]
        ch.step("4) where the last layer looks");
        ch.say("On the held-out sentences, each head's mean weight from \"it\" on the food, on the "
               "container, on the adjective, and on the noun \"it\" refers to:");
        const auto find = [&](std::size_t b, long lo, long hi) {
            for (std::size_t i = 0; i < L; ++i)
                if (held.tokens(b, i) >= lo && held.tokens(b, i) < hi) return long(i);
            return -1L;
        };
        const auto it_at = [&](std::size_t b) {
            std::size_t i = 0;
            while (held.targets(b, i) == attn::kNoTarget) ++i;
            return i;
        };
        const long food0 = long(attn::encode(task, {"cake"})[0]),
                   box0 = long(attn::encode(task, {"box"})[0]);
        const long taste0 = long(attn::encode(task, {"sweet"})[0]);
        const std::vector<std::pair<std::string, std::function<long(std::size_t, std::size_t)>>>
                roles = {{"food",
                          [&](std::size_t b, std::size_t i) {
                              return i == it_at(b) ? find(b, food0, food0 + 6) : -1L;
                          }},
                         {"container",
                          [&](std::size_t b, std::size_t i) {
                              return i == it_at(b) ? find(b, box0, box0 + 6) : -1L;
                          }},
                         {"adjective",
                          [&](std::size_t b, std::size_t i) {
                              return i == it_at(b) ? find(b, taste0, taste0 + 10) : -1L;
                          }},
                         {"referent", [&](std::size_t b, std::size_t i) {
                              return i == it_at(b) ? find(b, food0 + held.targets(b, i),
                                                          food0 + held.targets(b, i) + 1)
                                                   : -1L;
                          }}};
        ch.out() << "                 ";
        for (const auto& r : roles) ch.out() << "  " << r.first;
        ch.out() << "\n";
        for (std::size_t layer = 0; layer < 2; ++layer)
            for (std::size_t h = 0; h < 2; ++h) {
                ch.out() << "  layer " << layer << " head " << h << " ";
                for (const auto& r : roles) {
                    const std::string v =
                            attn::format_number(attn::role_score(f, layer, h, r.second, L), 2);
                    ch.out() << std::string(r.first.size() + 2 - v.size(), ' ') << v;
                }
                ch.out() << "\n";
            }
        std::size_t pointed = 0;
        std::size_t best_head = attn::role_score(f, 1, 0, roles[3].second, L) >=
                                                attn::role_score(f, 1, 1, roles[3].second, L)
                                        ? 0
                                        : 1;
        for (std::size_t b = 0; b < held.tokens.shape(0); ++b)
            pointed += f.layers[1].weights(b, best_head, it_at(b),
                                           std::size_t(roles[3].second(b, it_at(b)))) >= 0.5;
        ch.out() << "\n  held-out sentences where the last layer's best head (head " << best_head
                 << ") puts >= 0.5 on the referent: "
                 << attn::format_percent(double(pointed) / double(held.tokens.shape(0))) << "\n\n";
        const double adjective = std::max(attn::role_score(f, 0, 0, roles[2].second, L),
                                          attn::role_score(f, 0, 1, roles[2].second, L));
        if (adjective >= 0.5)
            ch.say("The first layer has a head that looks from \"it\" at the adjective (its mean "
                   "weight "
                   "there: " +
                   attn::format_number(adjective, 2) +
                   "): that is how the adjective reaches "
                   "\"it\"'s vector, and so the second layer's query.");
        if (double(pointed) >= 0.9 * double(held.tokens.shape(0)))
            ch.say("The last layer then points at the referent: the picture of \"it\" looking back "
                   "at "
                   "\"cake\", learned.");
        else
            ch.say("The last layer does not simply point at the referent: its heads share their "
                   "weight "
                   "between the two nouns, and the read-out, with the adjective already in "
                   "\"it\"'s vector, "
                   "names the right one. Looking back at \"cake\" alone is one way attention can "
                   "resolve "
                   "\"it\"; this training found a mix, and the table shows it rather than the "
                   "picture.");
        //! [step4]

        if (!dump.empty()) {
            const attn::Tokens example = one(task, cake);
            attn::dump_layers(attn::checkpoint_dir(dump, 0), first_state,
                              attn::model_forward(first_state, example, {}), 0, cake, &example);
            attn::dump_layers(attn::checkpoint_dir(dump, steps), two, fc, 0, cake, &example);
            attn::dump_layers(dump, two, fc, 0, cake, &example);
            attn::dump_state_dict(dump, two);
        }
    });
}
