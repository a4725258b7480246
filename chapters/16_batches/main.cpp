// Chapter 16 (its title: chapters/manifest.tsv).
// (B, L, E) with sentences of different lengths; each sample's output is independent.
#include <xtensor/xview.hpp>

#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Tensor3;

// The batch the chapter works on: its own (three sentences of lengths 4, 2, 3), or the
// user's with --load (query.npy (B, L, E) and an nn.MultiheadAttention's parameters).
struct Batch {
    attn::MhaParams params;
    Tensor3 X;                              // (B, L, E), also the keys and values
    std::optional<xt::xarray<double>> pad;  // additive key_padding_mask (B, S)
    std::vector<std::size_t> lengths;       // real tokens per sample; empty when loaded
};

Batch load_batch(const attn::Chapter& ch, attn::Random& rng) {
    if (ch.loading()) {
        attn::MhaCase c = attn::load_mha_case(ch.load_path(""), attn::heads_option(ch, 0));
        if (!c.batched)
            throw attn::InputError(ch.load_path("query.npy") +
                                   ": expected a batch (B, L, E), got " +
                                   attn::shape_str(xt::view(c.query, 0).shape()));
        if (ch.has_file("key.npy") || ch.has_file("value.npy") || c.attn_mask) {
            throw attn::InputError(ch.load_path("query.npy") +
                                   ": chapter 16 replays self-attention with a key_padding_mask "
                                   "only; for key.npy, value.npy or attn_mask.npy use chapter 11");
        }
        return {c.params, c.query, c.key_padding_mask, {}};
    }
    const std::size_t B = 3, L = 4, E = 4, H = 2;
    Batch batch{attn::random_mha_params(E, H, rng),
                xt::zeros<double>({B, L, E}),
                std::nullopt,
                {4, 2, 3}};
    for (std::size_t b = 0; b < B; ++b)
        xt::view(batch.X, b, xt::range(0, batch.lengths[b]), xt::all()) =
                rng.normal_matrix(batch.lengths[b], E);
    batch.pad = xt::xarray<double>(attn::padding_mask(batch.lengths, L));
    return batch;
}

int main(int argc, char** argv) {
    attn::ChapterInfo info{
            "16_batches",
            "query.npy (B, L, E), [key_padding_mask.npy (B, L): bool True = padding, or "
            "float added], in_proj_weight.npy (3E, E), in_proj_bias.npy (3E,), "
            "out_proj.weight.npy (E, E), out_proj.bias.npy (E,)",
            {attn::kHeadsOption}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        attn::Random rng(16);
        const Batch batch = load_batch(ch, rng);
        const attn::MhaParams& p = batch.params;
        const Tensor3& X = batch.X;
        const std::size_t B = X.shape(0), L = X.shape(1);
        std::vector<std::string> samples;
        for (std::size_t b = 0; b < B; ++b) samples.push_back("sample " + std::to_string(b));

        //! [step1]
        ch.step("1) a batch: (B, L, E)");
        ch.say("Models process many sentences at once: a batch is a stack of B sequences, "
               "(B, L, E) with batch_first=True. Sentences differ in length, so the short "
               "ones are padded to the longest, L = " +
               std::to_string(L) + ". " +
               (batch.lengths.empty() ? std::string("Your batch, from query.npy:")
                                      : "Lengths 4, 2 and 3; the pads are zeros:"));
        ch.show("batch", X, {}, "(B, L, E)");
        //! [step1]

        //! [step2]
        ch.step("2) the padding mask");
        ch.say("key_padding_mask (B, S): in PyTorch, bool True = padding. Here in its additive "
               "form, -inf on every pad key of each sample:");
        if (batch.pad)
            ch.show("key_padding_mask", Matrix(*batch.pad), {samples, {}}, "(B, S)");
        else
            ch.say("(No key_padding_mask.npy given: every key is allowed.)");
        const attn::MhaBatch out = attn::mha_forward_batch(p, X, X, X, std::nullopt, batch.pad);
        //! [step2]

        //! [step3]
        ch.step("3) the results");
        ch.show_weights("weights_mean", out.weights_mean, {},
                        "(B, L, S): no weight on any pad column", "sample");
        ch.show("output", out.output, {}, "(B, L, E)");
        ch.say("The pad rows (queries that are padding) still get an output - they are "
               "allowed to look at the real tokens - but it means nothing: whatever comes "
               "next must ignore them, for example in the loss.");
        //! [step3]

        //! [step4]
        ch.step("4) every sample on its own");
        ch.say("Nothing mixes across the batch: the weights and products run per sample. "
               "Change the last sample entirely and look at the others:");
        Tensor3 X2 = X;
        const std::size_t last = B - 1, changed = batch.lengths.empty() ? L : batch.lengths[last];
        xt::view(X2, last, xt::range(0, changed), xt::all()) = rng.normal_matrix(changed, p.E);
        const attn::MhaBatch out2 = attn::mha_forward_batch(p, X2, X2, X2, std::nullopt, batch.pad);
        for (std::size_t b = 0; b < B; ++b) {
            const bool same = xt::all(xt::equal(xt::view(out.output, b), xt::view(out2.output, b)));
            ch.out() << "  sample " << b << ": " << (same ? "unchanged" : "changed") << "\n";
        }
        ch.out() << "\n";
        if (batch.lengths.empty()) return;  // loaded: where the padding is is the user's
        const std::vector<std::size_t>& lengths = batch.lengths;
        ch.say("And a sample computed alone, without the batch, gives the same rows as in "
               "the batch: sample 1 alone, its 2 real tokens, no padding at all:");
        const Matrix alone_in = xt::view(X, 1, xt::range(0, lengths[1]), xt::all());
        const attn::MhaForward alone = attn::mha_forward(p, alone_in, alone_in, alone_in);
        const Matrix in_batch = xt::view(out.output, 1, xt::range(0, lengths[1]), xt::all());
        ch.say("Largest difference from its rows in the batch: " +
               attn::describe_difference(alone.output, in_batch) +
               ". Padding plus the mask is invisible to the real tokens. Next, chapter 17: "
               "generating one token at a time.");
        //! [step4]
    });
}
