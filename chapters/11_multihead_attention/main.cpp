// Chapter 11 (its title: chapters/manifest.tsv).
// The seed's nn.MultiheadAttention(embed_dim=64, num_heads=8) on 5 tokens, replayed step by
// step from PyTorch's own weights; --load replays any module saved by tools/export_torch_mha.py.
#include <filesystem>

#include <xtensor/xview.hpp>

#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>
#include <attention/mha.hpp>

using attn::Matrix;
using attn::Tensor3;

namespace {

// Sample b of a (B, n, m) stack, as a matrix (n, m).
Matrix sample(const Tensor3& t, std::size_t b) { return xt::view(t, b, xt::all(), xt::all()); }

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
        "11_multihead_attention",
        "query.npy (L, E) or (B, L, E), key.npy and value.npy (default query), "
        "in_proj_weight.npy (3E, E), in_proj_bias.npy, out_proj.weight.npy (E, E), "
        "out_proj.bias.npy, attn_mask.npy (L, S), key_padding_mask.npy (B, S)",
        {attn::kHeadsOption}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const std::string dir = ch.loading() ? ch.load_path("") : WORKBOOK_FIVE_TOKEN_MODULE;
        const std::size_t H = ch.loading() ? attn::heads_option(ch, 0) : 8;
        const attn::MhaCase c = attn::load_mha_case(dir, H);
        const attn::MhaParams& p = c.params;
        // The results first: every shape is checked before anything is printed.
        const attn::MhaBatch out = attn::mha_forward_batch(p, c.query, c.key, c.value,
                                                           c.attn_mask, c.key_padding_mask);

        //! [step1]
        ch.step("1) the module");
        ch.say("The seed builds nn.MultiheadAttention(embed_dim=64, num_heads=8) and runs it "
               "on x = torch.rand(5, 64): 5 tokens, 64-dim embeddings. These are the weights "
               "PyTorch drew for it (tools/make_fixtures.py saved them) - its state_dict:");
        ch.out() << "in_proj_weight    " << attn::shape_str(p.in_proj_weight.shape()) << "  [W_q; W_k; W_v]\n"
                 << "in_proj_bias      " << attn::shape_str(p.in_proj_bias.shape()) << "\n"
                 << "out_proj.weight   " << attn::shape_str(p.out_proj_weight.shape()) << "  W_o\n"
                 << "out_proj.bias     " << attn::shape_str(p.out_proj_bias.shape()) << "\n"
                 << "E = " << p.E << ", H = " << p.H << ", d_head = " << p.d_head() << "\n\n";
        //! [step1]

        //! [step2]
        ch.step("2) input -> linear projections -> heads -> concatenate -> final linear");
        const std::string pre = c.batched ? "sample0_" : "";
        if (c.batched) ch.say("The input is a batch; the steps below show sample 0.");
        std::optional<Matrix> mask;  // sample 0's (L, S) additive mask: attn_mask + padding
        if (c.attn_mask && c.attn_mask->dimension() == 2) mask = Matrix(*c.attn_mask);
        if (c.key_padding_mask) {
            const Matrix pad = xt::view(*c.key_padding_mask, xt::range(0, 1), xt::all());  // (1, S)
            mask = mask ? Matrix(*mask + pad) : Matrix(pad + xt::zeros<double>({c.query.shape(1), pad.shape(1)}));
        }
        if (c.attn_mask && c.attn_mask->dimension() == 3) {
            ch.say("(attn_mask has one mask per head: the per-step view is skipped; the "
                   "results of step 3 include it.)");
        } else {
            const attn::MhaForward f = attn::mha_forward(p, sample(c.query, 0), sample(c.key, 0),
                                                         sample(c.value, 0), mask ? &*mask : nullptr);
            ch.show(pre + "query", sample(c.query, 0), {}, "(L, E) the input x");
            ch.show(pre + "Q", f.Q, {}, "(L, E) = x·W_qᵀ + b_q");
            ch.show(pre + "K", f.K, {}, "(S, E) = x·W_kᵀ + b_k");
            ch.show(pre + "V", f.V, {}, "(S, E) = x·W_vᵀ + b_v");
            ch.show(pre + "Q_heads", f.Qh, {}, "(H, L, d_head)");
            ch.show(pre + "K_heads", f.Kh, {}, "(H, S, d_head)");
            ch.show(pre + "V_heads", f.Vh, {}, "(H, S, d_head)");
            if (mask) ch.show(pre + "mask", *mask, {}, "(L, S) added to the scores: 0 allowed, -inf blocked");
            ch.show(pre + "scaled_scores", f.heads.scaled_scores, {}, "(H, L, S) = Q_h·K_hᵀ / √d_head");
            ch.show(pre + "heads_output", f.heads.output, {}, "(H, L, d_head) = weights_h·V_h");
            ch.show(pre + "concat", f.concat, {}, "(L, E) the heads side by side");
        }
        //! [step2]

        //! [step3]
        ch.step("3) the results, as nn.MultiheadAttention returns them");
        if (c.batched) {
            ch.show("output", out.output, {}, "(B, L, E)");
            for (std::size_t b = 0; b < out.weights.shape(0); ++b) {
                const std::string name = "weights[" + std::to_string(b) + "]";
                const Tensor3 w = xt::view(out.weights, b, xt::all(), xt::all(), xt::all());
                attn::show(ch.out(), name, w, {}, "(H, L, S) per head");
                ch.heatmap(name, w);
            }
            ch.dump("weights", out.weights);
            ch.show_weights("weights_mean", out.weights_mean, {}, "(B, L, S) averaged over heads", "sample");
        } else {
            ch.show("output", sample(out.output, 0), {}, "(L, E) = concat·W_oᵀ + b_o");
            ch.show_weights("weights", Tensor3(xt::view(out.weights, 0, xt::all(), xt::all(), xt::all())), {},
                    "(H, L, S) per head (average_attn_weights=False)");
            ch.show_weights("weights_mean", sample(out.weights_mean, 0), {}, "(L, S) the mean over heads (PyTorch's default)");
        }
        //! [step3]

        //! [step4]
        ch.step("4) the same numbers as PyTorch");
        const std::vector<std::size_t> shape(out.output.shape().begin() + (c.batched ? 0 : 1),
                                             out.output.shape().end());
        std::string torch_size;
        for (std::size_t n : shape) torch_size += (torch_size.empty() ? "" : ", ") + std::to_string(n);
        ch.out() << "Multi-head attention output: torch.Size([" << torch_size << "])\n\n";
        // PyTorch's output, as tools/export_torch_mha.py (reference_output.npy) or
        // tools/make_fixtures.py (output.npy) saved it.
        std::string reference = dir + "/reference_output.npy";
        if (!std::filesystem::exists(reference) && !ch.loading()) reference = dir + "/output.npy";
        if (std::filesystem::exists(reference)) {
            xt::xarray<double> theirs = attn::load_npy(reference).data;
            xt::xarray<double> ours = out.output;
            if (!c.batched) ours.reshape(theirs.shape());
            const bool agree = ours.shape() == theirs.shape() && xt::allclose(ours, theirs, 0.0, 1e-5);
            ch.say(std::string("PyTorch's own output (") + reference.substr(reference.rfind('/') + 1) +
                   ") against ours, to 1e-5: " + (agree ? "they agree." : "THEY DIFFER."));
        }
        ch.say("Multi-head attention: input -> linear projections -> attention head 1, 2, 3 "
               "... -> concatenate all -> final linear layer. Next, chapter 12: what the "
               "heads buy.");
        //! [step4]
    });
}
