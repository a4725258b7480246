// Chapter 20 (its title: chapters/manifest.tsv).
// The gradients of softmax(Q·Kᵀ / √d_k)·V with respect to Q, K and V, each step the reverse
// of a forward one, every one checked against central differences; masks; the loops.
#include <optional>
#include <sstream>

#include <attention/attention.hpp>
#include <attention/backward.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Vector;

namespace {

// Σ dO ∘ attention(Q, K, V, mask).output, with loops so that central differences of it have
// the same digits on every machine.
double loss(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix& dO,
            const Matrix* mask) {
    Matrix s = attn::scale(attn::scores_loop(Q, K), Q.shape(1));
    if (mask != nullptr) s += *mask;
    return xt::sum(attn::weighted_sum_loop(attn::softmax_loop(s), V) * dO)();
}

// a and b printed side by side under `name` and "central differences"; both dumped.
void side_by_side(attn::Chapter& ch, const std::string& name, const Matrix& a, const Matrix& b) {
    std::istringstream left(attn::format_matrix(a)), right(attn::format_matrix(b));
    std::vector<std::string> l = {name + "  " + attn::shape_str(a.shape())},
                             r = {"central differences"};
    for (std::string line; std::getline(left, line);) l.push_back(line);
    for (std::string line; std::getline(right, line);) r.push_back(line);
    std::size_t width = 0;
    for (const auto& s : l) width = std::max(width, s.size());
    for (std::size_t i = 0; i < l.size(); ++i)
        ch.out() << l[i] << std::string(width + 4 - l[i].size(), ' ') << r[i] << "\n";
    ch.out() << "relative difference: " << attn::describe_relative_error(attn::relative_error(a, b))
             << "\n\n";
    ch.dump(name, a);
    ch.dump(name + "_numerical", b);
}

// DIR/attn_mask.npy as an additive (L, S) mask, or nothing.
std::optional<Matrix> load_mask(const attn::Chapter& ch, std::size_t L, std::size_t S) {
    if (!ch.has_file("attn_mask.npy")) return std::nullopt;
    const std::string path = ch.load_path("attn_mask.npy");
    xt::xarray<double> m;
    try {
        m = attn::additive_mask(attn::load_npy(path));
    } catch (const attn::InputError& e) {  // name the file in the message
        throw attn::InputError(std::string(e.what()).rfind(path, 0) == 0 ? e.what()
                                                                         : path + ": " + e.what());
    }
    if (m.dimension() != 2 || m.shape(0) != L || m.shape(1) != S) {
        throw attn::InputError(path + ": expected (L, S) = (" + std::to_string(L) + ", " +
                               std::to_string(S) + "), got " + attn::shape_str(m.shape()));
    }
    return Matrix(m);
}

// The toy example's fixed upstream gradient dO (3, 4).
Matrix toy_grad_output() {
    return Matrix{{1, 0, 0, -1}, {0, 2, -1, 0}, {0, 1, 1, 2}};
}

// The upstream gradient dO (L, d_v): DIR/grad_output.npy, or the toy example's.
Matrix load_upstream(const attn::Chapter& ch, std::size_t L, std::size_t d_v) {
    if (!ch.loading()) return toy_grad_output();
    if (!ch.has_file("grad_output.npy")) return attn::Random(20).normal_matrix(L, d_v);
    const Matrix dO = ch.load_matrix("grad_output.npy", "(L, d_v)");
    if (dO.shape(0) != L || dO.shape(1) != d_v) {
        throw attn::InputError(ch.load_path("grad_output.npy") + ": expected (L, d_v) = (" +
                               std::to_string(L) + ", " + std::to_string(d_v) +
                               "), the shape of the output, got " + attn::shape_str(dO.shape()));
    }
    return dO;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "20_attention_backward",
            "query.npy (L, d_k), key.npy (S, d_k), value.npy (S, d_v) (key and value default to "
            "query); attn_mask.npy (L, S): bool True = not allowed, or float added to the scores; "
            "grad_output.npy (L, d_v), the upstream gradient dO (default: drawn from Random(20))"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const auto [Q, K, V] = attn::load_qkv(ch);
        const std::optional<Matrix> mask = load_mask(ch, Q.shape(0), K.shape(0));
        const Matrix* m = mask ? &*mask : nullptr;
        const Matrix dO = load_upstream(ch, Q.shape(0), V.shape(1));

        //! [step1]
        ch.step("1) the forward pass, kept for the backward one");
        ch.say("Training measures how wrong the output O is with a loss, a single number, and "
               "asks how it changes with every input. It starts from dO = ∂loss/∂O, the "
               "upstream gradient that the rest of the network sends back; here the loss is "
               "Σ dO ∘ O for the dO below, so ∂loss/∂O is exactly dO. " +
               std::string(ch.loading() ? "Your inputs:"
                                        : "The toy example (3 tokens × 4 dims), "
                                          "Q = K = V, and a fixed dO:"));
        const attn::Attention a = attn::attention(Q, K, V, m);
        ch.show_weights("weights", a.weights, {}, "(L, S) P = softmax(Q·Kᵀ / √d_k)");
        ch.show("output", a.output, {}, "(L, d_v) O = P·V");
        ch.show("grad_output", dO, {}, "(L, d_v) dO = ∂loss/∂O, the upstream gradient");
        const attn::AttentionGrads g = attn::attention_backward(Q, K, V, dO, m);
        //! [step1]

        //! [step2]
        ch.step("2) reverse step 4, the weighted sum O = P·V");
        ch.say("For a product, each factor's gradient is the upstream gradient times the other "
               "factor, transposed so that the shapes fit: value j went into every output row i "
               "with weight P(i, j), and weight P(i, j) multiplied value row j.");
        ch.show("dV", g.dV, {}, "(S, d_v) = Pᵀ·dO");
        ch.show("dP", g.dP, {}, "(L, S) = dO·Vᵀ");
        //! [step2]

        //! [step3]
        ch.step("3) reverse step 3, the softmax");
        ch.say("Chapter 19's y ∘ (g - rowsum(g ∘ y)) with y = P and g = dP. The row term "
               "rowsum(dP ∘ P) equals rowsum(dO ∘ O), because O = P·V; FlashAttention computes "
               "it that way, from two (L, d_v) matrices instead of two (L, S) ones.");
        const Vector D = xt::sum(dO * a.output, {1});
        ch.show("D", D, "(L,) = rowsum(dO ∘ O)");
        ch.say("rowsum(dP ∘ P) against D: " +
               attn::describe_difference(Matrix(xt::sum(g.dP * a.weights, {1}, xt::keep_dims)),
                                         Matrix(xt::view(D, xt::all(), xt::newaxis()))) +
               ".");
        ch.show("dS", g.dS, {}, "(L, S) = P ∘ (dP - D), the gradient of the scaled scores");
        //! [step3]

        //! [step4]
        ch.step("4) reverse steps 2 and 1, the scale and Q·Kᵀ");
        ch.say("The scaled scores are Q·Kᵀ / √d_k: the same product rule as in 2), with the "
               "forward's 1/√d_k in both gradients, since Q and K went through the same scaled "
               "product (a mask is a constant: it passes dS on unchanged).");
        ch.show("dQ", g.dQ, {}, "(L, d_k) = dS·K / √d_k");
        ch.show("dK", g.dK, {}, "(S, d_k) = dSᵀ·Q / √d_k");
        //! [step4]

        //! [step5]
        ch.step("5) every gradient against central differences");
        ch.say("Move one input entry by ±h = 1e-5, recompute the loss, divide the change by "
               "2h: a gradient computed without any calculus (double precision throughout).");
        if (Q.size() + K.size() + V.size() <= 3000) {
            using A = const xt::xarray<double>&;
            side_by_side(ch, "dQ", g.dQ,
                         attn::numerical_gradient([&](A x) { return loss(x, K, V, dO, m); }, Q));
            side_by_side(ch, "dK", g.dK,
                         attn::numerical_gradient([&](A x) { return loss(Q, x, V, dO, m); }, K));
            side_by_side(ch, "dV", g.dV,
                         attn::numerical_gradient([&](A x) { return loss(Q, K, x, dO, m); }, V));
        } else {
            ch.say("(skipped: Q, K and V hold more than 3000 numbers, each needing two forward "
                   "passes)");
        }
        //! [step5]

        //! [step6]
        ch.step("6) masks: no gradient reaches a blocked position");
        ch.say("The toy example again, with a causal mask. A blocked weight is exactly 0, so "
               "dS = P ∘ (dP - D) is 0 there, although dP is not: the softmax is where the "
               "gradient stops.");
        const Matrix X = attn::toy_tokens(), dO_toy = toy_grad_output();
        Matrix causal = xt::zeros<double>({3, 3});
        causal(0, 1) = causal(0, 2) = causal(1, 2) = -INFINITY;
        const attn::AttentionGrads c = attn::attention_backward(X, X, X, dO_toy, &causal);
        ch.show("dP_causal", c.dP, {}, "(L, S) = dO·Vᵀ: nonzero above the diagonal too");
        // (+ 0.0 prints an exact zero as 0.0000: -0.0 + 0.0 is 0.0)
        ch.show("dS_causal", Matrix(c.dS + 0.0), {}, "(L, S) 0 above the diagonal");
        ch.say("A fully masked row: block every key for query 0. Its weights are 0/0 = NaN, and "
               "PyTorch 1.13's autograd lets the NaN flow on, as the workbook does: query 0's "
               "row of dQ, and all of dK and dV, since every key and value meets that row. (Had "
               "the mask been applied with masked_fill rather than added, PyTorch would give 0 in "
               "that row of dQ and finite dK; dV is NaN either way.)");
        Matrix full = causal;
        xt::row(full, 0) = -INFINITY;
        const attn::AttentionGrads f = attn::attention_backward(X, X, X, dO_toy, &full);
        ch.show("dQ_fully_masked", f.dQ, {}, "(L, d_k) NaN in row 0");
        ch.show("dK_fully_masked", f.dK, {}, "(S, d_k) NaN everywhere");
        ch.show("dV_fully_masked", f.dV, {}, "(S, d_v) NaN everywhere");
        //! [step6]

        //! [step7]
        ch.step("7) the loops agree");
        const attn::AttentionGrads l = attn::attention_backward_loop(Q, K, V, dO, m);
        ch.say("attention_backward_loop writes every sum out with for-loops. Largest "
               "differences from the vectorised gradients: dQ " +
               attn::describe_difference(l.dQ, g.dQ) + ", dK " +
               attn::describe_difference(l.dK, g.dK) + ", dV " +
               attn::describe_difference(l.dV, g.dV) +
               ". Next, chapter 21: the backward pass of the whole multi-head module.");
        //! [step7]
    });
}
