// Chapter 01 (its title: chapters/manifest.tsv).
// The toy example's 3 tokens × 4 dims as a matrix: rows are tokens, columns are dimensions.
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"01_tokens",
                                 "query.npy (L, E): your own token vectors, one row per token"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();

        //! [step1]
        ch.step("1) why attention");
        ch.say("Self-attention lets every word of a sentence decide how much each of the "
               "other words matters to it, and build its new meaning from them. Each token, "
               "in effect, asks: which of the other tokens tell me what I mean here?");
        ch.say("You're reading: \"She didn't want to eat the cake because it was too sweet.\"\n"
               "To understand \"it\", your brain refers back to \"cake\": that's self-attention "
               "in action. A model cannot read words, so first every word becomes a vector.");
        //! [step1]

        //! [step2]
        ch.step("2) tokens as a matrix");
        const Matrix tokens =
                ch.loading() ? ch.load_matrix("query.npy", "(L, E)") : attn::toy_tokens();
        const std::size_t L = tokens.shape(0), E = tokens.shape(1);
        ch.say("Where the examples come from: a short public explainer of attention works "
               "through a toy example of 3 tokens with 4 dimensions each (Q = K = V = the "
               "tokens) and runs a PyTorch nn.MultiheadAttention(64, 8) on 5 random tokens. "
               "This workbook calls them \"the toy example\" and \"the 5-token module\" "
               "and reproduces the numbers they print (chapters 06 and 11).");
        ch.say("One row per token, one column per dimension. The toy example has 3 tokens "
               "with 4 dimensions each, so the matrix is (L, E) = (3, 4).");
        ch.show("tokens", tokens, {attn::token_labels(L), attn::token_labels(E, "d")},
                "(L, E): L tokens, E dims each");
        //! [step2]

        //! [step3]
        ch.step("3) rows and columns");
        ch.say("A row is one token's vector. Row 1 is token t1:");
        const attn::Vector row = xt::view(tokens, std::min<std::size_t>(1, L - 1), xt::all());
        ch.show("tokens_row_1", row, "(E,): the vector of token t1");
        ch.say("A column is one dimension across all tokens. Column 0 is d0:");
        const attn::Vector column = xt::view(tokens, xt::all(), 0);
        ch.show("tokens_col_0", column, "(L,): dimension d0 of every token");
        //! [step3]

        //! [step4]
        ch.step("4) three roles: Q, K, V");
        ch.say("Given 3 vectors for each word: Q = Query (what this token is looking for), "
               "K = Key (what it offers to be found by), V = Value (what it passes on once "
               "found). We compute: the dot product of Q and K gives a score of how much "
               "attention to pay; softmax turns scores into weights; multiplying the weights "
               "with V gives the output.");
        ch.say("In the toy example the three roles are shared: Q = K = V = tokens. "
               "Chapter 07 gives each role its own learned projection. Next, chapter 02: "
               "the dot products.");
        //! [step4]
    });
}
