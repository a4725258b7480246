// Chapter 08 (its title: chapters/manifest.tsv).
// (L, E) → (H, L, E/H): which columns go to which head, the reshape bug, and merging back.
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Tensor3;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "08_head_splitting",
            "query.npy (L, E): the matrix to split (e.g. a projected Q)",
            {{"--heads", "H", "number of heads (default 3, or DIR/num_heads.txt)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        // An "address" matrix: entry (i, c) = 10·i + c, so every number says where it came
        // from (23 = token 2, column 3). L = 4 tokens, not H = 3, so that the reshape bug of
        // step 3 visibly mixes tokens. Or the user's own (L, E) matrix.
        Matrix X = xt::zeros<double>({std::size_t{4}, std::size_t{6}});
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t c = 0; c < 6; ++c) X(i, c) = 10.0 * i + c;
        if (ch.loading()) X = ch.load_matrix("query.npy", "(L, E)");
        const std::size_t L = X.shape(0), E = X.shape(1), H = attn::heads_option(ch, 3);
        if (E % H != 0) {
            throw attn::InputError("E = " + std::to_string(E) + " columns of " +
                                   attn::shape_str(X.shape()) + " cannot be split into " +
                                   std::to_string(H) + " heads of equal width");
        }
        const std::size_t d = E / H;
        const attn::Labels rows{attn::token_labels(L), attn::token_labels(E, "c")};

        //! [step1]
        ch.step("1) which columns go to which head");
        ch.say("Multi-head attention cuts the E columns of Q, K and V into H blocks of "
               "d_head = E / H columns. Head h gets columns h·d_head to (h+1)·d_head - 1 "
               "of every token. Each entry of X below is 10·token + column:");
        ch.show("X", X, rows, "(L, E) = (" + std::to_string(L) + ", " + std::to_string(E) + ")");
        for (std::size_t h = 0; h < H; ++h) {
            std::string cols;
            for (std::size_t c = h * d; c < (h + 1) * d; ++c)
                cols += (c > h * d ? ", c" : "c") + std::to_string(c);
            ch.out() << "head " << h << " <- columns " << cols << " of every token\n";
        }
        ch.out() << "\n";
        //! [step1]

        //! [step2]
        ch.step("2) split: (L, E) -> (H, L, d_head)");
        ch.say("In PyTorch: x.view(L, H, d_head).transpose(0, 1) - first cut each token's "
               "row into H pieces, then bring the head axis to the front.");
        const Tensor3 heads = attn::split_heads(X, H);
        ch.show("heads", heads, {attn::token_labels(L), {}}, "(H, L, d_head)");
        //! [step2]

        //! [step3]
        ch.step("3) the common bug: reshaping without the transpose");
        ch.say("x.view(H, L, d_head) has the right shape but the wrong contents: it reads the "
               "numbers in memory order, token after token, so 'head 0' gets the first "
               "numbers of the first token(s) and a head's rows mix tokens and columns. The "
               "shapes check out and nothing crashes - the model just learns worse. Look at "
               "the tens digits (the token) within one head:");
        const Tensor3 wrong = xt::reshape_view(X, {H, L, d});
        ch.show("heads_wrong", wrong, {}, "(H, L, d_head) = x.view(H, L, d_head): WRONG");
        //! [step3]

        //! [step4]
        ch.step("4) merge: back to (L, E), exactly");
        ch.say("merge_heads undoes split_heads: transpose back to (L, H, d_head) and "
               "flatten each token's pieces into one row again (the 'concatenate' of the "
               "explainer's diagram). Nothing is computed, only moved, so the round trip is "
               "exact.");
        const Matrix merged = attn::merge_heads(heads);
        ch.show("merged", merged, rows, "(L, E) = merge_heads(split_heads(X))");
        const bool identical = merged.shape() == X.shape() && xt::all(xt::equal(merged, X));
        ch.say(std::string("Identical to X, bit for bit: ") + (identical ? "yes" : "NO") +
               ". Next, chapter 09: attention in every head.");
        //! [step4]
    });
}
