// Chapter 15 (its title: chapters/manifest.tsv).
// "dog bites man" vs "man bites dog", then sinusoidal positional encodings.
#include <xtensor/xview.hpp>

#include <attention/attention.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>

using attn::Matrix;

namespace {

// The rows of `m` in the given order.
Matrix rows(const Matrix& m, const std::vector<std::size_t>& order) {
    Matrix out = xt::empty<double>({order.size(), m.shape(1)});
    for (std::size_t i = 0; i < order.size(); ++i) xt::row(out, i) = xt::row(m, order[i]);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"15_positions",
                                 "query.npy (L, E): token vectors to add positions to"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        if (ch.loading()) {  // your tokens replace the built-in sentences
            ch.step("1) positions added to your tokens");
            const Matrix X = ch.load_matrix("query.npy", "(L, E)");
            const Matrix pe = attn::positional_encoding(X.shape(0), X.shape(1));
            ch.say("The sinusoidal positional encodings for your L and E, and your tokens with "
                   "them added:");
            const std::vector<std::string> rows = ch.token_labels(X.shape(0));
            ch.show("PE", pe, {rows, {}}, "(L, E)");
            ch.show("tokens_with_positions", Matrix(X + pe), {rows, {}}, "(L, E)");
            return;
        }
        const std::size_t E = 8;
        attn::Random rng(15);
        const Matrix vocab = rng.normal_matrix(3, E);  // dog, bites, man
        const std::vector<std::size_t> dbm = {0, 1, 2}, mbd = {2, 1, 0};
        const std::vector<std::string> names = {"dog", "bites", "man"};
        const Matrix s1 = rows(vocab, dbm), s2 = rows(vocab, mbd);

        //! [step1]
        ch.step("1) two sentences, the same words");
        ch.say("\"dog bites man\" and \"man bites dog\": the same three vectors in another "
               "order (E = 8, random).");
        ch.show("dog_bites_man", s1, {{"dog", "bites", "man"}, {}}, "(L, E)");
        ch.show("man_bites_dog", s2, {{"man", "bites", "dog"}, {}}, "(L, E)");
        //! [step1]

        //! [step2]
        ch.step("2) self-attention cannot tell them apart");
        const Matrix o1 = attn::attention(s1, s1, s1).output,
                     o2 = attn::attention(s2, s2, s2).output;
        ch.show("output_dbm", o1, {{"dog", "bites", "man"}, {}}, "(L, E)");
        ch.show("output_mbd", o2, {{"man", "bites", "dog"}, {}}, "(L, E)");
        ch.say("Permuting the tokens permutes the output rows and changes nothing else: "
               "\"dog\" gets the same output row whether it bites or is bitten. Largest "
               "difference between output_dbm and output_mbd put back in the same order: " +
               attn::describe_difference(o1, rows(o2, mbd)) +
               ". Every score is a dot "
               "product between two tokens; nothing in it says where a token stands.");
        //! [step2]

        //! [step3]
        ch.step("3) sinusoidal positional encodings");
        ch.say("The original Transformer adds a position vector to each token: "
               "PE(pos, 2i) = sin(pos / 10000^(2i/E)), PE(pos, 2i+1) = cos(pos / 10000^(2i/E)). "
               "Each pair of columns is a clock at its own speed: fast in the first columns, "
               "slow in the last, so every position gets a distinct pattern, and PE(pos + k) "
               "is a fixed rotation of PE(pos).");
        const Matrix pe = attn::positional_encoding(3, E);
        ch.show("PE", pe, {{"pos 0", "pos 1", "pos 2"}, {}}, "(L, E)");
        //! [step3]

        //! [step4]
        ch.step("4) with positions, order matters");
        const Matrix p1 = s1 + pe, p2 = s2 + pe;
        const Matrix q1 = attn::attention(p1, p1, p1).output,
                     q2 = attn::attention(p2, p2, p2).output;
        ch.show("output_dbm_pos", q1, {{"dog", "bites", "man"}, {}}, "(L, E) tokens + PE");
        ch.show("output_mbd_pos", q2, {{"man", "bites", "dog"}, {}}, "(L, E) tokens + PE");
        ch.say("Now \"dog\" as subject (row 0 above) and \"dog\" as object (row 2 below) get "
               "different outputs: largest difference " +
               attn::describe_difference(Matrix(xt::view(q1, xt::range(0, 1), xt::all())),
                                         Matrix(xt::view(q2, xt::range(2, 3), xt::all()))) +
               ". Next, chapter 16: batches.");
        //! [step4]
    });
}
