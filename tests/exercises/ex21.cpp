// Exercise 21's checks: output_projection_backward(heads, W_o, dO), steps 5 and 4 of multi-head
// attention reversed, against the reference attn::mha_backward's pieces (and PyTorch's own).
#include <xtensor/xstrided_view.hpp>

#include <attention/attention.hpp>
#include <attention/backward.hpp>
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

Matrix T(const Matrix& m) {
    return xt::transpose(m);
}

// The right answers, from the reference library's linear layer and split.
struct Right {
    Tensor3 d_heads;
    Matrix dW_o;
    Vector db_o;
};

Right right(const Tensor3& heads, const Matrix& W_o, const Matrix& dO) {
    const attn::ProjectGrads g = attn::project_backward(attn::merge_heads(heads), W_o, dO);
    return {attn::split_heads(g.dX, heads.shape(0)), g.dW, g.db};
}

std::vector<Mistake> head_mistakes(const Tensor3& heads, const Matrix& W_o, const Matrix& dO) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Matrix d_concat = attn::weighted_sum(dO, W_o);
    return {
            gives(attn::split_heads(attn::weighted_sum(dO, T(W_o)), H),
                  "your d_heads come from dO·W_oᵀ: the transposes are swapped. The forward pass "
                  "multiplied by W_oᵀ, so the backward pass multiplies by W_o: d_concat = dO·W_o, "
                  "d_concat(i, c) = Σ_r dO(i, r)·W_o(r, c)."),
            gives(Tensor3(xt::reshape_view(d_concat, {H, L, d})),
                  "reshaped without transposing? d_concat (L, E) read in memory order as (H, L, d) "
                  "mixes tokens across heads: d_heads(h, i, c) = d_concat(i, h·d + c), the reverse "
                  "of "
                  "the merge (split_heads)."),
            gives(attn::split_heads(dO, H),
                  "your d_heads are dO split into heads: the output projection is in between. "
                  "First "
                  "d_concat = dO·W_o, then split it."),
            shape_differs(attn::split_heads(d_concat, H),
                          "d_heads has the shape of heads, (H, L, d)."),
    };
}

std::vector<Mistake> weight_mistakes(const Tensor3& heads, const Matrix& W_o, const Matrix& dO) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Matrix concat = attn::merge_heads(heads);
    const Matrix reshaped = xt::reshape_view(heads, {L, H * d});
    (void)W_o;
    return {
            gives(attn::weighted_sum(T(concat), dO),
                  "your dW_o is concatᵀ·dO: the transposes are swapped. dW_o(r, c) = Σ_i dO(i, r)·"
                  "concat(i, c) = (dOᵀ·concat)(r, c): row r of W_o made output column r."),
            gives(attn::weighted_sum(T(dO), reshaped),
                  "your dW_o uses the heads reshaped to (L, E) in memory order, which mixes tokens "
                  "across heads: concat(i, h·d + c) = heads(h, i, c) (merge_heads)."),
            gives(attn::weighted_sum(T(dO), dO),
                  "your dW_o is dOᵀ·dO: the other factor is concat, the input of the output "
                  "projection, dW_o = dOᵀ·concat."),
            shape_differs(attn::weighted_sum(T(dO), concat), "dW_o has the shape of W_o, (E, E)."),
    };
}

std::vector<Mistake> bias_mistakes(const Matrix& dO) {
    const Vector sums = xt::sum(dO, {0});
    return {
            gives(Vector(sums / static_cast<double>(dO.shape(0))),
                  "your db_o is the mean of dO's rows: b_o was added to every one of the L rows, "
                  "so "
                  "its gradient is their sum, db_o(r) = Σ_i dO(i, r)."),
            gives(Vector(xt::row(dO, 0)),
                  "your db_o is dO's first row: b_o was added to every row, "
                  "so add up all of them, db_o(r) = Σ_i dO(i, r)."),
            gives(Vector(xt::sum(dO, {1})),
                  "your db_o sums each row of dO: it sums each column, "
                  "db_o(r) = Σ_i dO(i, r), one entry per output column r."),
            shape_differs(sums, "db_o has the shape of b_o, (E,)."),
    };
}

void compare(const Tensor3& heads, const Matrix& W_o, const Matrix& dO) {
    const ex::OutputProjectionGrads mine = ex::output_projection_backward(heads, W_o, dO);
    const Right r = right(heads, W_o, dO);
    const std::vector<Input> inputs = {{"heads", heads}, {"W_o", W_o}, {"dO", dO}};
    const std::string call = "output_projection_backward(heads, W_o, dO)";
    const std::string steps =
            "compare with ./workbook run 21, steps 2 and 3: d_concat = dO·W_o, "
            "d_heads = split_heads(d_concat), dW_o = dOᵀ·concat, db_o = column sums of dO.";
    expect({call + ".d_heads", inputs, [&] { return head_mistakes(heads, W_o, dO); }, steps},
           mine.d_heads, r.d_heads);
    expect({call + ".dW_o", inputs, [&] { return weight_mistakes(heads, W_o, dO); }, steps},
           mine.dW_o, r.dW_o);
    expect({call + ".db_o", inputs, [&] { return bias_mistakes(dO); }, steps}, mine.db_o, r.db_o);
}

Tensor3 random_heads(attn::Random& rng, std::size_t H, std::size_t L, std::size_t d) {
    Tensor3 t = xt::empty<double>({H, L, d});
    for (double& x : t) x = rng.normal();
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(21, "21_multihead_backward", "output_projection_backward(heads, W_o, dO)");

    // Chapter 21's example: the module of chapters 07-10 (Random(7)) on the toy example, dO
    // from Random(21).
    attn::Random rng7(7);
    const attn::MhaParams p = attn::random_mha_params(4, 2, rng7);
    const Matrix X = attn::toy_tokens(), dO = attn::Random(21).normal_matrix(3, 4);
    e.check("chapter 21's example: the toy example (3 tokens × 4 dims), 2 heads of d = 2", [&] {
        const attn::MhaGrads g = attn::mha_backward(p, X, X, X, dO);
        const Tensor3 heads = attn::mha_forward(p, X, X, X).heads.output;
        const Right r = right(heads, p.out_proj_weight, dO);
        reference_agrees("d_heads", r.d_heads, g.d_heads, 1e-14);
        reference_agrees("dW_o", r.dW_o, g.out_proj_weight, 1e-14);
        compare(heads, p.out_proj_weight, dO);
    });

    e.check("PyTorch's own: multihead_backward/unbatched (5 tokens, E = 8, 4 heads) gives its "
            "out_proj.weight.grad and out_proj.bias.grad",
            [] {
                const std::string dir =
                        std::string(WORKBOOK_FIXTURES_DIR) + "/multihead_backward/unbatched/";
                const attn::MhaParams q = attn::load_mha_params(dir, 4);
                const Matrix x = attn::load_npy(dir + "query.npy").data,
                             G = attn::load_npy(dir + "grad_output.npy").data;
                const Tensor3 heads = attn::mha_forward(q, x, x, x).heads.output;
                const Right r = right(heads, q.out_proj_weight, G);
                reference_agrees("dW_o", r.dW_o,
                                 attn::load_npy(dir + "out_proj.weight.grad64.npy").data, 1e-12);
                reference_agrees("db_o", r.db_o,
                                 attn::load_npy(dir + "out_proj.bias.grad64.npy").data, 1e-12);
                compare(heads, q.out_proj_weight, G);
            });

    attn::Random rng(2121);
    const Tensor3 heads3 = random_heads(rng, 3, 5, 2);
    const Matrix W3 = rng.normal_matrix(6, 6, 0.5), dO3 = rng.normal_matrix(5, 6);
    e.check("heads (3, 5, 2), W_o (6, 6): random from seed 2121",
            [&] { compare(heads3, W3, dO3); });

    const Tensor3 heads2 = random_heads(rng, 2, 7, 5);
    const Matrix W2 = rng.normal_matrix(10, 10, 0.5), dO2 = rng.normal_matrix(7, 10);
    e.check("heads (2, 7, 5), W_o (10, 10): random from seed 2121",
            [&] { compare(heads2, W2, dO2); });

    const Tensor3 heads1 = random_heads(rng, 1, 4, 3);
    const Matrix W1 = rng.normal_matrix(3, 3), dO1 = rng.normal_matrix(4, 3);
    e.check("one head (1, 4, 3): the split and the merge do nothing",
            [&] { compare(heads1, W1, dO1); });

    return e.run(argc, argv);
}
