// Exercise 12's checks: average_heads(weights) (H, L, S) → (L, S), the mean over the heads,
// against xt::mean and PyTorch's own weights_mean (tests/fixtures/multihead_attention/five_token_module).
#include <cmath>

#include <xtensor/xview.hpp>

#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Tensor3;
using namespace ex::check;

namespace {

// Chapter 12's "The cat chased the mouse": one-hot word types in E = 12 dims, and the
// hand-set module whose three heads link cat <-> mouse, chased <-> cat, the <-> the.
Tensor3 cat_chased_mouse_heads() {
    enum Type { THE, CAT, CHASED, MOUSE };
    const Type words[] = {THE, CAT, CHASED, THE, MOUSE};
    const std::size_t E = 12, H = 3, d = E / H;
    Matrix X = xt::zeros<double>({std::size_t{5}, E});
    for (std::size_t i = 0; i < 5; ++i) X(i, words[i]) = 1.0;
    struct Link {
        std::size_t row;
        Type q;
        Type k;
    };
    attn::MhaParams p{E, H, xt::zeros<double>({3 * E, E}), {}, xt::eye<double>(E), {}};
    for (const Link& l : {Link{0, CAT, MOUSE}, Link{1, MOUSE, CAT}, Link{4, CHASED, CAT},
                          Link{5, CAT, CHASED}, Link{8, THE, THE}}) {
        p.in_proj_weight(l.row, l.q) = 3.0;      // W_q
        p.in_proj_weight(E + l.row, l.k) = 3.0;  // W_k
    }
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t t = 0; t < 4; ++t) p.in_proj_weight(2 * E + h * d + t, t) = 1.0;  // W_v
    return attn::mha_forward(p, X, X, X).heads.weights;
}

// The mean over `axis` of w (H, L, S).
Matrix mean_over(const Tensor3& w, std::size_t axis) {
    return xt::mean(w, {axis});
}

// What the known mistakes would return, most specific first.
std::vector<Mistake> mistakes(const Tensor3& w) {
    const std::size_t H = w.shape(0), L = w.shape(1), S = w.shape(2);
    const Matrix sum = xt::sum(w, {0});
    const std::string h = std::to_string(H);
    std::vector<Mistake> m = {
            gives(sum, "every row sums to H = " + h +
                               ", not 1: summed instead of averaged? Divide the "
                               "sum over the heads by H = weights.shape(0)."),
            gives(mean_over(w, 1),
                  "you averaged over the queries (axis 1) instead of the heads (axis 0): "
                  "out(i, j) = (1/H)·Σ_h weights(h, i, j)."),
            gives(mean_over(w, 2),
                  "you averaged over the keys (axis 2) instead of the heads (axis 0): "
                  "out(i, j) = (1/H)·Σ_h weights(h, i, j)."),
    };
    if (L != H && L == S) {  // dividing by L or by S gives the same numbers
        m.push_back(gives(Matrix(sum / static_cast<double>(L)),
                          "you divided by L = S = " + std::to_string(L) +
                                  " (weights.shape(1) or "
                                  "weights.shape(2)) instead of H = " +
                                  h + " (weights.shape(0), the heads)."));
    } else if (L != H) {
        m.push_back(gives(Matrix(sum / static_cast<double>(L)),
                          "you divided by L = " + std::to_string(L) +
                                  " (weights.shape(1), the "
                                  "queries) instead of H = " +
                                  h + " (weights.shape(0), the heads)."));
    }
    if (S != H) {
        m.push_back(gives(Matrix(sum / static_cast<double>(S)),
                          "you divided by S = " + std::to_string(S) +
                                  " (weights.shape(2), the "
                                  "keys) instead of H = " +
                                  h + " (weights.shape(0), the heads)."));
    }
    if (H > 1) {
        m.push_back(gives(Matrix(xt::view(w, H - 1)),
                          "your answer is the last head's map: each head overwrote the one before "
                          "(= instead of +=)? Add every head's weights, then divide by H."));
        m.push_back(gives(Matrix(xt::view(w, 0)),
                          "your answer is head 0's map only: average all H "
                          "heads."));
        m.push_back(gives(Matrix(xt::amax(w, {0})),
                          "you took the max over the heads; PyTorch's "
                          "average is the mean, Σ_h / H."));
    }
    m.push_back(when(
            [H, L, S](const Matrix& a) { return a.shape(0) == H && a.shape(1) == S && H != L; },
            "your result is (H, S): you averaged over the queries (axis 1) instead of the "
            "heads (axis 0). The heads go away; one row per query and one column per key "
            "stay, (L, S)."));
    m.push_back(when(
            [H, L, S](const Matrix& a) { return a.shape(0) == H && a.shape(1) == L && H != L; },
            "your result is (H, L): you averaged over the keys (axis 2) instead of the "
            "heads (axis 0). The result is (L, S)."));
    m.push_back(shape_differs(mean_over(w, 0),
                              "the average over the heads is (L, S): one row per "
                              "query, one column per key."));
    return m;
}

void compare(const Tensor3& w) {
    expect({"average_heads(weights)",
            {{"weights", w}},
            [&] { return mistakes(w); },
            "compare one entry by hand: out(i, j) = (weights(0, i, j) + … + weights(H-1, i, j)) / "
            "H."},
           ex::average_heads(w), mean_over(w, 0));
}

// Softmax rows: H random attention maps (H, L, S).
Tensor3 random_weights(attn::Random& rng, std::size_t H, std::size_t L, std::size_t S) {
    Tensor3 w = xt::zeros<double>({H, L, S});
    for (std::size_t h = 0; h < H; ++h)
        xt::view(w, h) = attn::softmax(rng.normal_matrix(L, S, 2.0));
    return w;
}

xt::xarray<double> fixture(const std::string& name) {
    return attn::load_npy(std::string(WORKBOOK_FIVE_TOKEN_MODULE) + "/" + name).data;
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(12, "12_self_vs_multihead", "average_heads(weights)");

    e.check("chapter 12's three heads on \"The cat chased the mouse\" (3, 5, 5)",
            [] { compare(cat_chased_mouse_heads()); });

    e.check("the 5-token module, nn.MultiheadAttention(64, 8): PyTorch's 8 maps and its own "
            "weights_mean",
            [] {
                const Tensor3 w = fixture("weights64.npy");
                reference_agrees("mean over the heads", mean_over(w, 0),
                                 fixture("weights_mean64.npy"), 1e-12);
                compare(w);
            });

    attn::Random rng(1212);
    const std::size_t H = rng.integer(4, 5), L = rng.integer(2, 3), S = H + rng.integer(1, 3);
    const Tensor3 w = random_weights(rng, H, L, S);
    e.check("weights " + attn::shape_str(w.shape()) +
                    ": H, L and S all differ (random from seed 1212)",
            [&] { compare(w); });

    const Tensor3 square = random_weights(rng, 4, 4, 4);
    e.check("weights (4, 4, 4): H = L = S, so only the values tell the axes apart",
            [&] { compare(square); });

    Tensor3 masked = random_weights(rng, 2, 3, 4);
    xt::view(masked, xt::all(), 1, xt::all()) = NAN;
    e.check("query 1 fully masked (NaN in every head, as PyTorch gives): its average stays NaN",
            [&] { compare(masked); });

    return e.run(argc, argv);
}
