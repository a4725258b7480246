// Chapter 16 — Batches: several sentences at once, padded and masked.
// (B, L, E) with sentences of different lengths; each sample's output is independent.
#include <xtensor/xview.hpp>

#include <attention/chapter.hpp>
#include <attention/mha.hpp>
#include <attention/part3.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using attn::Tensor3;

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"16_batches", "Batches: several sentences at once, padded and masked", ""};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const std::size_t B = 3, L = 4, E = 4, H = 2;
        const std::vector<std::size_t> lengths = {4, 2, 3};
        attn::Random rng(16);
        const attn::MhaParams p = attn::random_mha_params(E, H, rng);

        //! [step1]
        ch.step("1) a batch: (B, L, E)");
        ch.say("Models process many sentences at once: a batch is a stack of B sequences, "
               "(B, L, E) with batch_first=True. Sentences differ in length, so the short "
               "ones are padded to the longest, L = 4. Lengths 4, 2 and 3; the pads are zeros:");
        Tensor3 X = xt::zeros<double>({B, L, E});
        for (std::size_t b = 0; b < B; ++b)
            xt::view(X, b, xt::range(0, lengths[b]), xt::all()) = rng.normal_matrix(lengths[b], E);
        ch.show("batch", X, {}, "(B, L, E)");
        //! [step1]

        //! [step2]
        ch.step("2) the padding mask");
        ch.say("key_padding_mask (B, S): in PyTorch, bool True = padding. Here in its additive "
               "form, -inf on every pad key of each sample:");
        const Matrix pad = attn::padding_mask(lengths, L);
        ch.show("key_padding_mask", pad, {{"sample 0", "sample 1", "sample 2"}, {}}, "(B, S)");
        const attn::MhaBatch out = attn::mha_forward_batch(p, X, X, X, std::nullopt, xt::xarray<double>(pad));
        //! [step2]

        //! [step3]
        ch.step("3) the results");
        ch.show_weights("weights_mean", out.weights_mean, {}, "(B, L, S): no weight on any pad column", "sample");
        ch.show("output", out.output, {}, "(B, L, E)");
        ch.say("The pad rows (queries that are padding) still get an output - they are "
               "allowed to look at the real tokens - but it means nothing: whatever comes "
               "next must ignore them, for example in the loss.");
        //! [step3]

        //! [step4]
        ch.step("4) every sample on its own");
        ch.say("Nothing mixes across the batch: the weights and products run per sample. "
               "Change sample 2 entirely and look at samples 0 and 1:");
        Tensor3 X2 = X;
        xt::view(X2, 2, xt::range(0, lengths[2]), xt::all()) = rng.normal_matrix(lengths[2], E);
        const attn::MhaBatch out2 = attn::mha_forward_batch(p, X2, X2, X2, std::nullopt, xt::xarray<double>(pad));
        for (std::size_t b = 0; b < B; ++b) {
            const bool same = xt::all(xt::equal(xt::view(out.output, b), xt::view(out2.output, b)));
            ch.out() << "  sample " << b << ": " << (same ? "unchanged" : "changed") << "\n";
        }
        ch.out() << "\n";
        ch.say("And a sample computed alone, without the batch, gives the same rows as in "
               "the batch: sample 1 alone, its 2 real tokens, no padding at all:");
        const Matrix alone_in = xt::view(X, 1, xt::range(0, lengths[1]), xt::all());
        const attn::MhaForward alone = attn::mha_forward(p, alone_in, alone_in, alone_in);
        const Matrix in_batch = xt::view(out.output, 1, xt::range(0, lengths[1]), xt::all());
        ch.say("Largest difference from its rows in the batch: " + attn::describe_difference(alone.output, in_batch) +
               ". Padding plus the mask is invisible to the real tokens. Next, chapter 17: "
               "generating one token at a time.");
        //! [step4]
    });
}
