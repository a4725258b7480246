// Exercise 22's checks: cross_entropy_backward(logits, targets) = (softmax − one_hot) / N in
// the rows with a target, against the reference attn::cross_entropy_backward (itself checked
// against central differences and, through 20 training steps, PyTorch).
#include <cmath>

#include <attention/random.hpp>
#include <attention/training.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

Matrix softmax_rows(const Matrix& z) {
    Matrix p = xt::empty<double>(z.shape());
    for (std::size_t r = 0; r < z.shape(0); ++r) {
        double top = z(r, 0), sum = 0;
        for (std::size_t k = 0; k < z.shape(1); ++k) top = std::max(top, z(r, k));
        for (std::size_t k = 0; k < z.shape(1); ++k) sum += (p(r, k) = std::exp(z(r, k) - top));
        for (std::size_t k = 0; k < z.shape(1); ++k) p(r, k) /= sum;
    }
    return p;
}

// (probs − one_hot) / divisor in the rows with a target; `all_rows`: in every row (a row
// without a target then gets probs / divisor).
Matrix variant(const Matrix& probs, const std::vector<long>& t, double divisor, bool all_rows,
               double sign = 1) {
    Matrix d = xt::zeros<double>(probs.shape());
    for (std::size_t r = 0; r < probs.shape(0); ++r) {
        if (t[r] == -100 && !all_rows) continue;
        for (std::size_t k = 0; k < probs.shape(1); ++k) d(r, k) = sign * probs(r, k) / divisor;
        if (t[r] != -100) d(r, std::size_t(t[r])) -= sign / divisor;
    }
    return d;
}

Matrix targets_row(const std::vector<long>& t) {
    Matrix m = xt::empty<double>({std::size_t{1}, t.size()});
    for (std::size_t i = 0; i < t.size(); ++i) m(0, i) = double(t[i]);
    return m;
}

std::vector<Mistake> mistakes(const Matrix& logits, const std::vector<long>& t) {
    const Matrix probs = softmax_rows(logits);
    double N = 0;
    for (long x : t) N += x != -100;
    const double n = double(t.size());
    std::vector<long> none(t.size(), -100);
    return {
            gives(variant(probs, t, 1.0, false),
                  "your gradient is N times too large: the loss is the mean over the N rows with a "
                  "target, so every row's softmax − one_hot is divided by N."),
            gives(variant(probs, t, n, false),
                  "you divided by every row, n; the loss is the mean over the rows with a target "
                  "only "
                  "(N of them): divide by N."),
            gives(variant(probs, t, N, true),
                  "a row without a target (-100) is in no loss: its gradient is 0, not its "
                  "softmax."),
            gives(variant(probs, t, N, false, -1),
                  "your gradient has the opposite sign: ∂(−log p_target)/∂logit_k = p_k − [k = "
                  "target], "
                  "softmax first, minus the one-hot."),
            gives(variant(probs, none, N, true),
                  "you forgot to subtract the one-hot answer: the right answer's column gets "
                  "(p_target − 1) / N."),
            gives(variant(logits, t, N, false),
                  "you used the logits where the softmax's probabilities go: p = softmax(row) "
                  "first."),
            shape_differs(variant(probs, t, N, false),
                          "dlogits has the shape of the logits: (n, C)."),
    };
}

void compare(const Matrix& logits, const std::vector<long>& t) {
    expect({"cross_entropy_backward(logits, targets)",
            {{"logits", logits}, {"targets", targets_row(t)}},
            [&] { return mistakes(logits, t); },
            "in each row with a target: softmax of the row, minus 1 at the target, all divided by "
            "N."},
           ex::cross_entropy_backward(logits, t),
           attn::cross_entropy_backward(softmax_rows(logits), t));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(22, "22_training_loop", "cross_entropy_backward(logits, targets)");

    e.check("a row worked by hand: logits [0, 0], target 1 gives [0.5, -0.5]", [] {
        reference_agrees("cross_entropy_backward",
                         attn::cross_entropy_backward(Matrix{{0.5, 0.5}}, {1}), Matrix{{0.5, -0.5}},
                         1e-15);
        compare(Matrix{{0, 0}}, {1});
    });

    e.check("two rows, one without a target: only the other gets a gradient, undivided", [] {
        compare(Matrix{{1, 2, 3}, {0.5, -1, 2}}, {-100, 0});
    });

    attn::Random rng(2222);
    const Matrix logits = rng.normal_matrix(7, 8, 2.0);
    e.check("chapter 22's sizes: 7 positions, 8 answers, the first without a target (seed 2222)",
            [&] {
                compare(logits, {-100, 3, 1, 4, 1, 5, 2});
            });

    e.check("large logits (1000 apart): subtract the largest first, or exp overflows", [] {
        compare(Matrix{{1000, 0, -1000}, {3, 1000, 2}}, {0, 2});
    });

    return e.run(argc, argv);
}
