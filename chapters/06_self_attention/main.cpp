// Chapter 06 (its title: chapters/manifest.tsv).
// softmax(Q·Kᵀ / √d_k)·V as one function, on the seed's example with Q = K = V = tokens;
// then one query at a time, so a single output row is seen being built.
#include <cmath>
#include <iostream>

#include <attention/attention.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Vector;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
        "06_self_attention",
        "query.npy (L, d_k), key.npy (S, d_k), value.npy (S, d_v); key and value default to query"};
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
        ch.show_weights("weights", a.weights, {}, "(L, S) = softmax(scaled_scores), rows sum to 1");
        ch.show("output", a.output, {}, "(L, d_v) = weights·V");
        //! [step1]

        //! [step2]
        ch.step("2) what PyTorch prints");
        ch.say("The seed's toy program prints the same two matrices. With 4 decimals, as "
               "PyTorch prints them:");
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
            const Matrix q = xt::view(Q, xt::range(i, i + 1), xt::all());   // (1, d_k)
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
               "from the vectorised output: " + attn::describe_difference(looped, a.output) +
               ".");
        ch.say("Next, chapter 07: learned projections give each token its own query, key "
               "and value.");
        //! [step4]
    });
}
