// Exercise 20's checks: attention_backward(Q, K, V, mask, dO), against the reference
// attn::attention_backward (itself checked against central differences and PyTorch).
#include <cmath>

#include <attention/attention.hpp>
#include <attention/backward.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

Matrix T(const Matrix& m) {
    return xt::transpose(m);
}

// One way to compute the gradients: the right one by default, or a known mistake.
struct Way {
    bool rowsum = true;            // dS = P ∘ (dP − rowsum(dO ∘ O)); false: P ∘ dP
    bool times_P = true;           // false: dS = dP − rowsum(dO ∘ O)
    bool masked = true;            // false: P recomputed without the mask
    double q_power = 0.5;          // dQ = dS·K / d_k^q_power
    double k_power = 0.5;          // dK = dSᵀ·Q / d_k^k_power
    bool dV_untransposed = false;  // dV = P·dO (fits only when L = S)
    bool dK_untransposed = false;  // dK = dS·Q
    bool dQ_transposed = false;    // dQ = dSᵀ·K
};

struct Grads {
    Matrix dQ, dK, dV;
};

Grads grads(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix& mask, const Matrix& dO,
            const Way& w = {}) {
    const double d_k = static_cast<double>(Q.shape(1));
    const attn::Attention a = w.masked ? attn::attention(Q, K, V, &mask) : attn::attention(Q, K, V);
    const Matrix& P = a.weights;
    const Matrix dP = attn::scores(dO, V);  // dO·Vᵀ
    const Matrix D = xt::sum(dO * a.output, {1}, xt::keep_dims);
    const Matrix inner = w.rowsum ? Matrix(dP - D) : dP;
    const Matrix dS = w.times_P ? Matrix(P * inner) : inner;
    const bool square = Q.shape(0) == K.shape(0);
    Grads g;
    g.dV = w.dV_untransposed && square ? attn::weighted_sum(P, dO) : attn::weighted_sum(T(P), dO);
    g.dQ = (w.dQ_transposed && square ? attn::weighted_sum(T(dS), K) : attn::weighted_sum(dS, K)) /
           std::pow(d_k, w.q_power);
    g.dK = (w.dK_untransposed && square ? attn::weighted_sum(dS, Q)
                                        : attn::weighted_sum(T(dS), Q)) /
           std::pow(d_k, w.k_power);
    return g;
}

bool has_blocked(const Matrix& mask) {
    return xt::any(xt::isinf(mask));
}

// The known mistakes for one of the three gradients (`which` is 'Q', 'K' or 'V').
std::vector<Mistake> mistakes(char which, const Matrix& Q, const Matrix& K, const Matrix& V,
                              const Matrix& mask, const Matrix& dO) {
    const auto with = [&](auto change) {
        Way w;
        change(w);
        const Grads g = grads(Q, K, V, mask, dO, w);
        return which == 'Q' ? g.dQ : which == 'K' ? g.dK : g.dV;
    };
    const Matrix right = with([](Way&) {});
    const std::string d = std::string("d") + which;
    std::vector<Mistake> m;
    if (has_blocked(mask)) {
        m.push_back(gives(
                with([](Way& w) { w.masked = false; }),
                "gradient flows into masked positions: your " + d +
                        " is what the weights "
                        "computed WITHOUT the mask give. Use the masked forward pass's weights "
                        "(attn::attention(Q, K, V, &mask)): a blocked weight is exactly 0, so dS "
                        "is 0 "
                        "there and a blocked key or value gets nothing."));
    }
    if (which != 'V') {
        m.push_back(gives(
                with([](Way& w) { w.rowsum = false; }),
                "your " + d +
                        " comes from dS = P ∘ dP: you forgot the − rowsum term. The "
                        "softmax's backward (exercise 19) is dS = P ∘ (dP − rowsum(dP ∘ P)), and "
                        "rowsum(dP ∘ P) = rowsum(dO ∘ O)."));
        m.push_back(
                gives(with([](Way& w) { w.times_P = false; }),
                      "your " + d +
                              " comes from dS = dP − rowsum(dO ∘ O), without the factor P: "
                              "dS = P ∘ (dP − rowsum(dO ∘ O)) (so that it is 0 wherever P is)."));
    }
    if (which == 'Q') {
        m.push_back(
                gives(with([](Way& w) { w.q_power = 0; }),
                      "dQ lacks the 1/√d_k: the scores were Q·Kᵀ / √d_k, so the scale is in both "
                      "dQ = dS·K / √d_k and dK = dSᵀ·Q / √d_k, not in one of them only."));
        m.push_back(gives(
                with([](Way& w) { w.q_power = 1; }),
                "dQ is divided by d_k, not by √d_k: the forward pass divided the scores by √d_k."));
        m.push_back(
                gives(with([](Way& w) { w.dQ_transposed = true; }),
                      "your dQ is dSᵀ·K: the transposes are swapped. dQ (L, d_k) = dS·K / √d_k: "
                      "query i collects from every key j it scored, with dS(i, j)."));
    }
    if (which == 'K') {
        m.push_back(
                gives(with([](Way& w) { w.k_power = 0; }),
                      "dK lacks the 1/√d_k: the scores were Q·Kᵀ / √d_k, so the scale is in both "
                      "dQ = dS·K / √d_k and dK = dSᵀ·Q / √d_k, not in one of them only."));
        m.push_back(gives(
                with([](Way& w) { w.k_power = 1; }),
                "dK is divided by d_k, not by √d_k: the forward pass divided the scores by √d_k."));
        m.push_back(
                gives(with([](Way& w) { w.dK_untransposed = true; }),
                      "your dK is dS·Q: the transposes are swapped. dK (S, d_k) = dSᵀ·Q / √d_k: "
                      "key j collects from every query i that scored it, with dS(i, j)."));
    }
    if (which == 'V') {
        m.push_back(
                gives(with([](Way& w) { w.dV_untransposed = true; }),
                      "your dV is P·dO: the transposes are swapped. dV (S, d_v) = Pᵀ·dO: value j "
                      "collects dO(i, ·) from every query i, weighted by P(i, j)."));
    }
    m.push_back(shape_differs(right, d + " has the shape of " + which + ": " +
                                             (which == 'Q'   ? "(L, d_k)"
                                              : which == 'K' ? "(S, d_k)"
                                                             : "(S, d_v)") +
                                             "."));
    return m;
}

void compare(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix& mask,
             const Matrix& dO) {
    const ex::AttentionGrads mine = ex::attention_backward(Q, K, V, mask, dO);
    const attn::AttentionGrads right = attn::attention_backward(Q, K, V, dO, &mask);
    const std::vector<Input> inputs = {{"Q", Q}, {"K", K}, {"V", V}, {"mask", mask}, {"dO", dO}};
    const std::string call = "attention_backward(Q, K, V, mask, dO)";
    const std::string steps =
            "do it step by step and compare with ./workbook run 20: dV = Pᵀ·dO, "
            "dP = dO·Vᵀ, dS = P ∘ (dP − rowsum(dO ∘ O)), dQ = dS·K / √d_k, dK = dSᵀ·Q / √d_k.";
    expect({call + ".dQ", inputs, [&] { return mistakes('Q', Q, K, V, mask, dO); }, steps}, mine.dQ,
           right.dQ);
    expect({call + ".dK", inputs, [&] { return mistakes('K', Q, K, V, mask, dO); }, steps}, mine.dK,
           right.dK);
    expect({call + ".dV", inputs, [&] { return mistakes('V', Q, K, V, mask, dO); }, steps}, mine.dV,
           right.dV);
}

xt::xarray<double> fixture(const std::string& c, const std::string& name) {
    return attn::load_npy(std::string(WORKBOOK_FIXTURES_DIR) + "/attention_backward/" + c + "/" +
                          name)
            .data;
}

// A PyTorch case: its inputs, and the reference's agreement with its gradients.
void torch_case(const std::string& c) {
    const Matrix Q = fixture(c, "query.npy"), K = fixture(c, "key.npy"),
                 V = fixture(c, "value.npy");
    const Matrix dO = fixture(c, "grad_output.npy");
    const std::size_t L = Q.shape(0), S = K.shape(0);
    Matrix mask = xt::zeros<double>({L, S});
    if (c == "toy_causal")
        mask = attn::additive_mask(attn::load_npy(std::string(WORKBOOK_FIXTURES_DIR) +
                                                  "/attention_backward/" + c + "/attn_mask.npy"));
    const attn::AttentionGrads r = attn::attention_backward(Q, K, V, dO, &mask);
    reference_agrees("dQ", r.dQ, fixture(c, "dQ.npy"), 1e-12);
    reference_agrees("dK", r.dK, fixture(c, "dK.npy"), 1e-12);
    reference_agrees("dV", r.dV, fixture(c, "dV.npy"), 1e-12);
    compare(Q, K, V, mask, dO);
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(20, "20_attention_backward", "attention_backward(Q, K, V, mask, dO)");

    e.check("chapter 20's example: the toy example (3 tokens × 4 dims) and its dO, no mask "
            "(PyTorch's gradients)",
            [] { torch_case("toy"); });

    e.check("the same with a causal mask: a blocked score passes no gradient (PyTorch's gradients)",
            [] { torch_case("toy_causal"); });

    attn::Random rng(2020);
    const Matrix Q = rng.normal_matrix(4, 5), K = rng.normal_matrix(6, 5),
                 V = rng.normal_matrix(6, 3);
    const Matrix dO = rng.normal_matrix(4, 3);
    e.check("cross-attention: Q (4, 5), K (6, 5), V (6, 3), no mask: L ≠ S, d_k ≠ d_v "
            "(random from seed 2020)",
            [&] {
                compare(Q, K, V, xt::zeros<double>({4, 6}), dO);
            });

    Matrix mask = rng.normal_matrix(4, 6);
    xt::col(mask, 5) = -INFINITY;  // key 5 is blocked for every query
    mask(0, 1) = mask(2, 3) = -INFINITY;
    e.check("the same with a float mask: penalties, and key 5 blocked for every query "
            "(its dK and dV rows must be 0)",
            [&] { compare(Q, K, V, mask, dO); });

    const Matrix Q16 = rng.normal_matrix(3, 16), K16 = rng.normal_matrix(5, 16),
                 V16 = rng.normal_matrix(5, 2);
    e.check("d_k = 16: √d_k = 4, not 16 (random from seed 2020)", [&] {
        compare(Q16, K16, V16, xt::zeros<double>({3, 5}), rng.normal_matrix(3, 2));
    });

    e.check("one query, one key: its weight is 1 whatever the score, so dQ and dK are 0", [] {
        compare(Matrix{{2, -1}}, Matrix{{0.5, 3}}, Matrix{{1, 2, 3}}, Matrix{{0}},
                Matrix{{1, -1, 2}});
    });

    return e.run(argc, argv);
}
