// Chapter 12 (its title: chapters/manifest.tsv).
// Hand-set projection weights make three heads find three relationships that one head
// cannot hold at once; then the explainer's comparison, applications and summary.
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>
#include <workbook/chapter.hpp>

using attn::Matrix;
using attn::Tensor3;

namespace {

const std::vector<std::string> kWords = {"The", "cat", "chased", "the", "mouse"};
const std::vector<std::string> kTypes = {"the", "cat", "chased", "mouse"};
enum Type { THE, CAT, CHASED, MOUSE };  // the one-hot dimension of each word type

// The sentence as one-hot rows (5, 12): dims 0-3 say which word type it is; the other
// dims start at 0 and are the room the heads' projections write into.
Matrix sentence() {
    const Type types[] = {THE, CAT, CHASED, THE, MOUSE};
    Matrix X = xt::zeros<double>({std::size_t{5}, std::size_t{12}});
    for (std::size_t i = 0; i < 5; ++i) X(i, types[i]) = 1.0;
    return X;
}

// One hand-set rule: row `row` of W_q picks word type q, the same row of W_k picks the
// types k, so a query of type q meets a key of type k with score 3·3 = 9 in that row.
struct Link {
    std::size_t row;
    Type q;
    std::vector<Type> k;
};

// A module with E = 12 and H heads of d_head = 12 / H (head h owns rows h·d_head ..),
// W_q and W_k set by the links. Every head's value slice copies the word type (W_v), and
// W_o = I, so the output shows which words each head gathered.
attn::MhaParams hand_set(std::size_t H, const std::vector<Link>& links) {
    const std::size_t E = 12, d = E / H;
    attn::MhaParams p{E, H, xt::zeros<double>({3 * E, E}), {}, xt::eye<double>(E), {}};
    for (const Link& l : links) {
        p.in_proj_weight(l.row, l.q) = 3.0;                       // W_q
        for (Type k : l.k) p.in_proj_weight(E + l.row, k) = 3.0;  // W_k
    }
    for (std::size_t h = 0; h < H; ++h)  // W_v: the type,
        for (std::size_t t = 0; t < 4; ++t)
            p.in_proj_weight(2 * E + h * d + t, t) = 1.0;  // per head
    return p;
}

// "The -> cat 0.45, chased 0.45" for every word whose links (not itself) stand out.
void links(attn::Chapter& ch, const Matrix& w) {
    for (std::size_t i = 0; i < w.shape(0); ++i) {
        std::string line;
        for (std::size_t j = 0; j < w.shape(1); ++j)
            if (j != i && w(i, j) > 0.3)
                line += (line.empty() ? " " : ", ") + kWords[j] + " " +
                        attn::format_number(w(i, j), 2);
        if (!line.empty()) ch.out() << "  " << kWords[i] << " ->" << line << "\n";
    }
    ch.out() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{"12_self_vs_multihead", ""};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const Matrix X = sentence();
        const attn::Labels words{kWords, kWords};

        //! [step1]
        ch.step("1) the sentence");
        ch.say("Input: \"The cat chased the mouse\". Each word is a one-hot vector over the "
               "word types the, cat, chased, mouse, in E = 12 dims (the other 8 start at 0).");
        ch.show("X", Matrix(xt::view(X, xt::all(), xt::range(0, 4))), {kWords, kTypes},
                "(L, 4) the first 4 of E = 12 columns");
        //! [step1]

        //! [step2]
        ch.step("2) self-attention, one head");
        ch.say("The weights of this chapter are hand-set, not learned: each rule below is "
               "written into W_q and W_k by hand so that its effect can be read off. Chapter 23 "
               "trains heads from random weights and watches them find such links themselves.\n"
               "What one head cannot do: it gives each query ONE weight distribution over the "
               "keys. \"cat\" needs two words at once - \"mouse\", what it chased, and "
               "\"chased\", its verb. One head, hand-set so that cat's query meets both keys "
               "(W_q sends cat to dimension 0, W_k sends mouse and chased there too), must "
               "split cat's weight between them:");
        const attn::MhaParams one = hand_set(1, {{0, CAT, {MOUSE, CHASED}}});
        const attn::MhaForward f1 = attn::mha_forward(one, X, X, X);
        ch.show_weights("weights_one_head",
                        Matrix(xt::view(f1.heads.weights, 0, xt::all(), xt::all())), words,
                        "(L, S) rows: queries, columns: keys");
        links(ch, xt::view(f1.heads.weights, 0, xt::all(), xt::all()));
        ch.say("So cat's output is one blend, half mouse and half chased (its value slice "
               "carries the word type): it cannot say which word is the object and which the "
               "verb.");
        ch.show("output_one_head", Matrix(xt::view(f1.output, xt::range(1, 2), xt::range(0, 4))),
                {{"cat"}, kTypes}, "(1, 4) cat's output row, its first 4 of E = 12 columns");
        //! [step2]

        //! [step3]
        ch.step("3) multi-head attention, three heads");
        ch.say("Three heads of d_head = 4, each with its own rows of W_q and W_k (numbered "
               "from 0, as PyTorch indexes heads; the explainer's Head 1, 2, 3 are heads 0, 1, "
               "2):\n"
               "head 0: cat <-> mouse (q: cat, k: mouse; q: mouse, k: cat)\n"
               "head 1: chased <-> cat (q: chased, k: cat; q: cat, k: chased)\n"
               "head 2: the <-> the (q: the, k: the)");
        const attn::MhaParams three = hand_set(3, {{0, CAT, {MOUSE}},
                                                   {1, MOUSE, {CAT}},  // head 0
                                                   {4, CHASED, {CAT}},
                                                   {5, CAT, {CHASED}},  // head 1
                                                   {8, THE, {THE}}});   // head 2
        const attn::MhaForward f3 = attn::mha_forward(three, X, X, X);
        for (std::size_t h = 0; h < 3; ++h) {
            const Matrix w = xt::view(f3.heads.weights, h, xt::all(), xt::all());
            ch.show("weights_head_" + std::to_string(h), w, words, "(L, S)");
            links(ch, w);
        }
        ch.heatmap("weights_heads", f3.heads.weights, words,
                   "(H, L, S) the three heads side by side");
        ch.dump("Q_heads", f3.Qh);  // (H, L, d_head), for ./workbook view's "why this score"
        ch.dump("K_heads", f3.Kh);  // (H, S, d_head)
        ch.dump_lines("tokens.txt", kWords);
        ch.say("Now cat's query has one distribution per head: head 0 puts nearly all of it "
               "on \"mouse\", head 1 nearly all on \"chased\". Each head's value slice carries "
               "the word type, so each head's output says which words it gathered:");
        ch.show("heads_output", f3.heads.output, {kWords, kTypes},
                "(H, L, d_head) word types gathered per head");
        ch.say("Combining is chapter 10's: concatenate the heads, then W_o (here the "
               "identity). In the combined output, cat's row holds \"mouse\" in head 0's "
               "columns and \"chased\" in head 1's, apart:");
        std::vector<std::string> columns;
        for (std::size_t h = 0; h < 3; ++h)
            for (const std::string& t : kTypes) columns.push_back(std::to_string(h) + ":" + t);
        ch.show("output", f3.output, {kWords, columns}, "(L, E) = concat·W_oᵀ, columns head:type");
        //! [step3]

        //! [step4]
        ch.step("4) self-attention vs multi-head attention");
        ch.out() << "Feature       Self-Attention        Multi-Head Attention\n"
                    "Focus         One context pattern   Multiple patterns at once\n"
                    "Performance   Good                  Better (parallel learning)\n"
                    "Use Case      Used in each head     Used across heads in parallel\n\n";
        ch.out() << "Real-world applications        Role of attention\n"
                    "ChatGPT text generation        Helps model choose correct next word\n"
                    "Translation (English->French)  Aligns subject/verb positions\n"
                    "Text summarization             Attends to important sentences only\n"
                    "Image captioning (BLIP)        Attends to visual regions + text tokens\n\n";
        ch.say("Each row of that table is trained in Part VII, where its attention map is measured "
               "on "
               "held-out data: the next word in chapter 25, translation alignment in 26, the "
               "important "
               "sentence in 27, image regions in 28 (./workbook run 25, ... 28).");
        ch.out()
                << "Component              Purpose\n"
                   "Query, Key, Value      Core to self-attention computation\n"
                   "Self-Attention         Finds relationships across input tokens\n"
                   "Multi-Head Attention   Multiple attention heads for richer representation\n"
                   "Parallelizable         Yes - allows faster training & longer input support\n\n";
        ch.say("Self-attention is what lets a Transformer read a whole context at once; "
               "several heads let it read that context for several relationships side by "
               "side. The same mechanism sits inside GPT (text), DALL-E (images), Whisper "
               "(speech) and BERT (understanding text).");
        //! [step4]
    });
}
