// Chapter 04 (its title: chapters/manifest.tsv).
// Row-wise softmax; why the naive formula overflows and the stable one does not.
#include <cmath>

#include <xtensor/xmath.hpp>

#include <attention/attention.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Vector;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"04_softmax",
                                 "query.npy (L, d_k), key.npy (S, d_k); key defaults to query"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const auto [Q, K, V] = attn::load_qkv(ch);
        const Matrix scaled = attn::scale(attn::scores(Q, K), Q.shape(1));

        //! [step1]
        ch.step("1) softmax of one row");
        ch.say("softmax(x)_j = exp(x_j) / Σ_k exp(x_k): exp makes every score positive, "
               "dividing by the sum makes them add up to 1. Row 0 of the scaled scores:");
        const Vector x = xt::row(scaled, 0);
        ch.show("x", x, "(S,) row 0 of Q·Kᵀ / √d_k");
        const Vector e = xt::exp(x);
        ch.show("exp_x", e, "(S,) exp of each score");
        ch.say("Their sum is " + attn::format_number(xt::sum(e)(), 4) + "; dividing by it:");
        ch.show("softmax_x", Vector(e / xt::sum(e)()), "(S,) the weights of query 0");
        //! [step1]

        //! [step2]
        ch.step("2) every row at once");
        ch.say("Softmax runs over each row separately (dim=1 in the toy example's "
               "F.softmax(scores, dim=1)): each query distributes its own attention.");
        ch.show("scaled_scores", scaled, {}, "(L, S)");
        const Matrix w = attn::softmax(scaled);
        ch.show_weights("weights", w, ch.weight_labels(w.shape(0), w.shape(1)),
                        "(L, S) = softmax over each row");
        ch.show("row_sums", Vector(xt::sum(w, {1})), "(L,) every row sums to 1");
        //! [step2]

        //! [step3]
        ch.step("3) the naive formula overflows");
        ch.say("exp(x) passes the largest double (about 1.8e308) once x > 709.78. Scores "
               "near 1000 become inf, and inf / inf is NaN:");
        const Matrix big = {{1000.0, 1001.0, 1002.0}, {-1000.0, 0.0, 1000.0}};
        ch.show("big_scores", big, {}, "scores a large model can reach");
        ch.show("softmax_naive", attn::softmax_naive(big), {}, "= exp(x) / Σ exp(x)");
        ch.say("The stable softmax first subtracts each row's max, so the largest exponent "
               "is exp(0) = 1 and nothing overflows:");
        ch.show("softmax_stable", attn::softmax(big), {}, "= exp(x - max) / Σ exp(x - max)");
        //! [step3]

        //! [step4]
        ch.step("4) why subtracting the max is allowed");
        ch.say("exp(x_j - c) / Σ exp(x_k - c) = exp(x_j) / Σ exp(x_k): the factor exp(-c) "
               "cancels, so adding or subtracting a constant to a whole row changes nothing. "
               "The toy example's weights after adding 5 to every score:");
        const Matrix shifted = attn::softmax(scaled + 5.0);
        ch.show_weights("weights_shifted", shifted, ch.weight_labels(w.shape(0), w.shape(1)),
                        "(L, S) = softmax(scaled_scores + 5)");
        ch.say("Largest difference from the weights above: " +
               attn::describe_difference(shifted, w) +
               ". The loop version softmax_loop "
               "against the vectorised softmax: " +
               attn::describe_difference(attn::softmax_loop(scaled), w) + ".");
        ch.say("One more case: a row that is entirely -inf (a query allowed to see no key, "
               "chapter 13) has max -inf, and -inf - (-inf) is NaN. The workbook keeps that "
               "NaN, as PyTorch does, rather than invent weights. Next, chapter 05: using "
               "the weights.");
        //! [step4]
    });
}
