// Chapter 10 (its title: chapters/manifest.tsv).
// (H, L, d_head) → (L, E) → concat·W_oᵀ + b_o, and why W_o mixes what the heads found.
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Tensor3;

namespace {

// The columns of `a` and `b` (same shape) that differ anywhere, as "c0, c3".
std::string changed_columns(const Matrix& a, const Matrix& b) {
    std::string cols;
    for (std::size_t c = 0; c < a.shape(1); ++c) {
        bool differs = false;
        for (std::size_t i = 0; i < a.shape(0); ++i) differs |= std::abs(a(i, c) - b(i, c)) > 1e-12;
        if (differs) cols += (cols.empty() ? "c" : ", c") + std::to_string(c);
    }
    return cols.empty() ? "none" : cols;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info = attn::mha_chapter_info("10_concat_and_output");
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const attn::MhaExample ex = attn::load_mha_example(ch);
        const attn::MhaParams& p = ex.params;
        const attn::MhaForward f = attn::mha_forward(p, ex.query, ex.key, ex.value);

        //! [step1]
        ch.step("1) concatenate the heads");
        ch.say("Each head returned (L, d_head). Side by side they make (L, E) again: "
               "merge_heads from chapter 08. Columns 0..d_head-1 come from head 0, the next "
               "d_head from head 1, and so on.");
        ch.show("heads_output", f.heads.output, {}, "(H, L, d_head) from chapter 09");
        ch.show("concat", f.concat, {}, "(L, E) = merge_heads(heads_output)");
        //! [step1]

        //! [step2]
        ch.step("2) the output projection");
        ch.say("The last box of the explainer's diagram, \"Final Linear layer\": output = "
               "concat·W_oᵀ + b_o, "
               "with W_o = out_proj.weight (E, E) and b_o = out_proj.bias (E,).");
        ch.show("W_o", p.out_proj_weight, {}, "(E, E) out_proj.weight");
        ch.show("b_o", p.b_o(), "(E,) out_proj.bias");
        ch.show("output", f.output, {}, "(L, E) = concat·W_oᵀ + b_o");
        //! [step2]

        //! [step3]
        ch.step("3) why W_o: it mixes what the heads found");
        ch.say("Without W_o, each output column would come from one head only. Silence the "
               "last head (set its output to zero) and see which columns change:");
        Tensor3 silenced = f.heads.output;
        xt::view(silenced, p.H - 1, xt::all(), xt::all()) = 0.0;
        const Matrix concat_silenced = attn::merge_heads(silenced);
        const Matrix output_silenced =
                attn::project(concat_silenced, p.out_proj_weight, p.out_proj_bias);
        ch.say("columns of concat that change: " + changed_columns(concat_silenced, f.concat) +
               "\ncolumns of output that change: " + changed_columns(output_silenced, f.output));
        ch.say("In concat only the last head's own columns move; after W_o every column "
               "does. W_o lets each output dimension combine the findings of all heads - "
               "which is how \"Concatenate all -> Final Linear layer\" turns H separate "
               "views into one representation. Next, chapter 11: the whole module, checked "
               "against PyTorch.");
        //! [step3]
    });
}
