// Chapter 23 (its title: chapters/manifest.tsv).
// Two heads trained from random weights on a task that needs two relationships at once: each
// head takes one. Scored against role templates, compared with one head of the same width,
// then the same on generated "the cat chased the mouse" sentences.
#include <cstdio>
#include <sstream>

#include <attention/random.hpp>
#include <attention/tasks.hpp>
#include <attention/training.hpp>
#include <workbook/chapter.hpp>
#include <workbook/training_view.hpp>

namespace {

using Role = std::function<long(std::size_t, std::size_t)>;

// A batch of one sequence of words (targets: none; only the attention is shown).
attn::Tokens one(const attn::Task& task, const std::vector<std::string>& words) {
    const std::vector<long> ids = attn::encode(task, words);
    attn::Tokens t = xt::zeros<long>({std::size_t{1}, task.size.L});
    for (std::size_t i = 0; i < ids.size(); ++i) t(0, i) = ids[i];
    return t;
}

// Trains a model of the task's sizes from random seed s, printing the loss every so often.
attn::Model trained(attn::Chapter& ch, const attn::Task& task, std::size_t steps, std::uint64_t s,
                    std::vector<double>* loss = nullptr) {
    attn::Random rng(s);
    attn::Model m = attn::init_model(task.size, rng);
    const attn::TrainLog log = attn::train(m, task, steps, rng, [&](std::size_t step, double l) {
        if (step % std::max<std::size_t>(1, steps / 3) == 0 || step == steps)
            ch.out() << "  " << task.size.H << " head(s), step " << step << "  loss "
                     << attn::format_number(l, 4) << "\n";
    });
    if (loss) *loss = log.loss;
    return m;
}

// The role table: every head's mean weight on each role's key, on held-out sequences.
void role_table(attn::Chapter& ch, const attn::ModelForward& f,
                const std::vector<std::pair<std::string, Role>>& roles, std::size_t H,
                std::size_t L) {
    ch.out() << "          ";
    for (const auto& r : roles) ch.out() << "  " << r.first;
    ch.out() << "\n";
    for (std::size_t h = 0; h < H; ++h) {
        ch.out() << "  head " << h << " ";
        for (const auto& r : roles) {
            const std::string v = attn::format_number(attn::role_score(f, 0, h, r.second, L), 2);
            ch.out() << std::string(r.first.size() + 2 - v.size(), ' ') << v;
        }
        ch.out() << "\n";
    }
    ch.out() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "23_heads_learn",
            "",
            {{"--steps", "N", "training steps of the digit task (default 150)"},
             {"--seed", "S", "the random seed of the weights and batches (default 23)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        const attn::Task task = attn::previous_and_first_task(2),
                         one_head = attn::previous_and_first_task(1);
        const std::size_t steps = ch.option_count("--steps", task.steps), L = task.size.L;
        const std::uint64_t rng_seed = attn::seed_option(ch, 23);
        const std::string dump = ch.dump_dir();
        ch.title();

        //! [step1]
        ch.step("1) a task that needs two relationships");
        ch.say("Sequences of 8 digits from 0 to 5. At every position but the first, name two "
               "digits: the "
               "one just before it and the first of the sequence (36 answers, \"previous,first\"). "
               "Both "
               "are read from other positions, and both are digits of the same kind, so a head "
               "that "
               "looks at both gets their value vectors added into one: which was which is lost "
               "unless "
               "it weighs them unequally. Two heads can each look at one. The model is chapter "
               "22's, "
               "E = 24, drawn at random; nothing is set by hand.");
        const std::vector<std::string> example = {"2", "5", "0", "3", "1", "4", "4", "1"};
        const attn::Labels labels = attn::word_labels(example);
        const attn::Tokens ex = one(task, example);
        attn::Random init_rng(rng_seed);
        const attn::Model untrained = attn::init_model(task.size, init_rng);
        ch.heatmap("heads_before", attn::head_weights(attn::model_forward(untrained, ex, {}), 0, 0),
                   labels, "(H, L, L) untrained: flat");
        //! [step1]

        //! [step2]
        ch.step("2) two heads, trained");
        std::vector<double> loss;
        attn::Model two = trained(ch, task, steps, rng_seed, &loss);
        ch.write_svg("loss_curve", attn::line_plot_svg(attn::loss_curve_plot(
                                           loss, "Chapter 23: two heads, training loss")));
        const attn::ModelForward fx = attn::model_forward(two, ex, {});
        ch.out() << "\n";
        ch.heatmap("heads_after", attn::head_weights(fx, 0, 0), labels, "(H, L, L) trained");
        ch.say("Row 0 has no target, so nothing trained it; in row 1 the token before is the first "
               "token, so both relationships point at key 0.");
        //! [step2]

        //! [step3]
        ch.step("3) what each head does: role scores");
        ch.say("A role template names one key for each query; a head's score is its mean weight on "
               "that "
               "key over 1000 held-out sequences (queries 2 to 7, where the previous and the first "
               "token differ).");
        attn::Random test_rng(rng_seed + 1);
        const attn::TaskBatch held = task.draw(test_rng, 1000, true);
        const attn::ModelForward f = attn::model_forward(two, held.tokens, held.targets);
        const auto from2 = [](long key) {
            return [key](std::size_t, std::size_t i) { return i >= 2 ? long(i) + key : -1L; };
        };
        const std::vector<std::pair<std::string, Role>> roles = {
                {"previous token", from2(-1)},
                {"first token", [](std::size_t, std::size_t i) { return i >= 2 ? 0L : -1L; }},
                {"itself", from2(0)}};
        role_table(ch, f, roles, 2, L);
        //! [step3]

        //! [step4]
        ch.step("4) one head of the same width");
        ch.say("The same model with H = 1 (one head of width 24 instead of two of 12), against two "
               "heads, "
               "each trained " +
               std::to_string(steps) +
               " steps from five random seeds (the same seed "
               "gives both the same batches); held-out accuracy on the same 1000 sequences:");
        ch.out() << "  random seed   2 heads   1 head\n";
        double sum2 = 0, sum1 = 0;
        for (std::uint64_t s = rng_seed; s < rng_seed + 5; ++s) {
            const attn::Model m2 = s == rng_seed ? two : attn::train_quietly(task, steps, s);
            const attn::Model m1 = attn::train_quietly(one_head, steps, s);
            const double a2 = attn::accuracy(attn::model_forward(m2, held.tokens, held.targets),
                                             held.targets);
            const double a1 = attn::accuracy(attn::model_forward(m1, held.tokens, held.targets),
                                             held.targets);
            sum2 += a2, sum1 += a1;
            ch.out() << "  " << attn::pad_left(std::to_string(s), 11) << "   "
                     << attn::pad_left(attn::format_percent(a2), 7) << "  "
                     << attn::pad_left(attn::format_percent(a1), 7) << "\n";
        }
        ch.out() << "  mean          " << attn::pad_left(attn::format_percent(sum2 / 5), 7) << "  "
                 << attn::pad_left(attn::format_percent(sum1 / 5), 7) << "\n\n";
        ch.say("Where one head stalls (near 29%) it has not found the unequal weighting that would "
               "keep "
               "the two digits apart; where it finds it, it comes close to two heads. Two "
               "heads give "
               "each relationship its own weights and find both quickly.");
        //! [step4]

        //! [step5]
        ch.step("5) sentences: who did what to whom");
        const attn::Task svo = attn::subject_verb_object_task(2);
        ch.say("Sentences from a small grammar, \"the [big/small/old/young] ANIMAL VERB the "
               "[adjective] "
               "ANIMAL\" (6 animals, 4 verbs, adjectives optional so the nouns move). At the verb, "
               "name "
               "the subject and the object, 36 answers. Trained from random weights, 400 steps:");
        attn::Model sv = trained(ch, svo, svo.steps, rng_seed + 2);
        const std::vector<std::string> cat = {"the",   "cat",   "chased", "the",
                                              "mouse", "<pad>", "<pad>"};
        const attn::ModelForward fc = attn::model_forward(sv, one(svo, cat), {});
        ch.out() << "\n";
        ch.heatmap("sentence_heads", attn::head_weights(fc, 0, 0), attn::word_labels(cat),
                   "(H, L, L) trained");
        const attn::TaskBatch sent = svo.draw(test_rng, 1000, true);
        const attn::ModelForward fs = attn::model_forward(sv, sent.tokens, sent.targets);
        const auto verb = [&](std::size_t b, std::size_t i) {
            return sent.targets(b, i) != attn::kNoTarget;
        };
        const auto last_word = [&](std::size_t b) {
            long k = long(svo.size.L);
            while (sent.tokens(b, std::size_t(k - 1)) == 0) --k;
            return k - 1;
        };
        const Role subject = [&](std::size_t b, std::size_t i) {
            return verb(b, i) ? long(i) - 1 : -1L;
        };
        const Role object = [&](std::size_t b, std::size_t i) {
            return verb(b, i) ? last_word(b) : -1L;
        };
        role_table(ch, fs,
                   {{"subject", subject},
                    {"object", object},
                    {"itself",
                     [&](std::size_t b, std::size_t i) { return verb(b, i) ? long(i) : -1L; }}},
                   2, 7);
        ch.out() << "  held-out accuracy (the verb's subject and object): "
                 << attn::format_percent(attn::accuracy(fs, sent.targets)) << "\n\n";
        const double best_object = std::max(attn::role_score(fs, 0, 0, object, 7),
                                            attn::role_score(fs, 0, 1, object, 7));
        const double best_subject = std::max(attn::role_score(fs, 0, 0, subject, 7),
                                             attn::role_score(fs, 0, 1, subject, 7));
        if (best_subject >= 0.8 && best_object >= 0.8)
            ch.say("On the held-out sentences the verb's row found both links, each in a head of "
                   "its own: subject and object.");
        else
            ch.say("Not every link got a head of its own here: the role scores show which did. The "
                   "answers "
                   "can be right all the same, because the read-out sees both heads' outputs side "
                   "by side; "
                   "a role score only tests the one template it is given.");
        const attn::Tensor3 wc = attn::head_weights(fc, 0, 0);  // (H, L, L), the example
        ch.say("In the example above, the verb \"chased\" gives \"cat\" " +
               attn::format_number(wc(0, 2, 1), 2) + " in head 0 and " +
               attn::format_number(wc(1, 2, 1), 2) + " in head 1, and \"mouse\" " +
               attn::format_number(wc(0, 2, 4), 2) + " and " + attn::format_number(wc(1, 2, 4), 2) +
               ": the role scores are means over 1000 held-out sentences, and one sentence need "
               "not match them. Only the verb's row has a target; the other rows were never "
               "trained.");
        ch.say("Chapter 12 set three heads' weights by hand to show how weights can find such "
               "links; here "
               "what each head links was learned from the loss alone.");
        //! [step5]

        if (!dump.empty()) {
            attn::dump_layers(dump, two, fx, 0, example);
            attn::dump_state_dict(dump, two);
            attn::dump_layers(dump + "/sentence", sv, fc, 0, cat);
            attn::dump_state_dict(dump + "/sentence", sv);
        }
    });
}
