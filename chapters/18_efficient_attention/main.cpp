// Chapter 18 (its title: chapters/manifest.tsv).
// The same multi-head attention computed five ways in float32, each checked against the
// float64 reference, with its work and its memory counted; --time also times them.
#include <algorithm>
#include <cstdio>

#include <attention/attention.hpp>
#include <attention/backward.hpp>
#include <attention/efficient.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/compare.hpp>
#include <workbook/timing.hpp>
#include <workbook/validation.hpp>

using attn::FastMethod;
using attn::Matrix;

namespace {

// printf into a std::string.
template <class... A>
std::string fmt(const char* f, A... a) {
    char buf[160];
    std::snprintf(buf, sizeof buf, f, a...);
    return buf;
}

std::string mb(std::size_t bytes) {
    return fmt("%.1f MB", static_cast<double>(bytes) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "18_efficient_attention",
            "",
            {{"--length", "L", "tokens (default 200)"},
             {"--embed", "E", "embedding width (default 64)"},
             {"--heads", "H", "heads (default 8)"},
             {"--block", "B", "the tiled method's tile: B queries x B keys (default 64)"},
             {"--time", "", "also time every method (times vary from run to run: not recorded)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const std::size_t L = ch.option_count("--length", 200), E = ch.option_count("--embed", 64),
                          H = ch.option_count("--heads", 8), B = ch.option_count("--block", 64);
        attn::Random rng(18);
        attn::check_heads(E, H);
        const attn::MhaParams p = attn::random_mha_params(E, H, rng);
        const Matrix X = rng.normal_matrix(L, E);  // self-attention: query = key = value
        // float32, as PyTorch computes; the reference sees the same numbers in float64
        const attn::MhaParamsF pf = attn::to_float(p);
        const attn::MatrixF Xf = attn::to_float(X);
        const Matrix X64 = attn::to_double(Xf);
        const Matrix reference = attn::mha_forward(attn::to_double(pf), X64, X64, X64).output;
        const attn::Tiles tiles{B, B};

        //! [step1]
        ch.step("1) the work");
        ch.say("Self-attention on L = " + std::to_string(L) +
               " tokens of E = " + std::to_string(E) + " dims, H = " + std::to_string(H) +
               " heads (chapter 11's module, longer). Counting a "
               "multiply and an add as 2 flops:");
        const attn::MhaFlops work = attn::mha_flop_count(L, L, E);
        ch.out() << fmt("  projections  2(L+2S)E^2 + 2LE^2 = %12.0f flops   (Q, K, V and W_o)\n",
                        work.projections)
                 << fmt("  attention    4LSE              = %12.0f flops   (Q K^T and weights V, "
                        "all heads)\n",
                        work.attention)
                 << fmt("  softmax      HLS exp() calls   = %12zu\n", H * L * L)
                 << fmt("  the weights  HLS floats        = %12s      (what PyTorch holds at "
                        "once)\n\n",
                        mb(attn::weights_bytes(L, L, H)).c_str());
        const attn::MhaFlops big = attn::mha_flop_count(8192, 8192, 512);
        ch.say("Projections grow with L, attention with L^2: at L = 8192 (E = 512, H = 8) "
               "attention is " +
               fmt("%.0f%%", 100.0 * big.attention / big.total()) +
               " of the work, and all heads' weights would take " +
               fmt("%.1f GB", static_cast<double>(attn::weights_bytes(8192, 8192, 8)) / 1e9) + ".");
        //! [step1]

        //! [step2]
        ch.step("2) five ways, one answer");
        ch.say("Each method computes the whole module in float32 and is compared with the float64 "
               "reference (mha_forward). Extra memory: the most a method holds at once beyond its "
               "inputs and its output.");
        const bool timing = ch.flag("--time");
        const double sgemm = timing ? attn::sgemm_gflops() : 0.0;
        ch.out() << "  method    agrees to 1e-5   extra memory"
                 << (timing ? "        ms   GFLOP/s  of sgemm" : "") << "\n";
        for (FastMethod m : attn::fast_methods()) {
            const attn::FastResult r = attn::fast_mha(m, pf, Xf, Xf, Xf, tiles);
            const bool agrees =
                    attn::largest_difference(attn::to_double(r.output), reference).largest <= 1e-5;
            ch.out() << fmt("  %-8s  %-15s  %12s", attn::method_name(m).c_str(),
                            agrees ? "yes" : "NO", mb(r.peak_bytes).c_str());
            if (timing) {
                const double ms =
                        attn::median_ms([&] { attn::fast_mha(m, pf, Xf, Xf, Xf, tiles); }, 5);
                const double gflops = attn::mha_flops(L, L, E) / (ms * 1e6);
                ch.out() << fmt("  %8.2f  %8.1f  %7.0f%%", ms, gflops, 100.0 * gflops / sgemm);
            }
            ch.out() << "\n";
        }
        ch.out() << (timing ? fmt("  (OpenBLAS sgemm, 1024 x 1024, one thread: %.1f GFLOP/s)\n\n",
                                  sgemm)
                            : "  (run with --time for the times; ./workbook bench for the real "
                              "ones)\n\n");
        ch.say("loops and xtensor do each multiply-add on its own. blas hands the products to "
               "OpenBLAS's sgemm, which keeps blocks of both matrices in cache and in registers "
               "and "
               "uses every number it loads many times. batched fuses the three projections into "
               "one "
               "product and reads each head's columns in place, but holds all H·L·S weights. tiled "
               "takes a block of keys at a time, so its scores never leave the cache: its memory "
               "grows with L, not L^2 (step 4).");
        ch.show("output", reference, {}, "(L, E) what every method printed above agrees with");
        //! [step2]

        //! [step3]
        ch.step("3) the online softmax, by hand");
        ch.say("The tiled method never holds a whole row of scores: it reads the keys in blocks "
               "and "
               "keeps, per query, a running max m, a running sum l of exp(s - m) and a running "
               "output o. A larger max in a later block rescales both by exp(m_old - m_new). One "
               "row, scores [1, 3, 2, 5] in blocks of 2, values v_j = (j, 1):");
        const attn::Vector s = {1.0, 3.0, 2.0, 5.0};
        const Matrix V = {{0.0, 1.0}, {1.0, 1.0}, {2.0, 1.0}, {3.0, 1.0}};
        const attn::OnlineTrace t = attn::online_softmax_trace(s, V, 2);
        for (std::size_t b = 0; b < t.max.size(); ++b) {
            ch.out() << fmt("  after block %zu: m = %.0f   l = %.4f   o = [%.4f, %.4f]\n", b + 1,
                            t.max[b], t.sum[b], t.acc(b, 0), t.acc(b, 1));
        }
        const Matrix row = xt::reshape_view(s, {std::size_t{1}, s.size()});
        const Matrix direct =
                attn::weighted_sum(attn::softmax(row), V);  // Part I, the whole row at once
        ch.out() << fmt(
                "  o / l = [%.4f, %.4f];  softmax(s)·V, the whole row at once = [%.4f, %.4f]\n\n",
                t.output(0), t.output(1), direct(0, 0), direct(0, 1));
        //! [step3]

        //! [step4]
        ch.step("4) memory as the sequence grows");
        ch.say("E = 512, H = 8, as the benchmark runs it. Extra memory counted as in step 2:");
        ch.out() << "       L   all weights (H,L,L)   batched (like PyTorch)   tiled (256 x 512 "
                    "tiles)\n";
        for (std::size_t n : {512, 2048, 8192, 32768}) {
            ch.out() << fmt("  %6zu   %19s   %22s   %23s\n", n,
                            mb(attn::weights_bytes(n, n, 8)).c_str(),
                            mb(attn::fast_extra_bytes(FastMethod::batched, n, n, 512, 8)).c_str(),
                            mb(attn::fast_extra_bytes(FastMethod::tiled, n, n, 512, 8)).c_str());
        }
        ch.out() << "\n";
        ch.say("Batched grows with L^2, tiled with L (its Q, K and V, plus one tile). The speed "
               "comes from the same place: what stays in cache is not read from memory again.");
        ch.say("\"Longer input support\", as the explainer puts it, and this table agree: "
               "attention has no fixed window, so every method here takes any L and each "
               "query sees all L keys; but its work grows with L^2 (step 1), and so does its "
               "memory when the weights are stored. The tiled method keeps the memory linear "
               "in L, which is what makes long inputs affordable.");
        //! [step4]

        //! [step5]
        ch.step("5) the backward pass, fast");
        ch.say("Training needs every gradient too (chapters 19-21). batched and tiled also run the "
               "backward pass in float32 (fast_mha_backward: the forward pass, then the backward "
               "one for an upstream gradient dO); each gradient is compared with the float64 "
               "reference mha_backward. Extra memory as in step 2, for both passes:");
        const Matrix dO = rng.normal_matrix(L, E);
        const attn::MatrixF dOf = attn::to_float(dO);
        attn::MhaGrads want =
                attn::mha_backward(attn::to_double(pf), X64, X64, X64, attn::to_double(dOf));
        want.query += want.key + want.value;  // X is query, key and value: its gradient is the sum
        ch.out() << "  method    gradients agree to 1e-4   extra memory\n";
        for (FastMethod m : attn::backward_methods()) {
            const attn::FastBackward r = attn::fast_mha_backward(m, pf, Xf, Xf, Xf, dOf, tiles);
            const attn::FastGrads& g = r.grads;
            double worst = 0.0;  // the largest relative error of any gradient
            auto worse = [&](const auto& ours, const auto& theirs) {
                worst = std::max(worst, attn::relative_error(xt::cast<double>(ours), theirs));
            };
            worse(g.in_proj_weight, want.in_proj_weight);
            worse(g.in_proj_bias, want.in_proj_bias);
            worse(g.out_proj_weight, want.out_proj_weight);
            worse(g.out_proj_bias, want.out_proj_bias);
            worse(g.query, want.query);
            ch.out() << fmt("  %-8s  %-24s  %12s\n", attn::method_name(m).c_str(),
                            worst <= 1e-4 ? "yes" : "NO", mb(r.peak_bytes).c_str());
        }
        ch.out() << "\n       L   all weights (H,L,L)   batched fwd+bwd   tiled fwd+bwd (256 x 512 "
                    "tiles)\n";
        for (std::size_t n : {512, 2048, 8192}) {
            ch.out() << fmt(
                    "  %6zu   %19s   %15s   %15s\n", n, mb(attn::weights_bytes(n, n, 8)).c_str(),
                    mb(attn::fast_backward_extra_bytes(FastMethod::batched, n, n, 512, 8)).c_str(),
                    mb(attn::fast_backward_extra_bytes(FastMethod::tiled, n, n, 512, 8)).c_str());
        }
        ch.out() << "\n";
        ch.say("batched keeps every head's weights P for the backward pass, as PyTorch's autograd "
               "does. tiled keeps only one number per query row and head, the log-sum-exp of its "
               "scores, and makes P again one tile at a time, P = exp(score - lse), as "
               "FlashAttention-2 does: more work (Q K^T once more) for memory that grows with L. "
               "Next: ./workbook bench measures all of it against PyTorch, the forward pass and "
               "the forward and backward passes together.");
        //! [step5]
    });
}
