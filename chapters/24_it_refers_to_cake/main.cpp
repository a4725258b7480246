// Chapter 24 (its title: chapters/manifest.tsv).
// "She didn't want to eat the cake because it was too sweet": a two-layer model trained to name
// what "it" refers to, on generated sentences, tested on noun-adjective pairs and noun orders
// it never saw; what one layer cannot do, and where the heads look.
#include <cstdio>

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

// x with as few digits as it needs: 1, 0.5, 0.25
std::string shortest(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

std::string sentence(const Words& w) {
    std::string out;
    for (const std::string& x : w)
        if (x != "<pad>") out += (out.empty() ? "" : " ") + x;
    return out;
}

// The class the model names at "it" in one sentence.
std::string resolve(const attn::Model& m, const attn::Task& task, const Words& w) {
    const attn::ModelForward fw = attn::model_forward(m, one(task, w), {});
    const std::size_t it = position_of(w, "it");
    std::size_t best = 0;
    for (std::size_t k = 1; k < task.classes.size(); ++k)
        if (fw.logits(it, k) > fw.logits(it, best)) best = k;
    return task.classes[best];
}

using KeyOf = std::function<long(std::size_t, std::size_t)>;
using Roles = std::vector<std::pair<std::string, KeyOf>>;

// For the rows (b, "it") of held-out sentences: the key of the referent, of the other noun
// (−1 in one-noun sentences) and of the adjective; −1 on every other row.
Roles held_out_roles(const attn::Task& task, const attn::TaskBatch& held, long noun0, long nouns) {
    const std::size_t L = task.size.L;
    const long adjective0 = long(attn::encode(task, {"sweet"})[0]);
    const long adjectives = long(task.vocab.size()) - adjective0;  // the adjectives come last
    const auto it_at = [&held](std::size_t b) {
        std::size_t i = 0;
        while (held.targets(b, i) == attn::kNoTarget) ++i;
        return i;
    };
    // the first key of sequence b whose token id t is in [lo, hi) and passes pick(t); −1: none
    const auto find = [&held, L](std::size_t b, long lo, long hi, auto pick) {
        for (std::size_t i = 0; i < L; ++i)
            if (held.tokens(b, i) >= lo && held.tokens(b, i) < hi && pick(held.tokens(b, i)))
                return long(i);
        return -1L;
    };
    const auto at_it = [it_at](auto key) {
        return [it_at, key](std::size_t b, std::size_t i) { return i == it_at(b) ? key(b) : -1L; };
    };
    const auto referent = [&held, it_at, noun0](std::size_t b) {
        return noun0 + held.targets(b, it_at(b));
    };
    return {{"referent", at_it([=](std::size_t b) {
                 return find(b, noun0, noun0 + nouns, [&](long t) { return t == referent(b); });
             })},
            {"other noun", at_it([=](std::size_t b) {
                 return find(b, noun0, noun0 + nouns, [&](long t) { return t != referent(b); });
             })},
            {"adjective", at_it([=](std::size_t b) {
                 return find(b, adjective0, adjective0 + adjectives, [](long) { return true; });
             })}};
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "24_it_refers_to_cake",
            "",
            {{"--steps", "N", "training steps (default 1000)"},
             {"--seed", "S", "the random seed of the weights and batches (default 24)"},
             {"--weight-decay", "W", "AdamW's weight decay (default 1; 0 is plain Adam)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        attn::Task task = attn::referent_task(2);
        task.weight_decay = ch.option_number("--weight-decay", task.weight_decay);
        const std::size_t steps = ch.option_count("--steps", task.steps), L = task.size.L;
        const std::uint64_t rng_seed = attn::seed_option(ch, 24);
        const std::string dump = ch.dump_dir();
        ch.title();

        //! [step1]
        ch.step("1) the sentences");
        ch.say("Generated in two patterns. \"she didn't want to eat the FOOD from the CONTAINER "
               "because it was too ADJECTIVE\", the same with the nouns the other way round "
               "(\"... take the CONTAINER with the FOOD ...\"), and the one-noun form \"... eat "
               "the FOOD because it was too ADJECTIVE\": six foods, six containers; five "
               "adjectives fit a food (sweet, salty, sour, spicy, stale), five a container "
               "(small, heavy, full, narrow, dirty). And \"she couldn't fit the THING in the "
               "CONTAINER because it was too ADJECTIVE\", the thing a food or another container: "
               "big, wide, tall, long and large fit the thing, small, full and narrow the "
               "container. At \"it\" the model names the noun the adjective fits. Training never "
               "shows about a third of the noun-adjective pairs, nor about a third of the noun "
               "orders; the held-out sentences use only those.");
        //! [step1]

        //! [step2]
        ch.step("2) what one layer cannot do");
        ch.say("In one attention layer, \"it\"'s query is made from \"it\" and its position "
               "alone: the adjective comes after it, so the query cannot ask for the noun the "
               "adjective fits. Such a layer can still bring both nouns and the adjective into "
               "\"it\"'s vector for the read-out to combine, but it cannot point at the referent. "
               "A second layer can: the first brings the adjective into \"it\"'s vector, and the "
               "second layer's query is made from that. Both models, trained " +
               std::to_string(steps) + " steps from random weights (E = 24, H = 2; " +
               (task.weight_decay > 0 ? "AdamW, weight decay " + shortest(task.weight_decay)
                                      : std::string("Adam, no weight decay")) +
               "):");
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
        attn::Task one_layer_task = attn::referent_task(1);
        one_layer_task.weight_decay = task.weight_decay;
        const attn::Model one_layer = attn::train_quietly(one_layer_task, steps, rng_seed);
        attn::Random test_rng(rng_seed + 1);
        const attn::TaskBatch held = task.draw(test_rng, 1000, true);
        const attn::ModelForward f = attn::model_forward(two, held.tokens, held.targets);
        const attn::ModelForward f1 = attn::model_forward(one_layer, held.tokens, held.targets);
        // the key each held-out sentence's "it" should look at: its referent (−1 on other rows)
        const long noun0 = long(attn::encode(task, {"cake"})[0]), nouns = long(task.classes.size());
        const Roles roles = held_out_roles(task, held, noun0, nouns);
        // the referent's key in the sentences with two nouns only (−1 in the others)
        const KeyOf referent_of_two = [&roles](std::size_t b, std::size_t i) {
            return roles[1].second(b, i) >= 0 ? roles[0].second(b, i) : -1L;
        };
        // the last layer's best head (the most weight on the referent, on average); the share
        // of sentences where it puts >= 0.5 there, in all of them and in those with two nouns
        const auto pointing = [&](const attn::ModelForward& fw) {
            const std::size_t last = fw.layers.size() - 1;
            const std::size_t h = attn::role_score(fw, last, 0, roles[0].second, L) >=
                                                  attn::role_score(fw, last, 1, roles[0].second, L)
                                          ? 0
                                          : 1;
            return std::make_tuple(h, attn::role_share(fw, last, h, roles[0].second, L),
                                   attn::role_share(fw, last, h, referent_of_two, L));
        };
        const auto [best1, pointed1, pointed1_two] = pointing(f1);
        const auto [best_head, pointed, pointed_two] = pointing(f);
        const auto row = [&](const std::string& name, double one, double two_layers) {
            ch.out() << "  " << name << std::string(40 - name.size(), ' ')
                     << attn::pad_left(attn::format_percent(one), 7) << "    "
                     << attn::pad_left(attn::format_percent(two_layers), 7) << "\n";
        };
        ch.out() << "\n  on 1000 held-out sentences" << std::string(14, ' ')
                 << "1 layer   2 layers\n";
        row("referent accuracy", attn::accuracy(f1, held.targets), attn::accuracy(f, held.targets));
        row("\"it\" points at the referent (>= 0.5)", pointed1, pointed);
        row("  in the sentences with two nouns", pointed1_two, pointed_two);
        ch.out() << "\n";
        ch.say("\"Points\": the last layer's best head (head " + std::to_string(best1) +
               " of one layer, head " + std::to_string(best_head) +
               " of two) puts at least half of \"it\"'s weight on the referent. With one noun "
               "there is nothing to choose; with two, one layer's query cannot choose.");
        //! [step2]

        //! [step3]
        ch.step("3) the explainer's sentence");
        const Words cake = padded({"she", "didn't", "want", "to", "eat", "the", "cake", "because",
                                   "it", "was", "too", "sweet"},
                                  L);
        const Words box = padded({"she", "didn't", "want", "to", "eat", "the", "cake", "from",
                                  "the", "box", "because", "it", "was", "too", "small"},
                                 L);
        const Words sweet = padded({"she", "didn't", "want", "to", "eat", "the", "cake", "from",
                                    "the", "box", "because", "it", "was", "too", "sweet"},
                                   L);
        const Words big = padded({"she", "couldn't", "fit", "the", "box", "in", "the", "bag",
                                  "because", "it", "was", "too", "big"},
                                 L);
        const Words small = padded({"she", "couldn't", "fit", "the", "box", "in", "the", "bag",
                                    "because", "it", "was", "too", "small"},
                                   L);
        for (const Words* w : {&cake, &sweet, &box, &big, &small})
            ch.out() << "  \"" << sentence(*w) << "\"  ->  it = " << resolve(two, task, *w) << "\n";
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
        ch.say("On the held-out sentences, each head's mean weight from \"it\" on the noun \"it\" "
               "refers to, on the other noun (in the sentences that have two), and on the "
               "adjective:");
        ch.out() << "                 ";
        for (const auto& r : roles) ch.out() << "  " << r.first;
        ch.out() << "\n";
        for (std::size_t layer = 0; layer < 2; ++layer)
            for (std::size_t h = 0; h < 2; ++h) {
                ch.out() << "  layer " << layer << " head " << h << " ";
                for (const auto& r : roles)
                    ch.out() << attn::pad_left(
                            attn::format_number(attn::role_score(f, layer, h, r.second, L), 2),
                            r.first.size() + 2);
                ch.out() << "\n";
            }
        ch.out() << "\n";
        const double adjective = std::max(attn::role_score(f, 0, 0, roles[2].second, L),
                                          attn::role_score(f, 0, 1, roles[2].second, L));
        if (adjective >= 0.3)
            ch.say("The first layer has a head that looks from \"it\" at the adjective (its mean "
                   "weight there: " +
                   attn::format_number(adjective, 2) +
                   "): that is how the adjective reaches \"it\"'s vector, and so the second "
                   "layer's query.");
        if (pointed >= 0.9)
            ch.say("The last layer then points at the referent: the picture of \"it\" looking "
                   "back at \"cake\", learned.");
        else
            ch.say("The last layer does not simply point at the referent. Pointing is one way "
                   "attention can resolve \"it\"; this run found another (a head can share its "
                   "weight between the two nouns, or look at the adjective once the first layer "
                   "has brought a noun there), and the table shows it rather than the picture.");
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
