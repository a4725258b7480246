// The training benchmark behind `./workbook bench --training`: the built-in training of
// chapters 22-24 (their task, model, batch size, steps and Adam settings, tasks.hpp), timed.
// Chapter 24's Adam has weight decay (AdamW, torch.optim.AdamW on the PyTorch side).
//
//   bench_training --chapter 22 --out DIR    writes DIR/initial/<state_dict name>.npy,
//                                            DIR/tokens.npy and DIR/targets.npy (steps, B, L),
//                                            DIR/config.txt (vocab classes L E H layers pad lr
//                                            weight_decay); trains; prints one JSON line
//
// The batches are drawn before the clock starts (tools/bench_training_torch.py reads the same
// files and runs the same loop in PyTorch, one thread): what is timed is forward, backward and
// Adam, step after step, for both.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <xtensor/xadapt.hpp>
#include <xtensor/xview.hpp>

#include <attention/random.hpp>
#include <attention/tasks.hpp>
#include <attention/training.hpp>
#include <workbook/npy.hpp>

namespace {

attn::Task task_of(const std::string& chapter) {
    if (chapter == "22") return attn::previous_token_task();
    if (chapter == "23") return attn::previous_and_first_task(2);
    if (chapter == "24") return attn::referent_task();
    std::fprintf(stderr, "bench_training: --chapter 22, 23 or 24\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string chapter, out;
    std::size_t steps = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--chapter"))
            chapter = argv[i + 1];
        else if (!std::strcmp(argv[i], "--out"))
            out = argv[i + 1];
        else if (!std::strcmp(argv[i], "--steps"))
            steps = std::stoul(argv[i + 1]);
    }
    if (chapter.empty() || out.empty()) {
        std::fprintf(stderr, "usage: bench_training --chapter 22|23|24 --out DIR [--steps N]\n");
        return 2;
    }
    const attn::Task task = task_of(chapter);
    if (steps == 0) steps = task.steps;
    attn::Random rng(std::stoul(chapter));
    attn::Model model = attn::init_model(task.size, rng);

    // The batches of every step, drawn as train() draws them, and the initial weights: files.
    const std::size_t B = task.batch, L = task.size.L;
    xt::xtensor<double, 3> tokens = xt::empty<double>({steps, B, L}), targets = tokens;
    std::vector<attn::TaskBatch> batches;
    for (std::size_t s = 0; s < steps; ++s) {
        batches.push_back(task.draw(rng, B, false));
        xt::view(tokens, s, xt::all(), xt::all()) = xt::cast<double>(batches.back().tokens);
        xt::view(targets, s, xt::all(), xt::all()) = xt::cast<double>(batches.back().targets);
    }
    std::filesystem::create_directories(out + "/initial");
    for (const attn::NamedArray& a : attn::named_parameters(model))
        attn::dump_npy(out + "/initial/" + a.name + ".npy",
                       xt::adapt(a.data, a.size(), xt::no_ownership(), a.shape));
    attn::dump_npy(out + "/tokens.npy", tokens);
    attn::dump_npy(out + "/targets.npy", targets);
    const attn::ModelSize& z = task.size;
    std::ofstream(out + "/config.txt")
            << z.vocab << " " << z.classes << " " << z.L << " " << z.E << " " << z.H << " "
            << z.layers << " " << z.pad << " " << task.lr << " " << task.weight_decay << "\n";

    // The loop of train(): forward, backward, Adam; timed.
    attn::Adam adam = attn::task_adam(task);
    double last = 0.0;
    const auto start = std::chrono::steady_clock::now();
    for (const attn::TaskBatch& b : batches) {
        const attn::ModelForward f = attn::model_forward(model, b.tokens, b.targets);
        attn::Model g = attn::model_backward(model, f, b.tokens, b.targets);
        adam.step(model, g);
        last = f.loss;
    }
    const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
    std::printf(
            "{\"name\": \"ours\", \"chapter\": %s, \"steps\": %zu, \"batch\": %zu, \"L\": %zu, "
            "\"E\": %zu, "
            "\"H\": %zu, \"layers\": %zu, \"ms\": %.3f, \"ms_per_step\": %.4f, \"last_loss\": "
            "%.10g}\n",
            chapter.c_str(), steps, B, L, z.E, z.H, z.layers, ms, ms / double(steps), last);
    return 0;
}
