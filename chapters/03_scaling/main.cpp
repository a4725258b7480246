// Chapter 03 (its title: chapters/manifest.tsv).
// Why the scores are divided by √d_k: a measured table, from a fixed random seed.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <attention/attention.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;

namespace {

// One row of the table: for `trials` random queries against S random keys, with
// unit-variance entries, the variance of q·k and the mean largest softmax weight.
struct Row {
    double var_raw, var_scaled, max_w_raw, max_w_scaled;
};

Row measure(std::size_t d_k, std::size_t S, std::size_t trials, attn::Random& rng) {
    double sum = 0, sum_sq = 0, max_raw = 0, max_scaled = 0;
    for (std::size_t t = 0; t < trials; ++t) {
        const Matrix q = rng.normal_matrix(1, d_k);  // (1, d_k)
        const Matrix K = rng.normal_matrix(S, d_k);  // (S, d_k)
        const Matrix s = attn::scores_loop(q, K);    // (1, S), loops: same digits everywhere
        for (double x : s) {
            sum += x;
            sum_sq += x * x;
        }
        max_raw += xt::amax(attn::softmax(s))();
        max_scaled += xt::amax(attn::softmax(attn::scale(s, d_k)))();
    }
    const double n = static_cast<double>(trials * S);
    const double var = sum_sq / n - (sum / n) * (sum / n);
    return {var, var / static_cast<double>(d_k), max_raw / trials, max_scaled / trials};
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"03_scaling",
                                 "query.npy (L, d_k), key.npy (S, d_k); key defaults to query"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const auto [Q, K, V] = attn::load_qkv(ch);
        const std::size_t d_k = Q.shape(1);

        //! [step1]
        ch.step("1) divide the scores by √d_k");
        ch.say("The toy example's PyTorch program computes scores = Q·Kᵀ / √d_k. Here d_k = " +
               std::to_string(d_k) + ", so every score is divided by " +
               attn::format_number(std::sqrt(double(d_k)), 4) + ".");
        const Matrix s = attn::scores(Q, K);
        ch.show("scores", s, {}, "(L, S) = Q·Kᵀ");
        ch.show("scaled_scores", attn::scale(s, d_k), {}, "(L, S) = Q·Kᵀ / √d_k");
        //! [step1]

        //! [step2]
        ch.step("2) why: the spread of q·k grows with d_k");
        ch.say("If the entries of q and k are independent with mean 0 and variance 1, then "
               "q·k is a sum of d_k products each of variance 1, so Var(q·k) = d_k. Large "
               "scores push softmax (chapter 04: it turns each row of scores into positive weights "
               "that add up to 1, the largest score getting the most) towards a one-hot vector: "
               "one weight near 1, the rest "
               "near 0. Measured, for 2000 random queries against 16 random keys each "
               "(random-number seed 3, so the table is the same on every machine):");
        attn::Random rng(3);
        const std::size_t dims[] = {4, 16, 64, 256, 1024};
        Matrix table = xt::zeros<double>({std::size(dims), std::size_t{5}});
        ch.out() << "   d_k   Var(q·k)   Var(q·k/√d_k)   max weight, raw   max weight, scaled\n";
        for (std::size_t i = 0; i < std::size(dims); ++i) {
            const Row r = measure(dims[i], 16, 2000, rng);
            table(i, 0) = double(dims[i]);
            table(i, 1) = r.var_raw;
            table(i, 2) = r.var_scaled;
            table(i, 3) = r.max_w_raw;
            table(i, 4) = r.max_w_scaled;
            char line[128];
            std::snprintf(line, sizeof line, "%6zu %10.1f %15.3f %17.3f %20.3f\n", dims[i],
                          r.var_raw, r.var_scaled, r.max_w_raw, r.max_w_scaled);
            ch.out() << line;
        }
        ch.out() << "\n";
        ch.dump("scaling_table", table);
        attn::LinePlot plot{"Largest softmax weight against d_k (16 keys)",
                            "d_k (log scale)",
                            "largest weight, mean of 2000 queries",
                            {},
                            {{"without scaling", {}}, {"scaled by 1/√d_k", {}}}};
        for (std::size_t i = 0; i < std::size(dims); ++i) {
            plot.x.push_back(table(i, 0));
            plot.series[0].y.push_back(table(i, 3));
            plot.series[1].y.push_back(table(i, 4));
        }
        plot.reference = {{1.0 / 16, "all keys equal: 1/16"}};
        ch.write_svg("max_weight_vs_dk", attn::line_plot_svg(plot));  // with --svg DIR
        //! [step2]

        //! [step3]
        ch.step("3) what scaling buys");
        ch.say("Without scaling, the largest weight climbs towards 1 as d_k grows: each "
               "query attends to a single key, and the softmax is saturated, where its "
               "gradient is nearly 0 and learning stalls: training changes each parameter in "
               "proportion to its gradient, so near-0 gradients barely change anything. Dividing "
               "by √d_k brings the "
               "variance back to 1 for every d_k, so the weights stay spread the same way "
               "whatever the width of the head. Next, chapter 04: the softmax itself.");
        //! [step3]
    });
}
