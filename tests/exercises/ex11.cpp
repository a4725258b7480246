// Exercise 11's checks: mha_forward(p, query, key, value), the whole module, against the
// reference attn::mha_forward and PyTorch's own outputs (tests/fixtures/part2).
#include <cmath>

#include <xtensor/xstrided_view.hpp>
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::MhaParams;
using attn::Tensor3;
using attn::Vector;
using namespace ex::check;

namespace {

Matrix transposed(const Matrix& m) {
    return xt::transpose(m);
}

// One way through the five steps, the right one by default; each flag is a known mistake.
struct Way {
    bool in_transposed = true;    // 1) X·Wᵀ, not X·W
    bool in_bias = true;          // 1) + b_q, b_k, b_v
    bool kv_from_query = false;   // 1) K and V projected from query
    bool kv_swapped = false;      // 1) K with W_v, V with W_k
    bool split_transpose = true;  // 2) and 4) reshape + transpose, not a plain reshape
    bool scale_by_E = false;      // 3) √E instead of √d_head
    bool out_proj = true;         // 5) the output projection at all
    bool out_transposed = true;   // 5) concat·W_oᵀ, not concat·W_o
    bool out_bias = true;         // 5) + b_o
};

Matrix forward(const MhaParams& p, const Matrix& query, const Matrix& key, const Matrix& value,
               Way w) {
    const auto proj = [&](const Matrix& X, const Matrix& W, const Vector& b) {
        return attn::project(X, w.in_transposed ? W : transposed(W), w.in_bias ? b : Vector{});
    };
    const Matrix& k_in = w.kv_from_query ? query : key;
    const Matrix& v_in = w.kv_from_query ? query : value;
    const Matrix Q = proj(query, p.W_q(), p.b_q());
    const Matrix K = w.kv_swapped ? proj(k_in, p.W_v(), p.b_v()) : proj(k_in, p.W_k(), p.b_k());
    const Matrix V = w.kv_swapped ? proj(v_in, p.W_k(), p.b_k()) : proj(v_in, p.W_v(), p.b_v());
    const std::size_t H = p.H, d = p.d_head();
    const auto split = [&](const Matrix& X) -> Tensor3 {
        if (w.split_transpose) return attn::split_heads(X, H);
        return xt::reshape_view(X, {H, X.shape(0), d});
    };
    Tensor3 Qh = split(Q);
    // Scores divided by √E instead of √d: the same as queries scaled by √d / √E.
    if (w.scale_by_E) Qh = Qh * std::sqrt(static_cast<double>(d) / static_cast<double>(p.E));
    const Tensor3 heads = attn::attend_heads(Qh, split(K), split(V)).output;
    const Matrix concat = w.split_transpose
                                  ? attn::merge_heads(heads)
                                  : Matrix(xt::reshape_view(heads, {query.shape(0), p.E}));
    if (!w.out_proj) return concat;
    return attn::project(concat,
                         w.out_transposed ? p.out_proj_weight : transposed(p.out_proj_weight),
                         w.out_bias ? p.b_o() : Vector{});
}

bool has_bias(const MhaParams& p) {
    return p.in_proj_bias.size() != 0;
}

// What the known mistakes would return, most specific first.
std::vector<Mistake> mistakes(const MhaParams& p, const Matrix& query, const Matrix& key,
                              const Matrix& value) {
    const auto with = [&](auto change) {
        Way w;
        change(w);
        return forward(p, query, key, value, w);
    };
    const std::string E = std::to_string(p.E), d = std::to_string(p.d_head());
    std::vector<Mistake> m = {
            gives(with([](Way& w) { w.out_proj = false; }),
                  "your answer is the concatenated heads: forgot the output projection? Step 5 is "
                  "concat·W_oᵀ + b_o, with p.out_proj_weight and p.b_o() (chapter 10)."),
            gives(with([](Way& w) { w.split_transpose = false; }),
                  "reshaped without transposing? Your heads were cut by reading (L, E) in memory "
                  "order "
                  "into (H, L, d), so tokens are mixed across heads. Split as x.view(L, H, d)"
                  ".transpose(0, 1): heads(h, i, c) = X(i, h·d + c), and merge back the same way "
                  "(chapter 08)."),
            gives(with([](Way& w) { w.scale_by_E = true; }),
                  "each head's scores were divided by √E = √" + E + " instead of √d_head = √" + d +
                          ": a head's dot products run over its d_head columns (chapter 09)."),
    };
    if (!near(query, key) || !near(query, value)) {
        m.push_back(gives(with([](Way& w) { w.kv_from_query = true; }),
                          "K and V were projected from query: right for self-attention only. K "
                          "comes from `key` and V from `value` (in cross-attention another "
                          "sequence, S rows)."));
    }
    m.push_back(
            gives(with([](Way& w) { w.kv_swapped = true; }),
                  "K was projected with W_v and V with W_k: in in_proj_weight the blocks are W_q, "
                  "W_k, W_v in that order — use p.W_k() for the keys and p.W_v() for the values."));
    m.push_back(gives(with([](Way& w) { w.in_transposed = false; }),
                      "query, key and value were projected as X·W, without the transpose: PyTorch "
                      "stores the weights as (out, in), Q = query·W_qᵀ + b_q (chapter 07)."));
    m.push_back(
            gives(with([](Way& w) { w.out_transposed = false; }),
                  "the output projection was concat·W_o, without the transpose: W_o is stored as "
                  "(out, in) too, output = concat·W_oᵀ + b_o."));
    if (has_bias(p)) {
        m.push_back(gives(with([](Way& w) { w.in_bias = false; }),
                          "the projections lack their biases: Q = query·W_qᵀ + b_q, and the same "
                          "with b_k and b_v."));
        m.push_back(gives(with([](Way& w) { w.out_bias = false; }),
                          "the output lacks b_o: output = concat·W_oᵀ + b_o."));
    }
    m.push_back(
            shape_differs(attn::mha_forward(p, query, key, value).output,
                          "the output is (L, E): one row per query token, L = query.shape(0)."));
    return m;
}

void compare(const MhaParams& p, const Matrix& query, const Matrix& key, const Matrix& value) {
    expect({"mha_forward(p, query, key, value)",
            {{"query", query}, {"key", key}, {"value", value}},
            [&] { return mistakes(p, query, key, value); },
            "compare step by step with ./workbook run 11: Q, K, V, the heads, concat, output. "
            "Which step is the first to differ?"},
           ex::mha_forward(p, query, key, value), attn::mha_forward(p, query, key, value).output);
}

std::string fixture_dir(const std::string& name) {
    if (name == "five_token_module") return WORKBOOK_FIVE_TOKEN_MODULE;  // chapter 11's example
    return std::string(WORKBOOK_FIXTURES_DIR) + "/multihead_attention/" + name;
}

// Sample 0 of a (B, n, E) stack, or the matrix itself.
Matrix first(const xt::xarray<double>& a) {
    if (a.dimension() == 2) return a;
    return xt::view(a, 0, xt::all(), xt::all());
}

// A PyTorch case from tests/fixtures/part2: sample 0 against PyTorch's own output.
void pytorch_case(const std::string& name, std::size_t H) {
    const attn::MhaCase c = attn::load_mha_case(fixture_dir(name), H);
    const Matrix q = first(c.query), k = first(c.key), v = first(c.value);
    const Matrix theirs = first(attn::load_npy(fixture_dir(name) + "/output64.npy").data);
    reference_agrees("output", attn::mha_forward(c.params, q, k, v).output, theirs, 1e-9);
    compare(c.params, q, k, v);
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(11, "11_multihead_attention", "mha_forward(p, query, ...)");

    attn::Random rng7(7);
    const MhaParams small = attn::random_mha_params(4, 2, rng7);
    const Matrix X = attn::toy_tokens();
    e.check("chapters 07-10's example: the toy example's 3 tokens, E = 4, H = 2 (self-attention)",
            [&] { compare(small, X, X, X); });

    e.check("the 5-token module, nn.MultiheadAttention(64, 8) on 5 tokens: PyTorch's own output",
            [] { pytorch_case("five_token_module", 8); });

    e.check("PyTorch's cross-attention: query (3, 8), key and value (5, 8), H = 4",
            [] { pytorch_case("cross", 4); });

    e.check("PyTorch's module without biases (bias=False): E = 8, H = 2",
            [] { pytorch_case("no_bias", 2); });

    attn::Random rng(1111);
    const MhaParams p = attn::random_mha_params(6, 3, rng);
    const Matrix q = rng.normal_matrix(2, 6), k = rng.normal_matrix(5, 6),
                 v = rng.normal_matrix(5, 6);
    e.check("query (2, 6), key (5, 6) and value (5, 6) all different, H = 3 (random from seed "
            "1111)",
            [&] { compare(p, q, k, v); });

    const MhaParams one = attn::random_mha_params(5, 1, rng);
    const Matrix x1 = rng.normal_matrix(4, 5);
    e.check("H = 1: one head as wide as the model, E = 5", [&] { compare(one, x1, x1, x1); });

    return e.run(argc, argv);
}
