// Chapter 05 (its title: chapters/manifest.tsv).
// weights·V: every output row is a weighted average of the value rows.
#include <xtensor/xmath.hpp>

#include <attention/attention.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Vector;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"05_weighted_sum",
                                 "query.npy (L, d_k), key.npy (S, d_k), value.npy (S, d_v); key "
                                 "and value default to query"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const auto [Q, K, V] = attn::load_qkv(ch);
        const Matrix w = attn::softmax(attn::scale(attn::scores(Q, K), Q.shape(1)));
        const std::size_t S = V.shape(0);

        //! [step1]
        ch.step("1) the weights and the values");
        ch.show_weights("weights", w, ch.weight_labels(w.shape(0), w.shape(1)),
                        "(L, S) from chapter 04");
        ch.show("V", V, {}, "(S, d_v) one value row per key");
        //! [step1]

        //! [step2]
        ch.step("2) one output row, term by term");
        ch.say("Output row 0 = Σ_j weights[0, j]·v_j: each value row scaled by how much "
               "query 0 attends to its key, then added up.");
        Vector row0 = xt::zeros<double>({V.shape(1)});
        for (std::size_t j = 0; j < std::min<std::size_t>(S, 4); ++j) {
            const Vector term = w(0, j) * xt::row(V, j);
            ch.show("term_" + std::to_string(j), term,
                    "= " + attn::format_number(w(0, j), 4) + " × v_" + std::to_string(j));
        }
        for (std::size_t j = 0; j < S; ++j) row0 += w(0, j) * xt::row(V, j);
        if (S > 4) ch.say("(and " + std::to_string(S - 4) + " more terms)");
        ch.show("output_row_0", row0, "(d_v,) the sum of the terms");
        //! [step2]

        //! [step3]
        ch.step("3) all rows at once: weights·V");
        const Matrix out = attn::weighted_sum(w, V);
        ch.show("output", out, {}, "(L, d_v) = weights·V");
        ch.say("The loop version weighted_sum_loop against weights·V: " +
               attn::describe_difference(attn::weighted_sum_loop(w, V), out) + ".");
        //! [step3]

        //! [step4]
        ch.step("4) a weighted average stays inside the values");
        ch.say("The weights of a row are >= 0 and sum to 1, so each output row is a convex "
               "combination of the value rows: every entry lies between the smallest and "
               "the largest entry of its column of V.");
        const Vector lo = xt::amin(V, {0}), hi = xt::amax(V, {0});
        ch.show("V_column_min", lo, "(d_v,)");
        ch.show("V_column_max", hi, "(d_v,)");
        const bool inside = xt::all(out >= lo - 1e-12) && xt::all(out <= hi + 1e-12);
        ch.say(std::string("Every output entry inside its column's range: ") +
               (inside ? "yes." : "NO."));
        ch.say("Attention can only mix what the values offer; it cannot create new "
               "directions. That is one reason the multi-head module ends with an output "
               "projection (chapter 10). Next, chapter 06: all four steps in one function.");
        //! [step4]
    });
}
