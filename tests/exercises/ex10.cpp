// Exercise 10's checks: output_projection(heads, W_o, b_o) = merge_heads(heads)·W_oᵀ + b_o,
// against the reference attn::merge_heads and attn::project (and PyTorch's own output).
#include <xtensor/xstrided_view.hpp>

#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Tensor3;
using attn::Vector;
using namespace ex::check;

namespace {

Matrix transposed(const Matrix& m) {
    return xt::transpose(m);
}

// What the known mistakes would return, most specific first.
std::vector<Mistake> mistakes(const Tensor3& heads, const Matrix& W_o, const Vector& b_o) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Matrix concat = attn::merge_heads(heads);
    const Matrix right = attn::project(concat, W_o, b_o);
    const Matrix reshaped = xt::reshape_view(heads, {L, H * d});
    std::vector<Mistake> m = {
            gives(concat,
                  "your answer is the concatenated heads: forgot the output projection? The "
                  "last box of the explainer's diagram, the final linear layer, is concat·W_oᵀ + "
                  "b_o (chapter 10, "
                  "step 2)."),
            gives(attn::project(concat, transposed(W_o), b_o),
                  "your answer is concat·W_o + b_o, without the transpose: W_o is stored as (out, "
                  "in), like every nn.Linear weight, so out(i, r) = Σ_c concat(i, c)·W_o(r, c) + "
                  "b_o(r)."),
            gives(attn::project(reshaped, W_o, b_o),
                  "reshaped without transposing? The heads were joined by reading (H, L, d) in "
                  "memory "
                  "order into (L, E), which mixes tokens across heads: row i of concat must be "
                  "[head 0's row i | head 1's row i | …], concat(i, h·d + c) = heads(h, i, c)."),
    };
    if (b_o.size() != 0) {
        m.push_back(gives(attn::project(concat, W_o, Vector{}),
                          "your answer is concat·W_oᵀ without b_o: forgot the bias? Add b_o(r) to "
                          "column r of every row."));
    }
    m.push_back(shape_differs(right, "the output is (L, E): one row per token, E = H·d columns."));
    return m;
}

void compare(const Tensor3& heads, const Matrix& W_o, const Vector& b_o) {
    const std::string bias = b_o.size() == 0 ? "b_o = empty" : "b_o";
    expect({"output_projection(heads, W_o, " + bias + ")",
            {{"heads", heads}, {"W_o", W_o}, {"b_o", b_o}},
            [&] { return mistakes(heads, W_o, b_o); },
            "do it in two steps and compare each with ./workbook run 10: concat = the heads side "
            "by side (L, E), then concat·W_oᵀ + b_o."},
           ex::output_projection(heads, W_o, b_o),
           attn::project(attn::merge_heads(heads), W_o, b_o));
}

xt::xarray<double> fixture(const std::string& name) {
    return attn::load_npy(std::string(WORKBOOK_FIVE_TOKEN_MODULE) + "/" + name).data;
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(10, "10_concat_and_output", "output_projection(...)");

    // Chapter 10's example: the toy example's tokens, the module drawn from Random(7), E = 4, H = 2.
    attn::Random rng7(7);
    const attn::MhaParams p = attn::random_mha_params(4, 2, rng7);
    const Matrix X = attn::toy_tokens();
    const attn::MhaForward f = attn::mha_forward(p, X, X, X);
    e.check("chapter 10's example: the toy example's 3 tokens, 2 heads of d = 2, W_o (4, 4)", [&] {
        reference_agrees("output",
                         attn::project(attn::merge_heads(f.heads.output), p.out_proj_weight,
                                       p.out_proj_bias),
                         f.output, 1e-12);
        compare(f.heads.output, p.out_proj_weight, p.out_proj_bias);
    });

    e.check("the 5-token module, nn.MultiheadAttention(64, 8): PyTorch's 8 head outputs (8, 5, 8) "
            "and its "
            "out_proj give its output",
            [] {
                const Tensor3 heads = fixture("head_outputs.npy");
                const Matrix W_o = fixture("out_proj.weight.npy");
                const Vector b_o = fixture("out_proj.bias.npy");
                reference_agrees("output", attn::project(attn::merge_heads(heads), W_o, b_o),
                                 fixture("output64.npy"), 1e-9);
                compare(heads, W_o, b_o);
            });

    attn::Random rng(1010);
    const std::size_t H = 3, L = rng.integer(4, 6), d = rng.integer(2, 3);
    Tensor3 heads = xt::zeros<double>({H, L, d});
    for (double& x : heads) x = rng.normal();
    const Matrix W_o = rng.normal_matrix(H * d, H * d, 0.5);
    e.check("heads " + attn::shape_str(heads.shape()) +
                    ", no bias (bias=False: b_o is empty), "
                    "random from seed 1010",
            [&] { compare(heads, W_o, Vector{}); });

    Tensor3 heads2 = xt::zeros<double>({2, 7, 5});
    for (double& x : heads2) x = rng.normal();
    const Matrix W_o2 = rng.normal_matrix(10, 10, 0.5);
    const Vector b_o2 = xt::row(rng.normal_matrix(1, 10), 0);
    e.check("heads (2, 7, 5), W_o (10, 10), b_o (10,): random from seed 1010",
            [&] { compare(heads2, W_o2, b_o2); });

    return e.run(argc, argv);
}
