// Chapter 09 (its title: chapters/manifest.tsv).
// Each head runs chapter 06's attention on its own d_head columns; all heads in one pass = the loop.
#include <xtensor/xview.hpp>

#include <attention/attention.hpp>
#include <attention/mha.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Tensor3;

int main(int argc, char** argv) {
    const attn::ChapterInfo info = attn::mha_chapter_info("09_heads_in_parallel");
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const attn::MhaExample ex = attn::load_mha_example(ch);
        const attn::MhaParams& p = ex.params;
        const std::size_t H = p.H, d = p.d_head();

        //! [step1]
        ch.step("1) each head's queries, keys and values");
        ch.say("Chapter 07's projections, split as in chapter 08: with E = " + std::to_string(p.E) +
               " and H = " + std::to_string(H) +
               ", every head works on "
               "d_head = " +
               std::to_string(d) + " columns.");
        const Tensor3 Qh = attn::split_heads(attn::project(ex.query, p.W_q(), p.b_q()), H);
        const Tensor3 Kh = attn::split_heads(attn::project(ex.key, p.W_k(), p.b_k()), H);
        const Tensor3 Vh = attn::split_heads(attn::project(ex.value, p.W_v(), p.b_v()), H);
        ch.show("Q_heads", Qh, {}, "(H, L, d_head)");
        ch.show("K_heads", Kh, {}, "(H, S, d_head)");
        ch.show("V_heads", Vh, {}, "(H, S, d_head)");
        //! [step1]

        //! [step2]
        ch.step("2) one head at a time: chapter 06's attention");
        ch.say("Head h is exactly chapter 06's attention on its own slices: "
               "softmax(Q_h·K_hᵀ / √d_head)·V_h. Note the scale: √d_head, the width the "
               "dot products run over, not √E.");
        const attn::HeadsAttention looped = attn::attend_heads_loop(Qh, Kh, Vh);
        ch.show_weights("weights_loop", looped.weights,
                        ch.weight_labels(looped.weights.shape(1), looped.weights.shape(2)),
                        "(H, L, S) one attention per head");
        //! [step2]

        //! [step3]
        ch.step("3) all heads in one pass");
        ch.say("Nothing in head h depends on another head, so all of them could run at once. "
               "attend_heads computes them in one pass: one BLAS product per head for the "
               "scores and one for the weighted sum, with a single softmax over all H·L rows; a "
               "GPU library would make the per-head products one batched product over the head "
               "axis. This independence is the parallelism of multi-head attention.");
        const attn::HeadsAttention all = attn::attend_heads(Qh, Kh, Vh);
        ch.show_weights("weights", all.weights,
                        ch.weight_labels(all.weights.shape(1), all.weights.shape(2)),
                        "(H, L, S) = softmax(Q_h·K_hᵀ / √d_head) for every h");
        ch.show("heads_output", all.output, {}, "(H, L, d_head) = weights_h·V_h");
        ch.say("Against the loop over heads: weights " +
               attn::describe_difference(all.weights, looped.weights) + ", outputs " +
               attn::describe_difference(all.output, looped.output) + ".");
        //! [step3]

        //! [step4]
        ch.step("4) different heads, different patterns");
        ch.say("Each head has its own slice of W_q and W_k, so each scores the same tokens "
               "differently: compare weights[0] with weights[1]. One head might focus on "
               "subject-verb, another on adjective-noun, another on position and syntax. "
               "And since each head is E/H wide, H heads cost about what one full-width "
               "head costs. Next, chapter 10: putting the heads back together.");
        //! [step4]
    });
}
