// Chapter 02 (its title: chapters/manifest.tsv).
// Q·Kᵀ written as loops (one dot product at a time) and as one matrix product.
#include <attention/attention.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"02_dot_product_scores",
                                 "query.npy (L, d_k), key.npy (S, d_k); key defaults to query"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const auto [Q, K, V] = attn::load_qkv(ch);
        const std::size_t L = Q.shape(0), S = K.shape(0), d_k = Q.shape(1);
        const attn::Labels qk{attn::token_labels(L, "q"), attn::token_labels(S, "k")};

        //! [step1]
        ch.step("1) one dot product");
        ch.say("The dot product of a query q and a key k multiplies them entry by entry and "
               "adds up: q·k = Σ_c q[c]·k[c]. It is large when the two vectors point the same "
               "way. Query 0 against key " +
               std::to_string(S - 1) + ":");
        std::string sum;
        double total = 0.0;
        for (std::size_t c = 0; c < d_k; ++c) {
            sum += (c ? " + " : "") + attn::format_number(Q(0, c), 1) + "×" +
                   attn::format_number(K(S - 1, c), 1);
            total += Q(0, c) * K(S - 1, c);
        }
        if (d_k <= 8)
            ch.say("q0·k" + std::to_string(S - 1) + " = " + sum + " = " +
                   attn::format_number(total, 4));
        else
            ch.say("q0·k" + std::to_string(S - 1) + " = " + attn::format_number(total, 4) + " (" +
                   std::to_string(d_k) + " products added up)");
        //! [step1]

        //! [step2]
        ch.step("2) every query with every key, with loops");
        ch.say("Row i, column j of the score matrix is query i's dot product with key j: "
               "three nested loops (query, key, dimension). L is the number of queries, S the "
               "number of keys (" +
               std::string(S == L ? "here S = L" : "here S ≠ L") +
               "; in self-attention S = L, chapter 14 has S ≠ L) and d_k the length of each "
               "query and key vector.");
        ch.show("Q", Q, {}, "(L, d_k) queries");
        ch.show("K", K, {}, "(S, d_k) keys");
        const Matrix looped = attn::scores_loop(Q, K);
        ch.show("scores_loop", looped, qk, "(L, S) from scores_loop(Q, K)");
        //! [step2]

        //! [step3]
        ch.step("3) the same as one matrix product, Q·Kᵀ");
        ch.say("Transposing K turns its rows into columns, so the matrix product Q·Kᵀ "
               "computes exactly those dot products - in one call that BLAS runs fast (BLAS, the "
               "Basic Linear Algebra Subprograms: a library of tuned matrix routines, here "
               "OpenBLAS through xtensor-blas; chapter 18 times it).");
        const Matrix K_T = xt::transpose(K);
        ch.show("K_T", K_T, {}, "(d_k, S) = Kᵀ");
        const Matrix s = attn::scores(Q, K);
        ch.show("scores", s, qk, "(L, S) = Q·Kᵀ");
        //! [step3]

        //! [step4]
        ch.step("4) they agree");
        ch.say("Largest difference between the loops and Q·Kᵀ: " +
               attn::describe_difference(looped, s) + ".");
        ch.say("In the toy example Q = K, so the scores are symmetric: q_i·k_j = q_j·k_i. "
               "Token t1 = [0, 2, 0, 2] scores 8 with itself, the largest score: long "
               "vectors give large dot products. Next, chapter 03: why the scores are "
               "scaled by √d_k.");
        //! [step4]
    });
}
