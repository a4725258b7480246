// Chapter 22 — the training loop: the model's passes, Adam, and 20 steps against PyTorch.
#include "support.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <xtensor/xadapt.hpp>
#include <xtensor/xview.hpp>

#include <attention/backward.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <attention/tasks.hpp>
#include <attention/training.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::Model;
using attn::Tokens;
using wbtest::Near;
using Array = xt::xarray<double>;

namespace {

const std::string slug = "22_training_loop";

// A model of chapter 22's sizes with every parameter read from DIR/<state_dict name>.npy.
Model load_model(const std::string& dir) {
    Model m =
            attn::init_model(attn::previous_token_task().size, *std::make_unique<attn::Random>(1));
    for (attn::NamedArray& a : attn::named_parameters(m)) {
        const Array w = wbtest::fixture(dir + "/" + a.name + ".npy");
        REQUIRE(w.size() == a.size());
        std::copy(w.begin(), w.end(), a.data);
    }
    return m;
}

Tokens slice(const Array& all, std::size_t step) {
    return xt::cast<long>(xt::view(all, step, xt::all(), xt::all()));
}

// The loss computed here from the logits, independently of model_forward's: the mean over the
// targets of log Σ_k e^{z_k} − z_target.
double cross_entropy(const Matrix& logits, const Tokens& targets) {
    double total = 0.0;
    std::size_t n = 0;
    for (std::size_t r = 0; r < logits.shape(0); ++r) {
        const long t = targets.data()[r];
        if (t == attn::kNoTarget) continue;
        double sum = 0.0;
        for (std::size_t k = 0; k < logits.shape(1); ++k) sum += std::exp(logits(r, k));
        total += std::log(sum) - logits(r, std::size_t(t));
        ++n;
    }
    return total / double(n);
}

// A (n, k) · B (k, m), three loops.
Matrix product(const Matrix& A, const Matrix& B) {
    Matrix C = xt::zeros<double>({A.shape(0), B.shape(1)});
    for (std::size_t i = 0; i < A.shape(0); ++i)
        for (std::size_t k = 0; k < A.shape(1); ++k)
            for (std::size_t j = 0; j < B.shape(1); ++j) C(i, j) += A(i, k) * B(k, j);
    return C;
}

}  // namespace

TEST_CASE("ch22: chapter 22 prints its recorded output", "[ch22]") {
    wbtest::check_recorded_output(slug);
}

TEST_CASE("ch22: 20 Adam steps equal PyTorch's, loss by loss and weight by weight", "[ch22]") {
    // tools/make_training_fixtures.py: PyTorch's initial weights, batches, losses, final weights
    Model m = load_model("training_adam20/initial");
    const Array tokens = wbtest::fixture("training_adam20/tokens.npy");
    const Array targets = wbtest::fixture("training_adam20/targets.npy");
    const Array losses = wbtest::fixture("training_adam20/losses.npy");
    attn::Adam adam;
    adam.lr = 1e-2;
    for (std::size_t step = 0; step < 20; ++step) {
        const Tokens tok = slice(tokens, step), tgt = slice(targets, step);
        const attn::ModelForward f = attn::model_forward(m, tok, tgt);
        INFO("step " << step + 1);
        CHECK(std::abs(f.loss - losses(step)) <= 1e-9);
        Model g = attn::model_backward(m, f, tok, tgt);
        adam.step(m, g);
    }
    const Model want = load_model("training_adam20/final");
    Model got = m, expected = want;
    const auto a = attn::named_parameters(got), b = attn::named_parameters(expected);
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO(a[i].name);
        const Array x = xt::adapt(a[i].data, a[i].size(), xt::no_ownership(), a[i].shape);
        const Array y = xt::adapt(b[i].data, b[i].size(), xt::no_ownership(), b[i].shape);
        CHECK_THAT(x, Near(y, 1e-8));
    }
}

TEST_CASE("ch22: the loss is the cross-entropy of the logits, ln 8 for equal logits", "[ch22]") {
    const attn::Task task = attn::previous_token_task();
    attn::Random rng(3);
    Model m = attn::init_model(task.size, rng);
    const attn::TaskBatch b = task.draw(rng, 5, false);
    const attn::ModelForward f = attn::model_forward(m, b.tokens, b.targets);
    CHECK(f.n_targets == 5 * 7);  // the first position of each sequence has no target
    CHECK(std::abs(f.loss - cross_entropy(f.logits, b.targets)) < 1e-12);
    // a read-out of zeros scores the 8 answers alike: loss ln 8 exactly
    m.readout_weight.fill(0.0);
    m.readout_bias.fill(0.0);
    CHECK(std::abs(attn::model_loss(m, b.tokens, b.targets) - std::log(8.0)) < 1e-15);
}

TEST_CASE("ch22: cross_entropy_backward equals central differences of the loss in the logits",
          "[ch22]") {
    attn::Random rng(4);
    const Matrix logits = rng.normal_matrix(4, 5);
    const Tokens targets = {{2, attn::kNoTarget, 0, 4}};
    Matrix probs = xt::exp(logits);
    for (std::size_t r = 0; r < 4; ++r) {
        double s = 0.0;
        for (std::size_t k = 0; k < 5; ++k) s += probs(r, k);
        for (std::size_t k = 0; k < 5; ++k) probs(r, k) /= s;
    }
    const Matrix d = attn::cross_entropy_backward(probs, {2, attn::kNoTarget, 0, 4});
    const Array numeric = attn::numerical_gradient(
            [&](const Array& z) { return cross_entropy(z, targets); }, logits);
    CHECK_THAT(d, Near(numeric, 1e-9));
    CHECK(xt::all(xt::equal(xt::view(d, 1, xt::all()), 0.0)));  // no target, no gradient
}

TEST_CASE("ch22: the whole model's gradient equals central differences (2 layers, padding)",
          "[ch22]") {
    attn::ModelSize size{7, 5, 6, 8, 2, 2, 0};  // token 0 pads
    attn::Random rng(5);
    Model m = attn::init_model(size, rng);
    const Tokens tok = {{3, 1, 4, 1, 5, 0}, {2, 6, 5, 3, 0, 0}};
    const Tokens tgt = {{attn::kNoTarget, 1, 2, 3, 4, attn::kNoTarget},
                        {0, 1, attn::kNoTarget, 2, attn::kNoTarget, attn::kNoTarget}};
    Model g = attn::model_backward(m, attn::model_forward(m, tok, tgt), tok, tgt);
    auto params = attn::named_parameters(m);
    const auto grads = attn::named_parameters(g);
    for (std::size_t a = 0; a < params.size(); ++a) {
        INFO(params[a].name);
        double worst = 0.0;
        for (std::size_t i = 0; i < params[a].size(); ++i) {
            const double keep = params[a].data[i], h = 1e-5;
            params[a].data[i] = keep + h;
            const double up = attn::model_loss(m, tok, tgt);
            params[a].data[i] = keep - h;
            const double down = attn::model_loss(m, tok, tgt);
            params[a].data[i] = keep;
            worst = std::max(worst, std::abs((up - down) / (2 * h) - grads[a].data[i]));
        }
        CHECK(worst < 1e-8);
    }
    // the padding token is never a key: no gradient reaches its row of embedding.weight
    // through attention, only through its own (target-less) query, which is read by no loss
    CHECK(xt::all(xt::equal(xt::view(g.embedding, 0, xt::all()), 0.0)));
}

TEST_CASE("ch22: the batched layer equals mha_forward and mha_backward sequence by sequence",
          "[ch22]") {
    const attn::Task task = attn::previous_token_task();
    attn::Random rng(6);
    const Model m = attn::init_model(task.size, rng);
    const attn::TaskBatch b = task.draw(rng, 3, false);
    const attn::ModelForward f = attn::model_forward(m, b.tokens, b.targets);
    const Model g = attn::model_backward(m, f, b.tokens, b.targets);
    const std::size_t L = 8;
    // the gradient arriving at the layer's output: dlogits·readout.weight, from the formula
    Matrix dlogits = f.probs;
    for (std::size_t r = 0; r < dlogits.shape(0); ++r) {
        const long t = b.targets.data()[r];
        if (t == attn::kNoTarget)
            xt::view(dlogits, r, xt::all()) = 0.0;
        else
            dlogits(r, std::size_t(t)) -= 1.0;
    }
    dlogits /= double(f.n_targets);
    const Matrix d_out = product(dlogits, m.readout_weight);
    Matrix dW = xt::zeros<double>({3 * 16, 16}), dWo = xt::zeros<double>({16, 16});
    for (std::size_t s = 0; s < 3; ++s) {
        const Matrix x = attn::layer_input(f, 0, s, L);
        const attn::MhaForward ref = attn::mha_forward(m.layers[0], x, x, x);
        CHECK_THAT(Array(attn::head_weights(f, 0, s)), Near(ref.heads.weights, 1e-14));
        CHECK_THAT(Array(attn::layer_input(f, 1, s, L)), Near(x + ref.output, 1e-14));
        const attn::MhaGrads rg = attn::mha_backward(
                m.layers[0], x, x, x, xt::view(d_out, xt::range(s * L, (s + 1) * L), xt::all()));
        dW += rg.in_proj_weight;
        dWo += rg.out_proj_weight;
    }
    CHECK_THAT(g.layers[0].in_proj_weight, Near(dW, 1e-14));
    CHECK_THAT(g.layers[0].out_proj_weight, Near(dWo, 1e-14));
}

TEST_CASE("ch22: Adam's first step moves every weight by lr against the sign of its gradient",
          "[ch22]") {
    // t = 1: m/(1−β1) = g and √(v/(1−β2)) = |g|, so w −= lr·g/(|g| + ε)
    const attn::Task task = attn::previous_token_task();
    attn::Random rng(8);
    Model m = attn::init_model(task.size, rng);
    const Model before = m;
    const attn::TaskBatch b = task.draw(rng, 4, false);
    Model g = attn::model_backward(m, attn::model_forward(m, b.tokens, b.targets), b.tokens,
                                   b.targets);
    attn::Adam adam;
    adam.lr = 0.01;
    adam.step(m, g);
    Model w0 = before;
    const auto p = attn::named_parameters(m), p0 = attn::named_parameters(w0),
               gr = attn::named_parameters(g);
    for (std::size_t a = 0; a < p.size(); ++a)
        for (std::size_t i = 0; i < p[a].size(); ++i) {
            const double gi = gr[a].data[i];
            REQUIRE(std::abs(p[a].data[i] - (p0[a].data[i] - 0.01 * gi / (std::abs(gi) + 1e-8))) <
                    1e-15);
        }
}

TEST_CASE("ch22: SGD moves every weight by lr times its gradient", "[ch22]") {
    const attn::Task task = attn::previous_token_task();
    attn::Random rng(9);
    Model m = attn::init_model(task.size, rng), g = attn::init_model(task.size, rng);
    const Model before = m;
    attn::sgd_step(m, g, 0.5);
    CHECK_THAT(m.embedding, Near(before.embedding - 0.5 * g.embedding, 1e-15));
    CHECK_THAT(m.layers[0].in_proj_weight,
               Near(before.layers[0].in_proj_weight - 0.5 * g.layers[0].in_proj_weight, 1e-15));
    CHECK_THAT(m.readout_bias, Near(before.readout_bias - 0.5 * g.readout_bias, 1e-15));
}

TEST_CASE("ch22: --dump writes the agreed layout, and chapter 11 replays the trained layer",
          "[ch22]") {
    wbtest::TempDir out("ch22_dump");
    const std::string text = wbtest::run_dumping(slug, out, {"--steps", "12"});
    CHECK(text.find("step 12") != std::string::npos);
    wbtest::check_dump_replayed(
            out,
            {"tokens.txt", "embedding.weight.npy", "position.weight.npy",
             "layers.0.self_attn.in_proj_weight.npy", "layers.0.self_attn.in_proj_bias.npy",
             "layers.0.self_attn.out_proj.weight.npy", "layers.0.self_attn.out_proj.bias.npy",
             "readout.weight.npy", "readout.bias.npy", "layer0/num_heads.txt", "layer0/tokens.txt",
             "checkpoints/step_000000/layer0/weights.npy", "checkpoints/step_000012/tokens.txt"});
    const Array w = attn::load_npy(out / "layer0/weights.npy").data;
    CHECK(w.shape() == Array::shape_type{2, 8, 8});
    CHECK_THAT(attn::load_npy(out / "layer0/in_proj_weight.npy").data,
               Near(attn::load_npy(out / "layers.0.self_attn.in_proj_weight.npy").data, 0.0));
}

TEST_CASE("ch22: training learns the task (the chapter's own figure)", "[ch22]") {
    // the recorded output, which the first test holds the chapter to
    const std::string out = wbtest::source_file("chapters/" + slug + "/expected.txt");
    CHECK(out.find("held-out sequences (never drawn in training): 100.0%") != std::string::npos);
}

TEST_CASE("ch22: a bad --steps or --seed gets one line and exit status 2", "[ch22]") {
    wbtest::check_bad_input(slug, {"--steps", "0"}, {"--steps 0", "positive whole number"});
    wbtest::check_bad_input(slug, {"--steps", "ten"}, {"--steps ten"});
    wbtest::check_bad_input(slug, {"--seed", "-3"}, {"--seed -3"});
    wbtest::check_bad_input(slug, {"--load", "x"}, {"--load"});
}
