// Chapter 19 (its title: chapters/manifest.tsv).
// ∂y_i/∂x_j = y_i(δ_ij − y_j) for one row, then the vector–Jacobian product that replaces
// it, both checked against central differences; then how saturation shrinks the gradient.
#include <cmath>
#include <cstdio>

#include <attention/attention.hpp>
#include <attention/backward.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Vector;

namespace {

// Σ G ∘ softmax(x): the loss whose gradient with respect to the weights is G.
double loss(const xt::xarray<double>& x, const Matrix& G) {
    return xt::sum(attn::softmax_loop(x) * G)();
}

// "below 1e-12" when every entry of m is that close to 0, else the largest |entry|.
std::string near_zero(const xt::xarray<double>& m) {
    const double worst = xt::amax(xt::abs(m))();
    if (worst < 1e-12) return "below 1e-12";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1e", worst);
    return buf;
}

// The upstream gradient of the weights (L, S): DIR/grad_weights.npy, or drawn from Random(19).
Matrix upstream(const attn::Chapter& ch, std::size_t L, std::size_t S) {
    if (!ch.has_file("grad_weights.npy")) return attn::Random(19).normal_matrix(L, S);
    const Matrix G = ch.load_matrix("grad_weights.npy", "(L, S)");
    if (G.shape(0) != L || G.shape(1) != S) {
        throw attn::InputError(ch.load_path("grad_weights.npy") + ": expected (L, S) = (" +
                               std::to_string(L) + ", " + std::to_string(S) + "), the shape of " +
                               "the weights, got " + attn::shape_str(G.shape()));
    }
    return G;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "19_softmax_backward",
            "query.npy (L, d_k), key.npy (S, d_k) (key defaults to query); grad_weights.npy (L, "
            "S), "
            "the upstream gradient of the weights (default: drawn from Random(19))"};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const auto [Q, K, V] = attn::load_qkv(ch);
        const Matrix x = attn::scale(attn::scores(Q, K), Q.shape(1));  // (L, S)
        const Matrix G = upstream(ch, x.shape(0), x.shape(1));         // (L, S)
        const Matrix y = attn::softmax(x);                             // (L, S)

        //! [step1]
        ch.step("1) the Jacobian of one row");
        ch.say("Softmax turns a row x (S,) into weights y (S,). How does y_i move when x_j "
               "moves? ∂y_i/∂x_j = y_i·(δ_ij - y_j): raising x_j raises y_j at the rate "
               "y_j·(1 - y_j) and lowers every other weight at the rate y_i·y_j, because the row "
               "still sums to 1. " +
               std::string(
                       ch.loading()
                               ? "Row 0 of your scaled scores:"
                               : "Row 0 of the toy example's scaled scores (3 tokens × 4 dims):"));
        const Vector x0 = xt::row(x, 0), y0 = xt::row(y, 0);
        ch.show("x", x0, "(S,) row 0 of Q·Kᵀ / √d_k");
        ch.show("y", y0, "(S,) = softmax(x)");
        const Matrix J = attn::softmax_jacobian(y0);
        ch.show("jacobian", J, {}, "(S, S) J(i, j) = y_i·(δ_ij - y_j) = diag(y) - y·yᵀ");
        Matrix J_fd = xt::empty<double>({x0.size(), x0.size()});  // row i: ∂y_i/∂x by differences
        for (std::size_t i = 0; i < x0.size(); ++i) {
            const auto y_i = [i](const xt::xarray<double>& z) {
                return attn::softmax_loop(z)(0, i);
            };
            xt::row(J_fd, i) =
                    xt::row(Matrix(attn::numerical_gradient(
                                    y_i, Matrix(xt::view(x, xt::range(0, 1), xt::all())))),
                            0);
        }
        ch.show("jacobian_numerical", J_fd, {},
                "(S, S) (y_i(x + h·e_j) - y_i(x - h·e_j)) / 2h, h = 1e-5");
        ch.say("Relative difference: " +
               attn::describe_relative_error(attn::relative_error(J, J_fd)) +
               ". Each row of J sums to 0 (the largest row sum is " +
               near_zero(Vector(xt::sum(J, {1}))) +
               "): adding the same number to every x_j moves no weight, as chapter 04 showed.");
        //! [step1]

        //! [step2]
        ch.step("2) the vector-Jacobian product: what training needs");
        ch.say("Training lowers a loss, one number that says how wrong the output is. It never "
               "needs J itself, only dx = ∂loss/∂x for the upstream gradient "
               "g = ∂loss/∂y: dx_j = Σ_i g_i·∂y_i/∂x_j = y_j·(g_j - Σ_i g_i·y_i). One dot "
               "product per row instead of an S × S matrix:");
        const Vector g0 = xt::row(G, 0);
        ch.show("g", g0, "(S,) row 0 of the upstream gradient");
        ch.show("dx_by_jacobian", Vector(xt::sum(J * xt::view(g0, xt::all(), xt::newaxis()), {0})),
                "(S,) = gᵀ·J");
        const Vector dx0 = xt::row(attn::softmax_backward(xt::view(y, xt::range(0, 1), xt::all()),
                                                          xt::view(G, xt::range(0, 1), xt::all())),
                                   0);
        ch.show("dx_row", dx0, "(S,) = y ∘ (g - Σ g·y)");
        const double n = 4096, gb = 1e9;
        char sizes[200];
        std::snprintf(sizes, sizeof sizes,
                      "For one head with L = S = 4096, the L Jacobians hold "
                      "L·S·S = %.2g numbers (%.0f GB in double); dx holds L·S = %.2g (%.3f GB).",
                      n * n * n, n * n * n * 8 / gb, n * n, n * n * 8 / gb);
        ch.say(sizes);
        //! [step2]

        //! [step3]
        ch.step("3) every row at once, checked");
        ch.show("scaled_scores", x, {}, "(L, S) x");
        ch.show_weights("weights", y, {}, "(L, S) y = softmax of each row");
        ch.show("grad_weights", G, {}, "(L, S) the upstream gradient g = ∂loss/∂y");
        const Matrix dx = attn::softmax_backward(y, G);
        ch.show("dx", dx, {}, "(L, S) = y ∘ (g - rowsum(g ∘ y))");
        const Matrix dx_fd = attn::numerical_gradient(
                [&](const xt::xarray<double>& z) { return loss(z, G); }, x);
        ch.show("dx_numerical", dx_fd, {}, "(L, S) central differences of Σ g ∘ softmax(x)");
        ch.say("Relative difference: " +
               attn::describe_relative_error(attn::relative_error(dx, dx_fd)) +
               ". Every row of dx sums to 0 (the largest row sum is " +
               near_zero(Vector(xt::sum(dx, {1}))) +
               "): softmax ignores a constant added to a row, so that direction gets no gradient.");
        //! [step3]

        //! [step4]
        ch.step("4) saturation: the gradient shrinks as the scores grow");
        ch.say("Chapter 03: without the 1/√d_k, scores grow like √d_k and the softmax "
               "saturates. Measured: the size of dx, |dx| = √Σ dx_j², for 2000 random "
               "queries against 16 random keys with unit-variance entries and a random "
               "upstream gradient each (seed 19):");
        attn::Random rng(19);
        const std::size_t dims[] = {4, 16, 64, 256, 1024};
        Matrix table = xt::zeros<double>({std::size(dims), std::size_t{5}});
        ch.out() << "   d_k   max weight, raw   |dx|, raw   max weight, scaled   |dx|, scaled\n";
        for (std::size_t r = 0; r < std::size(dims); ++r) {
            table(r, 0) = double(dims[r]);
            for (int t = 0; t < 2000; ++t) {
                const Matrix s = attn::scores_loop(rng.normal_matrix(1, dims[r]),
                                                   rng.normal_matrix(16, dims[r]));
                const Matrix g = rng.normal_matrix(1, 16);
                for (const bool scaled : {false, true}) {
                    const Matrix w = attn::softmax(scaled ? attn::scale(s, dims[r]) : s);
                    table(r, scaled ? 3 : 1) += xt::amax(w)() / 2000;
                    table(r, scaled ? 4 : 2) +=
                            std::sqrt(xt::sum(xt::square(attn::softmax_backward(w, g)))()) / 2000;
                }
            }
            char line[128];
            std::snprintf(line, sizeof line, "%6zu %17.3f %11.4f %20.3f %14.4f\n", dims[r],
                          table(r, 1), table(r, 2), table(r, 3), table(r, 4));
            ch.out() << line;
        }
        ch.out() << "\n";
        ch.dump("saturation_table", table);
        attn::LinePlot plot{"Size of the softmax's gradient against d_k (16 keys)",
                            "d_k (log scale)",
                            "|dx|, mean of 2000 queries",
                            {},
                            {{"without scaling", {}}, {"scaled by 1/√d_k", {}}}};
        for (std::size_t r = 0; r < std::size(dims); ++r) {
            plot.x.push_back(table(r, 0));
            plot.series[0].y.push_back(table(r, 2));
            plot.series[1].y.push_back(table(r, 4));
        }
        plot.y_max = 0.4;
        ch.write_svg("gradient_vs_dk", attn::line_plot_svg(plot));
        char ratio[300];
        std::snprintf(ratio, sizeof ratio,
                      "Without scaling, the gradient that reaches the scores "
                      "shrinks as d_k grows: at d_k = 1024 it is %.0f times smaller than with the "
                      "scaling, which keeps it between %.2f and %.2f at every width. ",
                      table(4, 4) / table(4, 2), xt::amin(xt::col(table, 4))(),
                      xt::amax(xt::col(table, 4))());
        ch.say(std::string(ratio) +
               "The reason is the Jacobian's diagonal y_j·(1 - y_j), near 0 "
               "when a weight is near 0 or 1: a saturated row hardly reacts to its scores, so it "
               "sends hardly anything back to them. (What then reaches Q and K also depends on "
               "their size: chapter 20.) Next, chapter 20: the backward pass through the whole "
               "of attention.");
        //! [step4]
    });
}
