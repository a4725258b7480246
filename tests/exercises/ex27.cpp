// Exercise 27's checks: sentence_vectors(embedding, words), against the reference
// attn::sentence_vectors (the sentence tokens chapter 27 trains on).
#include <attention/important.hpp>
#include <attention/random.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

Matrix reference(const Matrix& embedding, const Matrix& words) {
    const std::size_t K = words.shape(0);
    attn::Model m;
    m.size.E = embedding.shape(1);
    m.embedding = embedding;
    attn::DocBatch d{
            xt::empty<long>({std::size_t{1}, K}), xt::empty<long>({std::size_t{1}, K}), {}, {}, {}};
    for (std::size_t k = 0; k < K; ++k)
        d.names(0, k) = long(words(k, 0)), d.places(0, k) = long(words(k, 1));
    return attn::sentence_vectors(m, d, 0);
}

void compare(const Matrix& embedding, const Matrix& words) {
    expect({"sentence_vectors(embedding, words)",
            {{"embedding", embedding}, {"words", words}},
            [=] {
                Matrix name_only = xt::empty<double>({words.shape(0), embedding.shape(1)});
                for (std::size_t k = 0; k < words.shape(0); ++k)
                    xt::row(name_only, k) = xt::row(embedding, std::size_t(words(k, 0)));
                return std::vector<Mistake>{
                        gives(0.5 * reference(embedding, words),
                              "that is half the sum, the mean of the two rows: "
                              "the sentence's vector is their sum."),
                        gives(name_only,
                              "you took only the name's row: a sentence is both its words, so add "
                              "the place's row too (it is what the question's answer reads)."),
                };
            },
            "row k = embedding row words(k, 0) + embedding row words(k, 1)."},
           ex::sentence_vectors(embedding, words), reference(embedding, words));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(27, "27_important_sentence", "sentence_vectors(embedding, words)");

    e.check("by hand: 3 words of width 2, two sentences", [] {
        const Matrix embedding = {{1, 0}, {0, 2}, {3, 3}}, words = {{0, 2}, {1, 2}};
        reference_agrees("sentence_vectors", reference(embedding, words), Matrix{{4, 3}, {3, 5}},
                         0);
        compare(embedding, words);
    });

    e.check("14 random words of width 5, 4 sentences (seed 2727)", [] {
        attn::Random rng(2727);
        const Matrix embedding = rng.normal_matrix(14, 5);
        Matrix words = xt::empty<double>({std::size_t{4}, std::size_t{2}});
        for (std::size_t k = 0; k < 4; ++k)
            words(k, 0) = double(rng.integer(0, 7)), words(k, 1) = double(rng.integer(8, 13));
        compare(embedding, words);
    });

    return e.run(argc, argv);
}
