// Chapter 14 (its title: chapters/manifest.tsv).
// Translation (English → French) and captioning: L ≠ S, the weights are (L, S).
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;

namespace {

// Word vectors over 4 meanings: [article, cat, black, sleep].
Matrix words(const std::vector<std::vector<double>>& rows) {
    Matrix m = xt::zeros<double>({rows.size(), std::size_t{4}});
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::size_t c = 0; c < 4; ++c) m(i, c) = rows[i][c];
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "14_cross_attention",
            "query.npy (L, d), key.npy (S, d), value.npy (S, d_v): the query sequence and the "
            "sequence it attends to"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        if (ch.loading()) {  // your sequences replace the built-in French and English
            ch.step("1) cross-attention on your sequences");
            const attn::QKV in = attn::load_qkv(ch);
            ch.say("Your queries (L, d) attend to your keys (S, d) and values (S, d_v): the "
                   "weights are (L, S), a row per query, a column per key.");
            const attn::Attention mine = attn::attention(in.Q, in.K, in.V);
            ch.show_weights("weights", mine.weights,
                            ch.weight_labels(mine.weights.shape(0), mine.weights.shape(1)),
                            "(L, S)");
            ch.show("output", mine.output, {ch.token_labels(mine.output.shape(0)), {}}, "(L, d_v)");
            return;
        }
        const std::vector<std::string> french = {"le", "chat", "noir", "dort"};
        const std::vector<std::string> english = {"the", "black", "cat", "is", "sleeping"};

        //! [step1]
        ch.step("1) two sequences");
        ch.say("A translation model has two halves: the encoder, which reads the English "
               "sentence and turns each word into a vector, and the decoder, which writes "
               "the French sentence one word at a time. The decoder's queries come from the "
               "French words written so far; the keys and values come from the encoder's "
               "English vectors. Hand-set vectors over four "
               "meanings [article, cat, black, sleep]; \"is sleeping\" splits sleep over two "
               "words:");
        const Matrix fr = 3.0 * words({{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}});
        const Matrix en =
                words({{1, 0, 0, 0}, {0, 0, 1, 0}, {0, 1, 0, 0}, {0, 0, 0, 0.7}, {0, 0, 0, 0.7}});
        const attn::Labels fr_labels{french, {"article", "cat", "black", "sleep"}};
        ch.show("french", fr, fr_labels, "(L, d) = (4, 4) the queries");
        ch.show("english", en, {english, fr_labels.cols}, "(S, d) = (5, 4) keys and values");
        //! [step1]

        //! [step2]
        ch.step("2) cross-attention: Q from French, K and V from English");
        ch.say("Same formula, softmax(Q·Kᵀ / √d)·V, but Q = french (L = 4) and K = V = "
               "english (S = 5): the scores and the weights are (L, S) = (4, 5), one row per "
               "French word, one column per English word.");
        const attn::Attention a = attn::attention(fr, en, en);
        ch.show_weights("weights", a.weights, {french, english}, "(L, S): the alignment");
        // For ./workbook view: the tokens, and Q = french, K = english as one head (1, n, d).
        ch.dump_lines("tokens.txt", french);
        ch.dump_lines("key_tokens.txt", english);
        ch.dump("Q_heads", xt::xarray<double>(xt::expand_dims(fr, 0)));
        ch.dump("K_heads", xt::xarray<double>(xt::expand_dims(en, 0)));
        for (std::size_t i = 0; i < french.size(); ++i) {
            ch.out() << "  " << french[i] << " ->";
            for (std::size_t j = 0; j < english.size(); ++j)
                if (a.weights(i, j) > 0.2)
                    ch.out() << " " << english[j] << " (" << attn::format_number(a.weights(i, j), 2)
                             << ")";
            ch.out() << "\n";
        }
        ch.out() << "\n";
        ch.say("The alignment follows meaning, not position: \"noir\" (3rd) looks at "
               "\"black\" (2nd), \"chat\" (2nd) at \"cat\" (3rd) - French puts the adjective "
               "after the noun - and \"dort\" spreads over \"is sleeping\".");
        ch.show("output", a.output, {french, {}},
                "(L, d) each French word's view of the English sentence");
        //! [step2]

        //! [step3]
        ch.step("3) the same with multi-head attention");
        ch.say("nn.MultiheadAttention does cross-attention when key and value differ from "
               "query: mha(query=french, key=english, value=english). Each head's weights "
               "are (L, S); the output has the query's length L. (Random weights, E = 4, "
               "H = 2.)");
        attn::Random rng(14);
        const attn::MhaParams p = attn::random_mha_params(4, 2, rng);
        const attn::MhaForward f = attn::mha_forward(p, fr, en, en);
        ch.show_weights("mha_weights", f.heads.weights, {french, english}, "(H, L, S)");
        ch.dump("mha_Q_heads", f.Qh);  // (H, L, d_head), for ./workbook view
        ch.dump("mha_K_heads", f.Kh);  // (H, S, d_head)
        ch.show("mha_output", f.output, {french, {}}, "(L, E)");
        ch.say("Image captioning (BLIP) works the same way: the caption's words are the "
               "queries, the image's regions are the keys and values - visual regions + text "
               "tokens. Next, chapter 15: word order.");
        //! [step3]
    });
}
