// Chapter 21 (its title: chapters/manifest.tsv).
// Through the output projection, the merge, every head's attention, the split and the packed
// input projection: the gradients of nn.MultiheadAttention's parameters and of its inputs.
#include <functional>

#include <xtensor/xview.hpp>

#include <attention/backward.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>

using attn::Matrix;
using attn::Tensor3;
using attn::Vector;
using Array = xt::xarray<double>;

namespace {

// Sample b of a (B, n, m) stack, as a matrix (n, m).
Matrix sample(const Tensor3& t, std::size_t b) {
    return xt::view(t, b, xt::all(), xt::all());
}

// The call to differentiate: chapter 11's files with --load, else the module of chapters
// 07-10 (E = 4, H = 2, drawn from Random(7)) on the toy example (3 tokens × 4 dims).
attn::MhaCase load_case(const attn::Chapter& ch) {
    if (ch.loading()) return attn::load_mha_case(ch.load_path(""), attn::heads_option(ch, 0));
    attn::Random rng(7);
    attn::MhaCase c;
    c.params = attn::random_mha_params(4, 2, rng);
    const Matrix X = attn::toy_tokens();
    c.query = xt::view(X, xt::newaxis(), xt::all(), xt::all());
    c.key = c.value = c.query;
    return c;
}

// dO, the shape of the output: DIR/grad_output.npy, else drawn from Random(21).
Tensor3 load_upstream(const attn::Chapter& ch, const attn::MhaCase& c) {
    Tensor3 dO = xt::empty<double>(c.query.shape());
    if (!ch.has_file("grad_output.npy")) {
        attn::Random rng(21);
        for (double& x : dO) x = rng.normal();
        return dO;
    }
    const std::string path = ch.load_path("grad_output.npy");
    const attn::NpyArray g = attn::load_npy(path);
    attn::check_finite(path, g.data);
    const bool fits =
            c.batched ? g.data.shape() == Array::shape_type(dO.shape().begin(), dO.shape().end())
                      : g.data.dimension() == 2 && g.data.shape(0) == dO.shape(1) &&
                                g.data.shape(1) == dO.shape(2);
    if (!fits || g.is_bool()) {
        const std::vector<std::size_t> want(dO.shape().begin() + (c.batched ? 0 : 1),
                                            dO.shape().end());
        throw attn::InputError(path + ": expected the shape of the output, " +
                               attn::shape_str(want) + ", in float, got " + g.dtype + " " +
                               attn::shape_str(g.data.shape()));
    }
    std::copy(g.data.begin(), g.data.end(), dO.begin());
    return dO;
}

}  // namespace

int main(int argc, char** argv) {
    const attn::ChapterInfo info{
            "21_multihead_backward",
            "the files of chapter 11: query.npy (L, E) or (B, L, E), key.npy and value.npy "
            "(default "
            "query), in_proj_weight.npy, in_proj_bias.npy, out_proj.weight.npy, out_proj.bias.npy, "
            "attn_mask.npy, key_padding_mask.npy; and grad_output.npy, the upstream gradient dO, "
            "the "
            "shape of the output (default: drawn from Random(21))",
            {{"--heads", "H", "number of heads (default: DIR/num_heads.txt)"}}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const attn::MhaCase c = load_case(ch);
        const attn::MhaParams& p = c.params;
        const Tensor3 dO = load_upstream(ch, c);
        // key.npy or value.npy absent: that input is the query tensor itself (self-attention)
        const bool key_is_query = !ch.has_file("key.npy"),
                   value_is_query = !ch.has_file("value.npy");
        // The results first: every shape is checked before anything is printed.
        const attn::MhaBatchGrads all = attn::mha_backward_batch(p, c.query, c.key, c.value, dO,
                                                                 c.attn_mask, c.key_padding_mask);
        Tensor3 query_grad =
                all.query;  // a tensor used several times gets the sum of its gradients
        if (key_is_query) query_grad += all.key;
        if (value_is_query) query_grad += all.value;
        const std::string pre = c.batched ? "sample0_" : "";

        //! [step1]
        ch.step("1) the forward pass, and the upstream gradient");
        ch.say(ch.loading() ? "Your module and inputs."
                            : "The module of chapters 07-10 (E = 4, H = 2, drawn from "
                              "Random(7)) on the toy example (3 tokens × 4 dims), self-attention: "
                              "query = key = value = x.");
        std::optional<Matrix> mask;  // sample 0's (L, S) additive mask, as chapter 11 builds it
        if (c.attn_mask && c.attn_mask->dimension() == 2) mask = Matrix(*c.attn_mask);
        if (c.key_padding_mask) {
            const Matrix pad = xt::view(*c.key_padding_mask, xt::range(0, 1), xt::all());  // (1, S)
            mask = Matrix(
                    (mask ? *mask : Matrix(xt::zeros<double>({c.query.shape(1), pad.shape(1)}))) +
                    pad);
        }
        const bool per_step = !(c.attn_mask && c.attn_mask->dimension() == 3);
        if (c.batched) ch.say("The input is a batch; steps 1) to 6) show sample 0.");
        if (!per_step)
            ch.say("(attn_mask has one mask per head: steps 1) to 6) are skipped; step 7) includes "
                   "it.)");
        const Matrix q0 = sample(c.query, 0), k0 = sample(c.key, 0), v0 = sample(c.value, 0),
                     dO0 = sample(dO, 0);
        const attn::MhaForward f =
                attn::mha_forward(p, q0, k0, v0, per_step && mask ? &*mask : nullptr);
        const attn::MhaGrads g =
                attn::mha_backward(p, q0, k0, v0, dO0, per_step && mask ? &*mask : nullptr);
        if (per_step) {
            ch.show(pre + "output", f.output, {}, "(L, E) = concat·W_oᵀ + b_o");
            ch.show(pre + "grad_output", dO0, {},
                    "(L, E) dO = ∂loss/∂output, the upstream gradient");
        }
        //! [step1]

        if (per_step) {
            //! [step2]
            ch.step("2) reverse step 5, the output projection");
            ch.say("output = concat·W_oᵀ + b_o is a linear layer, a product: each factor's "
                   "gradient is "
                   "dO times the other factor, transposed to fit; b_o was added to every row, so "
                   "its "
                   "gradient adds up dO's rows.");
            ch.show(pre + "d_concat", g.d_concat, {}, "(L, E) = dO·W_o");
            ch.show(pre + "out_proj.weight.grad", g.out_proj_weight, {}, "(E, E) = dOᵀ·concat");
            if (p.out_proj_bias.size() != 0)
                ch.show(pre + "out_proj.bias.grad", g.out_proj_bias, "(E,) = column sums of dO");
            //! [step2]

            //! [step3]
            ch.step("3) reverse step 4, the merge");
            ch.say("Merging only moved numbers: each gradient goes back where its number came "
                   "from, so "
                   "the merge's reverse is a split.");
            ch.show(pre + "d_heads", g.d_heads, {}, "(H, L, d_head) = split_heads(d_concat)");
            //! [step3]

            //! [step4]
            ch.step("4) reverse step 3, attention in every head");
            ch.say("Chapter 20 in every head, with its own weights and 1/√d_head.");
            ch.show(pre + "dQh", g.dQh, {}, "(H, L, d_head) = dS_h·K_h / √d_head");
            ch.show(pre + "dKh", g.dKh, {}, "(H, S, d_head) = dS_hᵀ·Q_h / √d_head");
            ch.show(pre + "dVh", g.dVh, {}, "(H, S, d_head) = P_hᵀ·d_heads_h");
            //! [step4]

            //! [step5]
            ch.step("5) reverse step 2, the split");
            ch.show(pre + "dQ", g.dQ, {}, "(L, E) = merge_heads(dQh)");
            ch.show(pre + "dK", g.dK, {}, "(S, E) = merge_heads(dKh)");
            ch.show(pre + "dV", g.dV, {}, "(S, E) = merge_heads(dVh)");
            //! [step5]

            //! [step6]
            ch.step("6) reverse step 1, the packed input projection");
            ch.say("Q = query·W_qᵀ + b_q, and so for K and V: three linear layers whose weights "
                   "PyTorch "
                   "packs into in_proj_weight = [W_q; W_k; W_v], so their gradients are packed the "
                   "same "
                   "way. An input used as query, key and value gets all three of its gradients, "
                   "added.");
            ch.show(pre + "in_proj_weight.grad", g.in_proj_weight, {},
                    "(3E, E) = [dQᵀ·query; dKᵀ·key; dVᵀ·value]");
            if (p.in_proj_bias.size() != 0) {
                const std::size_t E = p.E;
                ch.dump(pre + "in_proj_bias.grad", g.in_proj_bias);
                ch.show(pre + "db_q", Vector(xt::view(g.in_proj_bias, xt::range(0, E))),
                        "(E,) in_proj_bias.grad[0:E], the column sums of dQ");
                ch.show(pre + "db_v", Vector(xt::view(g.in_proj_bias, xt::range(2 * E, 3 * E))),
                        "(E,) in_proj_bias.grad[2E:3E], of dV");
                const double db_k =
                        xt::amax(xt::abs(xt::view(g.in_proj_bias, xt::range(E, 2 * E))))();
                ch.say("In between, b_k's gradient in_proj_bias.grad[E:2E] is 0 (every entry " +
                       std::string(db_k < 1e-12 ? "below 1e-12"
                                                : "is not: " + std::to_string(db_k)) +
                       "): b_k adds q·b_k to every score in query q's row, and softmax ignores a "
                       "constant added to a row (chapter 19). PyTorch's autograd finds 0 too, up "
                       "to rounding.");
            }
            const Matrix q_grad = g.query + (key_is_query ? g.key : Matrix(g.query * 0.0)) +
                                  (value_is_query ? g.value : Matrix(g.query * 0.0));
            ch.show(pre + "query.grad", q_grad, {},
                    key_is_query ? "(L, E) = dQ·W_q + dK·W_k + dV·W_v" : "(L, E) = dQ·W_q");
            if (!key_is_query) ch.show(pre + "key.grad", g.key, {}, "(S, E) = dK·W_k");
            if (!value_is_query) ch.show(pre + "value.grad", g.value, {}, "(S, E) = dV·W_v");
            //! [step6]
        }

        //! [step7]
        ch.step("7) every gradient against central differences");
        const auto loss = [&](const attn::MhaParams& pp, const Tensor3& q, const Tensor3& k,
                              const Tensor3& v) {
            return double(xt::sum(
                    attn::mha_forward_batch(pp, q, k, v, c.attn_mask, c.key_padding_mask).output *
                    dO)());
        };
        const std::size_t numbers = p.in_proj_weight.size() + p.in_proj_bias.size() +
                                    p.out_proj_weight.size() + p.out_proj_bias.size() +
                                    c.query.size() + (key_is_query ? 0 : c.key.size()) +
                                    (value_is_query ? 0 : c.value.size());
        if (numbers > 10000)
            ch.say("(skipped: " + std::to_string(numbers) +
                   " numbers, more than 10000, each needing two forward passes)");
        const auto check = [&](const std::string& name, const Array& ours,
                               const std::function<double(const Array&)>& move, const Array& at) {
            const Array fd = attn::numerical_gradient(move, at);
            std::vector<std::size_t> shape(ours.shape().begin(), ours.shape().end());
            if (!c.batched && shape.size() == 3)
                shape.erase(shape.begin());  // an input, shown as (L, E)
            const std::string what = name + " " + attn::shape_str(shape);
            ch.out() << "  " << what << std::string(what.size() < 32 ? 32 - what.size() : 1, ' ')
                     << "relative difference: "
                     << attn::describe_relative_error(attn::relative_error(ours, fd)) << "\n";
        };
        if (numbers <= 10000) {
            using A = const Array&;
            attn::MhaParams pp = p;
            check(
                    "in_proj_weight.grad", all.in_proj_weight,
                    [&](A x) {
                        pp.in_proj_weight = x;
                        return loss(pp, c.query, c.key, c.value);
                    },
                    p.in_proj_weight);
            pp = p;
            check(
                    "out_proj.weight.grad", all.out_proj_weight,
                    [&](A x) {
                        pp.out_proj_weight = x;
                        return loss(pp, c.query, c.key, c.value);
                    },
                    p.out_proj_weight);
            pp = p;
            if (p.in_proj_bias.size() != 0)
                check(
                        "in_proj_bias.grad", all.in_proj_bias,
                        [&](A x) {
                            pp.in_proj_bias = x;
                            return loss(pp, c.query, c.key, c.value);
                        },
                        p.in_proj_bias);
            pp = p;
            if (p.out_proj_bias.size() != 0)
                check(
                        "out_proj.bias.grad", all.out_proj_bias,
                        [&](A x) {
                            pp.out_proj_bias = x;
                            return loss(pp, c.query, c.key, c.value);
                        },
                        p.out_proj_bias);
            check(
                    "query.grad", query_grad,
                    [&](A x) {
                        return loss(p, x, key_is_query ? Tensor3(x) : c.key,
                                    value_is_query ? Tensor3(x) : c.value);
                    },
                    c.query);
            if (!key_is_query)
                check(
                        "key.grad", all.key, [&](A x) { return loss(p, c.query, x, c.value); },
                        c.key);
            if (!value_is_query)
                check(
                        "value.grad", all.value, [&](A x) { return loss(p, c.query, c.key, x); },
                        c.value);
            ch.out() << "\n";
        }
        // every parameter's and input's gradient, named as PyTorch names them: DIR/<name>.grad.npy
        const auto input = [&](const Tensor3& t) {
            return c.batched ? Array(t) : Array(sample(t, 0));
        };
        ch.dump("in_proj_weight.grad", all.in_proj_weight);
        ch.dump("out_proj.weight.grad", all.out_proj_weight);
        if (p.in_proj_bias.size() != 0) ch.dump("in_proj_bias.grad", all.in_proj_bias);
        if (p.out_proj_bias.size() != 0) ch.dump("out_proj.bias.grad", all.out_proj_bias);
        ch.dump("query.grad", input(query_grad));
        if (!key_is_query) ch.dump("key.grad", input(all.key));
        if (!value_is_query) ch.dump("value.grad", input(all.value));
        //! [step7]

        //! [step8]
        ch.step("8) masks and batches");
        ch.say("An example of our own: a batch of 2 sequences of 4 tokens, the module of chapters "
               "07-10, and sample 1 padded after 3 tokens. The parameters' gradients "
               "are the sums of the samples' own; each input gets only its sample's. A padding "
               "token is never a key or a value, so those parts of its gradient are 0; it is still "
               "a query, so its query part is not:");
        attn::Random rng(7), data(21);
        const attn::MhaParams p4 = attn::random_mha_params(4, 2, rng);
        Tensor3 x = xt::empty<double>({2, 4, 4}), dx = x;
        for (double& v : x) v = data.normal();
        for (double& v : dx) v = data.normal();
        const attn::MhaBatchGrads b = attn::mha_backward_batch(
                p4, x, x, x, dx, std::nullopt, Array(attn::padding_mask({4, 3}, 4)));
        // (+ 0.0 prints an exact zero as 0.0000: -0.0 + 0.0 is 0.0)
        ch.show("padded_key_part", Matrix(sample(b.key, 1) + sample(b.value, 1) + 0.0), {},
                "(S, E) sample 1: row 3, the padding, is 0");
        ch.show("padded_query_part", sample(b.query, 1), {}, "(L, E) sample 1: no row is 0");
        ch.say("A fully masked row: add a causal mask and pad sample 1 on the left instead (its "
               "key "
               "0), so that its query 0, which may see only key 0, sees nothing. Its weights are "
               "NaN, "
               "and so is every gradient that sums over that row. PyTorch 1.13's autograd puts its "
               "NaNs in the same places (a test checks it on a case like this one, "
               "tests/fixtures/multihead_backward/fully_masked).");
        Array left = xt::zeros<double>({2, 4});
        left(1, 0) = -INFINITY;
        const attn::MhaBatchGrads n =
                attn::mha_backward_batch(p4, x, x, x, dx, Array(attn::causal_mask(4)), left);
        const auto nans = [](const Array& a) {
            return std::to_string(std::size_t(xt::sum(xt::isnan(a))())) + " of " +
                   std::to_string(a.size()) + " NaN";
        };
        const Array x_grad = n.query + n.key + n.value;
        ch.out() << "  in_proj_weight.grad   " << nans(n.in_proj_weight)
                 << "\n  in_proj_bias.grad     " << nans(n.in_proj_bias)
                 << "\n  out_proj.weight.grad  " << nans(n.out_proj_weight)
                 << "\n  out_proj.bias.grad    " << nans(n.out_proj_bias)
                 << "  (the column sums of dO: they never meet the weights)\n  x.grad, sample 0    "
                    "  "
                 << nans(xt::view(x_grad, 0)) << "\n  x.grad, sample 1      "
                 << nans(xt::view(x_grad, 1)) << "\n\n";
        ch.say("That is attention forward and backward, every number checked: with --load, these "
               "are the gradients PyTorch's loss.backward() gives nn.MultiheadAttention (chapter "
               "21's "
               "page: ten cases, float32 and float64).");
        //! [step8]
    });
}
