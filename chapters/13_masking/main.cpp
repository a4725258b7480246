// Chapter 13 (its title: chapters/manifest.tsv).
// A causal mask for text generation, a padding mask for batches, the conventions people
// mix up, masks combined, and what a fully masked row does.
#include <cmath>

#include <xtensor/xview.hpp>

#include <attention/attention.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "13_masking",
            "query.npy (L, d), key.npy (S, d), value.npy (S, d_v); attn_mask.npy (L, S): "
            "bool True = not allowed (nn.MultiheadAttention's convention), or float added to the "
            "scores"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const std::vector<std::string> words = {"I", "like", "green", "tea"};
        attn::Random rng(13);
        Matrix X = rng.normal_matrix(4, 4);  // 4 tokens × 4 dims
        const attn::Labels labels{words, words};
        // With --load, --dump writes only what is computed from the user's data (step 6),
        // not this example's matrices.
        ch.set_dumping(!ch.loading());

        //! [step1]
        ch.step("1) a causal mask: no looking ahead");
        ch.say("ChatGPT writes one word at a time, so while learning, the word at position i "
               "may only attend to positions 0..i: the later words are what it must predict. "
               "The mask is added to the scaled scores before the softmax: 0 = allowed, "
               "-inf = blocked, and exp(-inf) = 0.");
        const Matrix causal = attn::causal_mask(4);
        ch.show("causal_mask", causal, labels, "(L, L) additive: -inf above the diagonal");
        const attn::Attention a = attn::attention(X, X, X, &causal);
        ch.show_weights("weights", a.weights, labels,
                        "(L, L) lower triangular: no weight on the future");
        //! [step1]

        //! [step2]
        ch.step("2) the property: the future cannot change the past");
        ch.say("Change the last word (\"tea\" -> another random vector) and recompute. Every "
               "earlier output row stays exactly the same:");
        Matrix X2 = X;
        xt::row(X2, 3) = xt::row(rng.normal_matrix(1, 4), 0);
        const attn::Attention a2 = attn::attention(X2, X2, X2, &causal);
        for (std::size_t i = 0; i < 4; ++i) {
            const bool same = xt::all(xt::equal(xt::row(a.output, i), xt::row(a2.output, i)));
            ch.out() << "  output row " << i << " (" << words[i]
                     << "): " << (same ? "unchanged" : "changed") << "\n";
        }
        ch.out() << "\n";
        //! [step2]

        //! [step3]
        ch.step("3) a padding mask: batches of different lengths");
        ch.say("Sentences in a batch have different lengths, so the short ones are padded. "
               "Nobody may attend to padding: key_padding_mask (B, S), one row per sentence "
               "(B, the batch size, is the number of sentences; chapter 16 runs them "
               "together), blocks those keys in every query's row. \"I like green tea\" and "
               "\"green tea\" + 2 pads:");
        const Matrix pad = attn::padding_mask({4, 2}, 4);
        ch.show("key_padding_mask", pad, {{"sentence 0", "sentence 1"}, {"0", "1", "2", "3"}},
                "(B, S) additive");
        Matrix X_short = X;
        xt::view(X_short, xt::range(0, 2), xt::all()) = xt::view(X, xt::range(2, 4), xt::all());
        xt::view(X_short, xt::range(2, 4), xt::all()) = 0.0;  // the pads
        const Matrix pad_rows =
                xt::zeros<double>({4, 4}) + xt::view(pad, xt::range(1, 2), xt::all());
        ch.show_weights("weights_padded",
                        attn::attention(X_short, X_short, X_short, &pad_rows).weights,
                        {{"green", "tea", "<pad>", "<pad>"}, {"green", "tea", "<pad>", "<pad>"}},
                        "(L, S) sentence 1: no weight on the pads");
        //! [step3]

        //! [step4]
        ch.step("4) conventions people mix up");
        ch.say("A bool mask means opposite things in different places:\n"
               "- nn.MultiheadAttention, attn_mask and key_padding_mask: True = not allowed.\n"
               "- F.scaled_dot_product_attention (PyTorch 2.0 and later), a bool attn_mask: "
               "True = allowed.\n"
               "- Hugging Face's attention_mask (B, S): 1 = attend, 0 = padding.\n"
               "- A float mask (either PyTorch function): added to the scores, 0 = allowed, "
               "-inf (or a large negative number such as -1e9) = blocked.\n"
               "The causal mask written in each convention and read in its own gives the same "
               "weights. A bool mask read with the opposite convention is inverted. Row "
               "\"green\" (it may see \"I\", \"like\" and itself):");
        const Matrix blocked =
                attn::causal_mask_bool(4);     // nn.MultiheadAttention: True = not allowed
        const Matrix allowed = 1.0 - blocked;  // F.scaled_dot_product_attention: True = allowed
        const Matrix big_negative = xt::where(xt::isinf(causal), -1e9, 0.0);
        const auto row_green = [&](const Matrix& additive) {
            return Matrix(xt::view(attn::attention(X, X, X, &additive).weights, xt::range(2, 3),
                                   xt::all()));
        };
        const Matrix rows = xt::concatenate(
                xt::xtuple(row_green(attn::additive_from_blocked(blocked)),
                           row_green(attn::additive_from_allowed(allowed)), row_green(big_negative),
                           row_green(attn::additive_from_blocked(allowed))),
                0);
        ch.show_weights("convention_rows", rows,
                        {{"MHA bool, True=blocked", "SDPA bool, True=allowed", "float -1e9",
                          "SDPA's mask given to MHA"},
                         words},
                        "(4, S) the weights of row \"green\"");
        ch.say("The first three agree; the last lets \"green\" see only the future (\"tea\") "
               "- the model would learn to cheat. For padding, Hugging Face's attention_mask [1 1 "
               "0 0] "
               "(\"green tea\" + 2 pads) is, in the additive form, the same row as step 3's "
               "key_padding_mask of sentence 1:");
        const Matrix hf = {{1, 1, 0, 0}};
        ch.show("attention_mask_additive", attn::additive_from_attention_mask(hf),
                {{"sentence 1"}, {"0", "1", "2", "3"}}, "(1, S) from attention_mask [1 1 0 0]");
        //! [step4]

        //! [step5]
        ch.step("5) combining masks, and a fully masked row");
        ch.say("Masks combine by adding (additive) or by OR (bool). Generation often pads "
               "on the left, so that every sentence ends at the same position. Causal AND "
               "left padding: the pads come first, and the first rows can see nothing but "
               "pads - every key they may look at is blocked.");
        const std::vector<std::string> left = {"<pad>", "<pad>", "green", "tea"};
        Matrix X_left = xt::zeros<double>({4, 4});
        xt::view(X_left, xt::range(2, 4), xt::all()) = xt::view(X, xt::range(2, 4), xt::all());
        Matrix left_pad = xt::zeros<double>({4, 4});
        xt::view(left_pad, xt::all(), xt::range(0, 2)) = -INFINITY;  // keys 0 and 1 are pads
        const Matrix both = causal + left_pad;
        ch.show("combined_mask", both, {left, left}, "(L, S) causal + left padding");
        ch.show_weights("weights_combined", attn::attention(X_left, X_left, X_left, &both).weights,
                        {left, left}, "(L, S) the pad rows are fully masked: nan");
        const Matrix both_1e9 = xt::where(xt::isinf(both), -1e9, 0.0);
        ch.show_weights("weights_combined_1e9",
                        attn::attention(X_left, X_left, X_left, &both_1e9).weights, {left, left},
                        "(L, S) with -1e9 they spread over keys they must not see");
        ch.say("A fully masked row has no allowed key. With -inf its softmax is 0/0 = NaN, "
               "and the workbook keeps that NaN, as PyTorch does; with -1e9 it quietly "
               "averages keys it was told to ignore. Neither is meaningful: those rows' "
               "outputs must be dropped (or the mask must leave every query one key). Next, "
               "chapter 14: attending to another sequence.");
        //! [step5]

        if (ch.loading()) {
            ch.step("6) your inputs");
            ch.set_dumping(true);
            const Matrix Q = ch.load_matrix("query.npy", "(L, d)");
            const Matrix K = ch.has_file("key.npy") ? ch.load_matrix("key.npy", "(S, d)") : Q;
            const Matrix V = ch.has_file("value.npy") ? ch.load_matrix("value.npy", "(S, d_v)") : Q;
            Matrix mask = attn::causal_mask(Q.shape(0));
            if (ch.has_file("attn_mask.npy")) {
                const xt::xarray<double> m =
                        attn::additive_mask(attn::load_npy(ch.load_path("attn_mask.npy")));
                if (m.dimension() != 2) {
                    throw attn::InputError(ch.load_path("attn_mask.npy") +
                                           ": expected (L, S), got " + attn::shape_str(m.shape()));
                }
                mask = m;
            }
            const attn::Attention mine = attn::attention(Q, K, V, &mask);
            ch.show("mask", mask, {}, "(L, S) additive (causal unless attn_mask.npy is given)");
            ch.show_weights("masked_weights", mine.weights, {}, "(L, S)");
            ch.show("masked_output", mine.output, {}, "(L, d_v)");
        }
    });
}
