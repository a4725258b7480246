// Exercise 26's checks: alignment_accuracy(weights, aligned), against the reference
// attn::score (the figure chapter 26 prints; checked by hand in tests/test_ch26.cpp).
#include <cmath>

#include <attention/random.hpp>
#include <attention/translation.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Tensor3;
using Array = xt::xarray<double>;
using namespace ex::check;

namespace {

// The reference: attn::score on a forward pass holding these weights (one head).
double reference(const Tensor3& w, const Matrix& aligned) {
    const std::size_t n = w.shape(0), L = w.shape(1), S = w.shape(2);
    attn::Seq2SeqForward f;
    for (std::size_t b = 0; b < n; ++b)
        f.weights.push_back(Tensor3(xt::view(w, xt::range(b, b + 1), xt::all(), xt::all())));
    f.logits = xt::zeros<double>({n * L, std::size_t{1}});
    attn::PairBatch p{xt::zeros<long>({n, S}), xt::zeros<long>({n, L}), xt::zeros<long>({n, L}),
                      xt::empty<long>({n, L})};
    std::copy(aligned.begin(), aligned.end(), p.aligned.begin());
    return attn::score(f, p).alignment;
}

// What the known mistakes give: 0 every row counted, 1 the largest weight of a column.
Array variant(const Tensor3& w, const Matrix& aligned, int which) {
    double rows = 0, right = 0;
    for (std::size_t b = 0; b < w.shape(0); ++b)
        for (std::size_t i = 0; i < w.shape(1); ++i) {
            if (which == 0) rows += 1;
            if (aligned(b, i) < 0) continue;
            const std::size_t j = std::size_t(aligned(b, i));
            std::size_t best = 0;
            if (which == 0) {
                for (std::size_t k = 1; k < w.shape(2); ++k)
                    if (w(b, i, k) > w(b, i, best)) best = k;
                right += best == j;
            } else {
                for (std::size_t r = 1; r < w.shape(1); ++r)
                    if (w(b, r, j) > w(b, best, j)) best = r;
                right += best == i;
                rows += 1;
            }
        }
    return Array{right / rows};
}

void compare(const Tensor3& w, const Matrix& aligned) {
    expect({"alignment_accuracy(weights, aligned)",
            {{"weights", w}, {"aligned", aligned}},
            [=] {
                return std::vector<Mistake>{
                        gives(variant(w, aligned, 0),
                              "you counted the rows that translate no source word "
                              "(aligned -1): leave them out of both counts."),
                        gives(variant(w, aligned, 1),
                              "a row is one target word: take the largest weight along "
                              "row i, over the source words j, not down a column."),
                };
            },
            "for every row with aligned(b, i) >= 0: is the column of its largest weight aligned(b, "
            "i)? "
            "The fraction of those rows where it is."},
           Array{ex::alignment_accuracy(w, aligned)}, Array{reference(w, aligned)});
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(26, "26_translation_alignment", "alignment_accuracy(weights, aligned)");

    e.check("by hand: three rows, one right, one wrong, one that translates nothing: 1/2", [] {
        const Tensor3 w = {{{0.7, 0.2, 0.1}, {0.5, 0.1, 0.4}, {0.1, 0.1, 0.8}}};
        const Matrix aligned = {{0, 2, -1}};
        reference_agrees("alignment_accuracy", Array{reference(w, aligned)}, Array{0.5}, 1e-15);
        compare(w, aligned);
    });

    e.check("4 random pairs (4, 5, 4), seed 2626", [] {
        attn::Random rng(2626);
        Tensor3 w = xt::empty<double>({std::size_t{4}, std::size_t{5}, std::size_t{4}});
        Matrix aligned = xt::empty<double>({std::size_t{4}, std::size_t{5}});
        for (std::size_t b = 0; b < 4; ++b)
            for (std::size_t i = 0; i < 5; ++i) {
                double sum = 0;
                for (std::size_t j = 0; j < 4; ++j)
                    sum += (w(b, i, j) = std::exp(2 * rng.normal()));
                for (std::size_t j = 0; j < 4; ++j) w(b, i, j) /= sum;
                aligned(b, i) = i == 4 ? -1.0 : double(rng.integer(0, 3));
            }
        compare(w, aligned);
    });

    return e.run(argc, argv);
}
