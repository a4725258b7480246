// Chapter 11 (its title: chapters/manifest.tsv).
// The 5-token nn.MultiheadAttention(64, 8), replayed step by step from PyTorch's own weights,
// its point first: the same numbers as PyTorch; --load replays any module saved by tools/export_torch_mha.py.
#include <iomanip>
#include <sstream>

#include <xtensor/xindex_view.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Tensor3;

namespace {

// Sample b of a (B, n, m) stack, as a matrix (n, m).
Matrix sample(const Tensor3& t, std::size_t b) {
    return xt::view(t, b, xt::all(), xt::all());
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "11_multihead_attention",
            "query.npy (L, E) or (B, L, E), key.npy and value.npy (default query), "
            "in_proj_weight.npy (3E, E), in_proj_bias.npy, out_proj.weight.npy (E, E), "
            "out_proj.bias.npy, attn_mask.npy (L, S), key_padding_mask.npy (B, S)",
            {attn::kHeadsOption,
             {"--verbose", "",
              "also print every intermediate (Q_heads, K_heads, ...); --dump writes them anyway"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const std::string dir = ch.loading() ? ch.load_path("") : WORKBOOK_FIVE_TOKEN_MODULE;
        const std::size_t H = ch.loading() ? attn::heads_option(ch, 0) : 8;
        const attn::MhaCase c = attn::load_mha_case(dir, H);
        const attn::MhaParams& p = c.params;
        // The results first: every shape is checked before anything is printed.
        const attn::MhaBatch out = attn::mha_forward_batch(p, c.query, c.key, c.value, c.attn_mask,
                                                           c.key_padding_mask);

        const bool verbose = ch.flag("--verbose");
        // An intermediate: printed with --verbose; otherwise one line, and --dump writes it.
        const auto intermediate = [&](const std::string& name, const auto& m,
                                      const std::string& caption) {
            if (verbose) {
                ch.show(name, m, {}, caption);
            } else {
                ch.out() << name << "  " << attn::shape_str(m.shape()) << "  " << caption << "\n";
                ch.dump(name, m);
            }
        };

        //! [step1]
        ch.step("1) the point: the same numbers as PyTorch");
        ch.say(ch.loading() ? "Your module, nn.MultiheadAttention(" + std::to_string(p.E) + ", " +
                                      std::to_string(p.H) +
                                      "), replayed with chapters 7 to 10 on its weights and inputs."
                            : "The 5-token module is nn.MultiheadAttention(embed_dim=64, "
                              "num_heads=8) run on "
                              "x = torch.rand(5, 64): 5 tokens, 64-dim embeddings. The workbook "
                              "loads the "
                              "weights PyTorch drew for it and replays chapters 7 to 10 on them.");
        const std::vector<std::size_t> shape(out.output.shape().begin() + (c.batched ? 0 : 1),
                                             out.output.shape().end());
        std::string torch_size;
        for (std::size_t n : shape)
            torch_size += (torch_size.empty() ? "" : ", ") + std::to_string(n);
        ch.out() << "Multi-head attention output: torch.Size([" << torch_size << "])\n\n";
        // PyTorch's output: reference_output.npy (tools/export_torch_mha.py) or, when that is
        // absent, output.npy (PyTorch's name for it, as tools/make_fixtures.py saves it).
        const std::string reference = attn::torch_reference_file(dir);
        if (reference.empty()) {
            ch.say("(No reference_output.npy or output.npy beside the module: nothing to compare "
                   "with.)");
        } else {
            xt::xarray<double> theirs = attn::load_npy(dir + "/" + reference).data;
            xt::xarray<double> ours = out.output;
            if (!c.batched && ours.size() == theirs.size()) ours.reshape(theirs.shape());
            const bool agree = attn::same_numbers(ours, theirs, 1e-5);
            ch.say("PyTorch's own output (" + reference +
                   ") against ours, to 1e-5: " + (agree ? "they agree." : "THEY DIFFER."));
            if (agree && xt::any(xt::isnan(theirs))) {
                ch.say("Both have NaN in the same places: rows whose every key is masked, where "
                       "softmax divides 0 by 0 (chapter 13). The same NaN in the same place is "
                       "agreement, so the comparison counts it as equal.");
            }
        }
        //! [step1]

        //! [step2]
        ch.step("2) the module's weights");
        ch.say("Its state_dict (the module's named weight tensors, as PyTorch saves them):");
        ch.out() << "in_proj_weight    " << attn::shape_str(p.in_proj_weight.shape())
                 << "  [W_q; W_k; W_v]\n"
                 << "in_proj_bias      " << attn::shape_str(p.in_proj_bias.shape()) << "\n"
                 << "out_proj.weight   " << attn::shape_str(p.out_proj_weight.shape()) << "  W_o\n"
                 << "out_proj.bias     " << attn::shape_str(p.out_proj_bias.shape()) << "\n"
                 << "E = " << p.E << ", H = " << p.H << ", d_head = " << p.d_head() << "\n\n";
        //! [step2]

        //! [step3]
        ch.step("3) input -> projections -> heads -> concatenate -> W_o");
        const std::string pre = c.batched ? "sample0_" : "";
        if (c.batched) ch.say("The input is a batch; this step shows sample 0.");
        std::optional<Matrix> mask;  // sample 0's (L, S) additive mask: attn_mask + padding
        if (c.attn_mask && c.attn_mask->dimension() == 2) mask = Matrix(*c.attn_mask);
        if (c.key_padding_mask) {
            const Matrix pad = xt::view(*c.key_padding_mask, xt::range(0, 1), xt::all());  // (1, S)
            mask = mask ? Matrix(*mask + pad)
                        : Matrix(pad + xt::zeros<double>({c.query.shape(1), pad.shape(1)}));
        }
        if (c.attn_mask && c.attn_mask->dimension() == 3) {
            ch.say("(attn_mask has one mask per head: the per-step view is skipped; the "
                   "results of step 4 include it.)");
        } else {
            const attn::MhaForward f =
                    attn::mha_forward(p, sample(c.query, 0), sample(c.key, 0), sample(c.value, 0),
                                      mask ? &*mask : nullptr);
            ch.say(verbose ? "Every intermediate:"
                           : "The intermediates, by shape (--verbose prints their numbers, --dump "
                             "DIR "
                             "writes each as DIR/<name>.npy):");
            intermediate(pre + "query", sample(c.query, 0), "(L, E) the input x");
            intermediate(pre + "Q", f.Q, "(L, E) = x·W_qᵀ + b_q");
            intermediate(pre + "K", f.K, "(S, E) = x·W_kᵀ + b_k");
            intermediate(pre + "V", f.V, "(S, E) = x·W_vᵀ + b_v");
            intermediate(pre + "Q_heads", f.Qh, "(H, L, d_head)");
            intermediate(pre + "K_heads", f.Kh, "(H, S, d_head)");
            intermediate(pre + "V_heads", f.Vh, "(H, S, d_head)");
            if (mask)
                intermediate(pre + "mask", *mask,
                             "(L, S) added to the scores: 0 allowed, -inf blocked");
            intermediate(pre + "scaled_scores", f.heads.scaled_scores,
                         "(H, L, S) = Q_h·K_hᵀ / √d_head");
            intermediate(pre + "heads_output", f.heads.output, "(H, L, d_head) = weights_h·V_h");
            intermediate(pre + "concat", f.concat, "(L, E) the heads side by side");
            if (!verbose) ch.out() << "\n";
            ch.show(pre + "scaled_scores_head0",
                    Matrix(xt::view(f.heads.scaled_scores, 0, xt::all(), xt::all())), {},
                    "(L, S) head 0's scaled scores");
            const double biggest = xt::amax(xt::abs(
                    xt::filter(f.heads.scaled_scores, xt::isfinite(f.heads.scaled_scores))))();
            std::ostringstream line;
            line << std::fixed << std::setprecision(2) << biggest;
            if (!ch.loading())
                ch.say("Every head's scaled scores lie within ±" + line.str() +
                       ". A freshly "
                       "initialised module has small random weights, so Q and K are small, their "
                       "dot "
                       "products are near 0, and softmax of scores near 0 is near 1/S = 1/" +
                       std::to_string(f.heads.scaled_scores.shape(2)) +
                       " for every key: the maps "
                       "below are nearly uniform. Nothing has trained these heads; chapters 22-24 "
                       "train such heads, and then each head's map takes its own shape.");
        }
        //! [step3]

        //! [step4]
        ch.step("4) the results, as nn.MultiheadAttention returns them");
        if (c.batched) {
            ch.show("output", out.output, {}, "(B, L, E)");
            for (std::size_t b = 0; b < out.weights.shape(0); ++b) {
                const std::string name = "weights[" + std::to_string(b) + "]";
                const Tensor3 w = xt::view(out.weights, b, xt::all(), xt::all(), xt::all());
                if (verbose) attn::show(ch.out(), name, w, {}, "(H, L, S) per head");
                ch.heatmap(name, w, {}, "(H, L, S) per head");
            }
            ch.dump("weights", out.weights);
            ch.show_weights("weights_mean", out.weights_mean, {}, "(B, L, S) averaged over heads",
                            "sample");
        } else {
            const Tensor3 w = xt::view(out.weights, 0, xt::all(), xt::all(), xt::all());
            intermediate("output", sample(out.output, 0), "(L, E) = concat·W_oᵀ + b_o");
            ch.show_weights("weights_head0", Matrix(xt::view(w, 0, xt::all(), xt::all())), {},
                            "(L, S) head 0's weights, one of the H maps");
            ch.dump("weights", w);
            ch.heatmap("weights", w, {}, "(H, L, S) every head (average_attn_weights=False)");
            ch.show_weights("weights_mean", sample(out.weights_mean, 0), {},
                            "(L, S) the mean over heads (PyTorch's default)");
            if (!ch.loading()) {
                std::ostringstream range;
                range << std::fixed << std::setprecision(4) << xt::amin(w)() << " and "
                      << xt::amax(w)();
                ch.say("Every weight of every head lies between " + range.str() +
                       ", close to "
                       "1/S = 0.2: nearly uniform, as step 3 said.");
            }
        }
        ch.say("Multi-head attention: input -> linear projections -> attention head 1, 2, 3 "
               "... -> concatenate all -> final linear layer. Next, chapter 12: what the "
               "heads buy.");
        //! [step4]
    });
}
