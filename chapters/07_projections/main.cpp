// Chapter 07 (its title: chapters/manifest.tsv).
// Q = X·W_qᵀ + b_q, K = X·W_kᵀ + b_k, V = X·W_vᵀ + b_v, and PyTorch's packed in_proj_weight.
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Vector;

int main(int argc, char** argv) {
    const attn::ChapterInfo info = attn::mha_chapter_info("07_projections");
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const attn::MhaExample ex = attn::load_mha_example(ch);
        const attn::MhaParams& p = ex.params;
        const Matrix& X = ex.query;

        //! [step1]
        ch.step("1) three learned matrices");
        ch.say("In the toy example (3 tokens × 4 dims) Q = K = V = tokens: a token looks for, "
               "and offers, exactly what it is. A real model learns three matrices instead, so "
               "the same token can ask one thing (its query), advertise another (its key) and "
               "pass on a third (its value). Here E = " +
               std::to_string(p.E) + ".");
        if (ch.loading()) {
            ch.say("The weights and biases are your module's.");
        } else {
            ch.say("The weights are drawn at random within the bounds PyTorch's initialisation "
                   "uses (in_proj_weight uniform in ±√(6 / (E + 3E)), Xavier's bound). The "
                   "biases are not as PyTorch starts them: a fresh nn.MultiheadAttention sets "
                   "both biases to zero, and the workbook draws them uniform in ±0.1 instead, "
                   "only to make them visible in the numbers below.");
        }
        ch.show("W_q", p.W_q(), {}, "(E, E) query weights");
        ch.show("W_k", p.W_k(), {}, "(E, E) key weights");
        ch.show("W_v", p.W_v(), {}, "(E, E) value weights");
        ch.show("b_q", p.b_q(), "(E,) query bias");
        ch.show("b_k", p.b_k(), "(E,) key bias");
        ch.show("b_v", p.b_v(), "(E,) value bias");
        //! [step1]

        //! [step2]
        ch.step("2) one token, three roles");
        ch.say("Token t1 of the toy example is [0, 2, 0, 2]. Like nn.Linear, each role is "
               "x·Wᵀ + b: row r of W makes entry r of the result.");
        const std::size_t t = std::min<std::size_t>(1, X.shape(0) - 1);
        const Matrix x = xt::view(X, xt::range(t, t + 1), xt::all());  // (1, E)
        ch.show("x", Vector(xt::row(x, 0)), "(E,) the token");
        ch.show("q", Vector(xt::row(attn::project(x, p.W_q(), p.b_q()), 0)), "(E,) = x·W_qᵀ + b_q");
        ch.show("k", Vector(xt::row(attn::project(x, p.W_k(), p.b_k()), 0)), "(E,) = x·W_kᵀ + b_k");
        ch.show("v", Vector(xt::row(attn::project(x, p.W_v(), p.b_v()), 0)), "(E,) = x·W_vᵀ + b_v");
        //! [step2]

        //! [step3]
        ch.step("3) every token at once");
        const Matrix Q = attn::project(X, p.W_q(), p.b_q());
        const Matrix K = attn::project(ex.key, p.W_k(), p.b_k());
        const Matrix V = attn::project(ex.value, p.W_v(), p.b_v());
        ch.show("X", X, {}, "(L, E) the tokens");
        ch.show("Q", Q, {}, "(L, E) = X·W_qᵀ + b_q");
        ch.show("K", K, {}, "(S, E) = X·W_kᵀ + b_k");
        ch.show("V", V, {}, "(S, E) = X·W_vᵀ + b_v");
        //! [step3]

        //! [step4]
        ch.step("4) how PyTorch stores them: in_proj_weight");
        ch.say("nn.MultiheadAttention keeps the three matrices stacked in one parameter, "
               "in_proj_weight (3E, E): rows 0..E-1 are W_q, rows E..2E-1 are W_k, rows "
               "2E..3E-1 are W_v; in_proj_bias (3E,) stacks b_q, b_k, b_v the same way. "
               "For self-attention one product then gives all three: X·in_proj_weightᵀ + "
               "in_proj_bias is (L, 3E) = [Q | K | V].");
        ch.show("in_proj_weight", p.in_proj_weight, {}, "(3E, E) = [W_q; W_k; W_v]");
        const Matrix QKV = attn::project(X, p.in_proj_weight, p.in_proj_bias);
        ch.show("QKV", QKV, {}, "(L, 3E) = X·in_proj_weightᵀ + in_proj_bias");
        const Matrix Q_again = xt::view(QKV, xt::all(), xt::range(0, p.E));
        ch.say("Its first E columns against Q from step 3: " +
               attn::describe_difference(Q_again, Q) +
               ". Next, chapter 08: cutting Q, K "
               "and V into heads.");
        //! [step4]
    });
}
