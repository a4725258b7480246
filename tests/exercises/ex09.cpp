// Exercise 09's checks: attend_heads(Qh, Kh, Vh), attention in every head, against the
// reference attn::attend_heads (and PyTorch's own head outputs for the 5-token module).
#include <cmath>

#include <xtensor/xview.hpp>

#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Tensor3;
using namespace ex::check;

namespace {

Matrix head(const Tensor3& t, std::size_t h) {
    return xt::view(t, h);
}

// Every head's softmax(Q_h·K_hᵀ / divisor)·V_h; with keys_of_head0, head 0's K and V in
// every head.
Tensor3 per_head(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh, double divisor,
                 bool keys_of_head0 = false) {
    const std::size_t H = Qh.shape(0);
    Tensor3 out = xt::zeros<double>({H, Qh.shape(1), Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h) {
        const std::size_t kv = keys_of_head0 ? 0 : h;
        const Matrix w = attn::softmax(attn::scores(head(Qh, h), head(Kh, kv)) / divisor);
        xt::view(out, h) = attn::weighted_sum(w, head(Vh, kv));
    }
    return out;
}

// The weights of every head (H, L, S) normalised some other way, then times V_h.
// across_heads: each (i, j) sums to 1 over the heads; else each query i over all (h, j).
Tensor3 other_softmax(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh, bool across_heads) {
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), S = Kh.shape(1);
    const double d = static_cast<double>(Qh.shape(2));
    Tensor3 e = xt::zeros<double>({H, L, S});
    for (std::size_t h = 0; h < H; ++h)
        xt::view(e, h) = attn::scores(head(Qh, h), head(Kh, h)) / std::sqrt(d);
    const double m = xt::amax(e)();
    e = xt::exp(e - m);
    for (std::size_t i = 0; i < L; ++i) {
        if (across_heads) {
            for (std::size_t j = 0; j < S; ++j) {
                double sum = 0.0;
                for (std::size_t h = 0; h < H; ++h) sum += e(h, i, j);
                for (std::size_t h = 0; h < H; ++h) e(h, i, j) /= sum;
            }
        } else {
            double sum = 0.0;
            for (std::size_t h = 0; h < H; ++h)
                for (std::size_t j = 0; j < S; ++j) sum += e(h, i, j);
            for (std::size_t h = 0; h < H; ++h)
                for (std::size_t j = 0; j < S; ++j) e(h, i, j) /= sum;
        }
    }
    Tensor3 out = xt::zeros<double>({H, L, Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h)
        xt::view(out, h) = attn::weighted_sum(head(e, h), head(Vh, h));
    return out;
}

// What the known mistakes would return, most specific first.
std::vector<Mistake> mistakes(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh) {
    const std::size_t H = Qh.shape(0), d = Qh.shape(2);
    const double root_d = std::sqrt(static_cast<double>(d)),
                 root_E = std::sqrt(static_cast<double>(H * d));
    const attn::HeadsAttention right = attn::attend_heads(Qh, Kh, Vh);
    const std::string n = std::to_string(d), E = std::to_string(H * d);
    std::vector<Mistake> m;
    if (H > 1) {
        // √E = √(H·d) equals d when H = d: then dividing by √E or by d gives the same numbers.
        const std::string why = H == d ? " (or by d = " + n + ", the same number here)"
                                       : ", the width of the whole model,";
        m.push_back(
                gives(per_head(Qh, Kh, Vh, root_E),
                      "the scores were divided by √E = √" + E + why + " instead of √d = √" + n +
                              ", the width of one head: each head's dot products run over its d "
                              "columns only, so its scale is √d (d = Qh.shape(2))."));
        m.push_back(gives(other_softmax(Qh, Kh, Vh, false),
                          "you ran one softmax over all the heads' scores of a query at once: "
                          "each head needs its own softmax over its S keys, so that every "
                          "head's weights sum to 1 by themselves."));
        m.push_back(gives(other_softmax(Qh, Kh, Vh, true),
                          "your softmax ran across the heads (each (query, key) summing to 1 "
                          "over h): each head has its own softmax, over the keys of each "
                          "query row."));
        m.push_back(gives(per_head(Qh, Kh, Vh, root_d, true),
                          "every head used head 0's keys and values: head h attends with its "
                          "own K_h = xt::view(Kh, h) and V_h = xt::view(Vh, h)."));
    }
    m.push_back(
            gives(per_head(Qh, Kh, Vh, 1.0),
                  "the scores were not scaled: divide each head's Q_h·K_hᵀ by √d = √" + n + "."));
    m.push_back(gives(per_head(Qh, Kh, Vh, static_cast<double>(d)),
                      "the scores were divided by d = " + n + " instead of √d."));
    m.push_back(gives(right.weights,
                      "you returned the weights (H, L, S); the output of head h "
                      "is its weights times V_h, (L, d)."));
    m.push_back(shape_differs(right.output,
                              "the output is (H, L, d): for every head, one row per "
                              "query and the width of that head's values."));
    return m;
}

void compare(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh) {
    expect({"attend_heads(Qh, Kh, Vh)",
            {{"Qh", Qh}, {"Kh", Kh}, {"Vh", Vh}},
            [&] { return mistakes(Qh, Kh, Vh); },
            "compare head 0 with chapter 06's attention on head 0's matrices, "
            "softmax(Q_0·K_0ᵀ / √d)·V_0; ./workbook run 9 prints every head's weights."},
           ex::attend_heads(Qh, Kh, Vh), attn::attend_heads(Qh, Kh, Vh).output);
}

Tensor3 random_heads(attn::Random& rng, std::size_t H, std::size_t n, std::size_t d) {
    Tensor3 t = xt::zeros<double>({H, n, d});
    for (double& x : t) x = rng.normal();
    return t;
}

Tensor3 fixture(const std::string& name) {
    return attn::load_npy(std::string(WORKBOOK_FIVE_TOKEN_MODULE) + "/" + name).data;
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(9, "09_heads_in_parallel", "attend_heads(Qh, Kh, Vh)");

    // Chapter 09's example: the toy example's tokens, the module drawn from Random(7), E = 4, H = 2.
    attn::Random rng7(7);
    const attn::MhaParams p = attn::random_mha_params(4, 2, rng7);
    const Matrix X = attn::toy_tokens();
    const Tensor3 Qh = attn::split_heads(attn::project(X, p.W_q(), p.b_q()), 2);
    const Tensor3 Kh = attn::split_heads(attn::project(X, p.W_k(), p.b_k()), 2);
    const Tensor3 Vh = attn::split_heads(attn::project(X, p.W_v(), p.b_v()), 2);
    e.check("chapter 09's example: the toy example's 3 tokens in H = 2 heads of d = 2", [&] {
        reference_agrees("heads' outputs, all at once and in a loop",
                         attn::attend_heads(Qh, Kh, Vh).output,
                         attn::attend_heads_loop(Qh, Kh, Vh).output, 1e-12);
        compare(Qh, Kh, Vh);
    });

    e.check("the 5-token module, nn.MultiheadAttention(64, 8): 8 heads of d = 8, PyTorch's own "
            "head outputs",
            [] {
                const Tensor3 q = fixture("q_heads.npy"), k = fixture("k_heads.npy"),
                              v = fixture("v_heads.npy");
                reference_agrees("heads' outputs", attn::attend_heads(q, k, v).output,
                                 fixture("head_outputs.npy"), 1e-9);
                compare(q, k, v);
            });

    attn::Random rng(909);
    const std::size_t H = 3, L = rng.integer(2, 4), S = L + rng.integer(1, 3),
                      d = S + rng.integer(1, 2);
    const Tensor3 Qr = random_heads(rng, H, L, d), Kr = random_heads(rng, H, S, d),
                  Vr = random_heads(rng, H, S, d);
    e.check("Qh " + attn::shape_str(Qr.shape()) + ", Kh and Vh " + attn::shape_str(Kr.shape()) +
                    ": more keys than queries (random from seed 909)",
            [&] { compare(Qr, Kr, Vr); });

    const Tensor3 Q1 = random_heads(rng, 1, 4, 6), K1 = random_heads(rng, 1, 5, 6),
                  V1 = random_heads(rng, 1, 5, 6);
    e.check("H = 1: one head is exactly chapter 06's attention", [&] { compare(Q1, K1, V1); });

    const Tensor3 Qw = random_heads(rng, 4, 3, 64), Kw = random_heads(rng, 4, 6, 64),
                  Vw = random_heads(rng, 4, 6, 64);
    e.check("4 heads of d = 64 (E = 256): √d = 8, not √E = 16, decides how sharp the weights are",
            [&] { compare(Qw, Kw, Vw); });

    return e.run(argc, argv);
}
