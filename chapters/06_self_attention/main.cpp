// Chapter 06 (its title: chapters/manifest.tsv).
// softmax(Q·Kᵀ / √d_k)·V as one function, on the toy example with Q = K = V = tokens;
// then one query at a time, so a single output row is seen being built.
#include <cmath>
#include <iostream>

#include <attention/attention.hpp>
#include <attention/contrast.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Vector;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"06_self_attention",
                                 "query.npy (L, d_k), key.npy (S, d_k), value.npy (S, d_v); key "
                                 "and value default to query"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const auto [Q, K, V] = attn::load_qkv(ch);

        //! [step1]
        ch.step("1) attention(Q, K, V) in one call");
        ch.say("The four steps of chapters 02-05 in one function: scores = Q·Kᵀ, scaled by "
               "1/√d_k, softmax over each row, then weights·V.");
        ch.show("Q", Q, {}, "(L, d_k) queries");
        ch.show("K", K, {}, "(S, d_k) keys");
        ch.show("V", V, {}, "(S, d_v) values");
        const attn::Attention a = attn::attention(Q, K, V);
        ch.show("scores", a.scores, {}, "(L, S) = Q·Kᵀ");
        ch.show("scaled_scores", a.scaled_scores, {}, "(L, S) = Q·Kᵀ / √d_k");
        ch.show_weights("weights", a.weights,
                        ch.weight_labels(a.weights.shape(0), a.weights.shape(1)),
                        "(L, S) = softmax(scaled_scores), rows sum to 1");
        ch.show("output", a.output, {}, "(L, d_v) = weights·V");
        //! [step1]

        //! [step2]
        ch.step("2) what PyTorch prints");
        if (ch.loading())
            ch.say("Your inputs' weights and output, in the format PyTorch prints tensors "
                   "(4 decimals):");
        else
            ch.say("The toy example's PyTorch program prints the same two matrices. With 4 "
                   "decimals, as PyTorch prints them:");
        ch.out() << "Attention Weights:\n " << attn::torch_format(a.weights) << "\n"
                 << "Output Vectors:\n " << attn::torch_format(a.output) << "\n\n";
        //! [step2]

        //! [step3]
        ch.step("3) one query at a time");
        ch.say("Each row of the output is computed on its own: query i scores every key, the "
               "scores become weights, the weights mix the values. Nothing about row i "
               "depends on the other queries - which is why attention runs in parallel.");
        const std::size_t shown = std::min<std::size_t>(Q.shape(0), 3);
        for (std::size_t i = 0; i < shown; ++i) {
            const std::string n = std::to_string(i);
            const Matrix q = xt::view(Q, xt::range(i, i + 1), xt::all());  // (1, d_k)
            const attn::Attention row = attn::attention(q, K, V);
            ch.show("q_" + n, Vector(xt::row(q, 0)), "(d_k,) query " + n);
            ch.show("weights_" + n, Vector(xt::row(row.weights, 0)),
                    "(S,) = softmax(q_" + n + "·Kᵀ / √d_k)");
            ch.show("output_" + n, Vector(xt::row(row.output, 0)),
                    "(d_v,) = Σ_j weights_" + n + "[j]·v_j, row " + n + " of output");
        }
        if (shown < Q.shape(0)) ch.say("(the other queries are computed the same way)");
        //! [step3]

        //! [step4]
        ch.step("4) the loops agree");
        const Matrix looped = attn::attention_loop(Q, K, V);
        ch.say("attention_loop computes the same with plain for-loops. Largest difference "
               "from the vectorised output: " +
               attn::describe_difference(looped, a.output) + ".");
        //! [step4]

        //! [step5]
        ch.step("5) why it is powerful, measured");
        // The sequence: your queries with --load, else 7 random tokens of 4 dims.
        attn::Random rng(7);
        const Matrix X = ch.loading() ? Q : rng.normal_matrix(7, 4);
        const std::size_t L = X.shape(0), E = X.shape(1);
        const auto conv = [](const Matrix& x) { return attn::convolve3(x, {0.25, 0.5, 0.25}); };
        const auto list = [](const std::vector<std::size_t>& v) {
            std::string s;
            for (std::size_t j : v) s += (s.empty() ? "" : ", ") + std::to_string(j);
            return s;
        };
        const auto by_conv = attn::influencers(conv, X, 0);
        const auto by_attn = attn::influencers(attn::self_attention_layer, X, 0);
        ch.say("Global context. A sequence of L = " + std::to_string(L) + " tokens" +
               (ch.loading() ? " (your queries)" : " (random vectors, Random(7))") +
               ". Which inputs can change output 0? Each input is nudged in turn and the "
               "outputs compared. A 3-wide convolution (each output mixes a token and its two "
               "neighbours, as in a CNN): inputs " +
               list(by_conv) + " (" + std::to_string(by_conv.size()) + " of " + std::to_string(L) +
               "). One self-attention layer: inputs " + list(by_attn) + " (" +
               std::to_string(by_attn.size()) + " of " + std::to_string(L) + ").");
        const std::size_t far = L - 1;
        ch.say("Long-range dependencies. For the last token (" + std::to_string(far) +
               ") to reach output 0, convolutions must be stacked: " +
               std::to_string(attn::layers_to_reach(conv, X, far, 0, L)) +
               " layers of them; attention needs " +
               std::to_string(attn::layers_to_reach(attn::self_attention_layer, X, far, 0, L)) +
               ", whatever the distance.");
        const Matrix W = rng.normal_matrix(E, E, 0.5), U = rng.normal_matrix(E, E, 0.5);
        ch.say("Parallel, not word by word. A recurrent network reads the tokens in order, "
               "h_t = tanh(W·h_(t-1) + U·x_t): row t cannot start before row t-1 is done. "
               "Steps that must run one after another, counted by nudging each finished row "
               "and seeing which later rows change: recurrent " +
               std::to_string(attn::sequential_steps(attn::recurrent_step(W, U), X, E)) +
               ", attention " +
               std::to_string(attn::sequential_steps(attn::attention_step(), X, E)) + " (its " +
               std::to_string(L) +
               " rows are independent, so they can all be "
               "computed at once).");
        ch.say("Next, chapter 07: learned projections give each token its own query, key "
               "and value.");
        //! [step5]
    });
}
