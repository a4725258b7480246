// Chapter 22 (its title: chapters/manifest.tsv).
// A tiny attention model trained from scratch: the loss, the backward pass of the whole
// model checked by central differences, Adam, and the loss falling step by step.
#include <cmath>

#include <attention/random.hpp>
#include <attention/tasks.hpp>
#include <attention/training.hpp>
#include <workbook/chapter.hpp>
#include <workbook/training_view.hpp>

using attn::Matrix;
using attn::Tensor3;

namespace {

// The example the chapter follows: the first digits of π that are below 8.
const std::vector<std::string> kExample = {"3", "1", "4", "1", "5", "2", "6", "5"};

// The example as a batch of one, with its targets (each token names the one before it).
attn::TaskBatch example(const attn::Task& task) {
    attn::TaskBatch b{xt::empty<long>({std::size_t{1}, kExample.size()}),
                      xt::empty<long>({std::size_t{1}, kExample.size()})};
    const std::vector<long> ids = attn::encode(task, kExample);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        b.tokens(0, i) = ids[i];
        b.targets(0, i) = i ? ids[i - 1] : attn::kNoTarget;
    }
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "22_training_loop",
            "",
            {{"--steps", "N", "training steps (default 300)"},
             {"--seed", "S", "the random seed of the weights and batches (default 22)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        const attn::Task task = attn::previous_token_task();
        const std::size_t steps = ch.option_count("--steps", task.steps);
        const std::uint64_t rng_seed = attn::seed_option(ch, 22);
        ch.title();
        attn::Random rng(rng_seed);
        attn::Model model = attn::init_model(task.size, rng);
        const attn::TaskBatch ex = example(task);
        const attn::Labels labels = attn::word_labels(kExample);

        //! [step1]
        ch.step("1) the task and the model");
        ch.say("Sequences of 8 digits from 0 to 7. At every position but the first the model must "
               "name "
               "the digit just before it: a relationship between positions, which attention can "
               "learn. "
               "The model: embedding (8 tokens) + position (8 positions), one multi-head attention "
               "layer "
               "(E = 16, H = 2) added to its input, a linear read-out scoring the 8 answers. The "
               "weights "
               "are drawn at random (random seed " +
               std::to_string(rng_seed) +
               "); nothing is set by hand. The example the chapter follows is 3 1 4 1 5 2 6 5, "
               "the first digits of π below 8, with the targets none, 3, 1, 4, 1, 5, 2, 6.");
        for (const attn::NamedArray& a : attn::named_parameters(model))
            ch.out() << "  " << a.name << "  " << attn::shape_str(a.shape) << "\n";
        ch.out() << "\n";
        //! [step1]

        //! [step2]
        ch.step("2) the loss before training");
        const attn::ModelForward before = attn::model_forward(model, ex.tokens, ex.targets);
        ch.say("The loss is the mean over the positions with a target of −log(the probability the "
               "read-out's softmax gives the right answer): the cross-entropy. A model that knows "
               "nothing gives each "
               "of the "
               "8 answers 1/8, a loss of ln 8 = " +
               attn::format_number(std::log(8.0), 4) + ".");
        ch.out() << "  loss on the example: " << attn::format_number(before.loss, 4) << "\n\n";
        ch.heatmap("weights_before", attn::head_weights(before, 0, 0), labels,
                   "(H, L, L) every head, untrained: nearly flat");
        //! [step2]

        //! [step3]
        ch.step("3) the backward pass of the whole model, checked");
        ch.say("model_backward reverses every step: the cross-entropy (probabilities minus the "
               "one-hot "
               "answer, over the number of targets), the read-out, the residual and chapter 21's "
               "attention backward, and the embedding (each row of the gradient goes back to its "
               "token "
               "and its position). Central differences on every third entry of each parameter, on "
               "one batch of 4 "
               "sequences:");
        attn::Random check_rng(rng_seed + 1);
        for (const attn::GradientCheck& c :
             attn::check_gradients(model, task.draw(check_rng, 4, false), 3))
            ch.out() << "  " << c.name
                     << std::string(40 - std::min<std::size_t>(39, c.name.size()), ' ') << c.checked
                     << " entries, largest difference "
                     << (c.largest < 1e-8 ? "< 1e-8" : attn::format_number(c.largest, 2, true))
                     << "\n";
        ch.out() << "\n";
        //! [step3]

        //! [step4]
        ch.step("4) training: Adam, " + std::to_string(steps) + " steps of " +
                std::to_string(task.batch) + " sequences");
        ch.say("Each step draws a batch, runs forward and backward, and moves every weight by "
               "Adam: "
               "m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², w −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + "
               "ε), "
               "with lr = 0.01, β1 = 0.9, β2 = 0.999, ε = 1e-8, as torch.optim.Adam.");
        const std::string dump = ch.dump_dir();
        if (!dump.empty())
            attn::dump_layers(attn::checkpoint_dir(dump, 0), model, before, 0, kExample);
        const std::size_t every = std::max<std::size_t>(1, steps / 6);
        const attn::TrainLog log =
                attn::train(model, task, steps, rng, [&](std::size_t step, double loss) {
                    if (step % every == 0 || step == steps)
                        ch.out() << "  step " << step << "  loss " << attn::format_number(loss, 4)
                                 << "\n";
                    if (!dump.empty() && (step % every == 0 || step == steps))
                        attn::dump_layers(attn::checkpoint_dir(dump, step), model,
                                          attn::model_forward(model, ex.tokens, ex.targets), 0,
                                          kExample);
                });
        ch.out() << "\n" << attn::loss_curve_text(log.loss) << "\n";
        ch.write_svg("loss_curve", attn::line_plot_svg(attn::loss_curve_plot(
                                           log.loss, "Chapter 22: the training loss")));
        //! [step4]

        //! [step5]
        ch.step("5) what it learned");
        attn::Random test_rng(rng_seed + 2);
        const double acc = attn::held_out_accuracy(model, task, 1000, test_rng);
        ch.out() << "  accuracy on 1000 held-out sequences (never drawn in training): "
                 << attn::format_number(100 * acc, 1) << "%\n\n";
        const attn::ModelForward after = attn::model_forward(model, ex.tokens, ex.targets);
        ch.heatmap("weights_after", attn::head_weights(after, 0, 0), labels,
                   "(H, L, L) every head, trained");
        ch.say("Each row is a query. Trained, the rows with a target put their weight on the token "
               "before the query, in one head or in both (the diagonal just left of the main one): "
               "the "
               "relationship the task needs, found from the loss alone. The first row has no "
               "target, "
               "so nothing trained it.");
        if (!dump.empty()) {
            attn::dump_layers(dump, model, after, 0, kExample);
            attn::dump_state_dict(dump, model);
        }
        //! [step5]
    });
}
