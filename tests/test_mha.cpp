// Multi-head attention module against PyTorch fixtures ([mha]).
//
// tests/fixtures/multihead_attention/<case>/ holds an nn.MultiheadAttention(E, H, batch_first=True)
// call from PyTorch 1.13 (tools/make_fixtures.py): its state_dict and inputs in float32,
// the results of the float32 module (output.npy, weights.npy, weights_mean.npy) and of
// its float64 copy (output64.npy, ...), and for five_token_module/self/cross every step in float64.
#include "support.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>

#include <xtensor/xnpy.hpp>

#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::MhaParams;
using attn::Tensor3;
using attn::Vector;
using wbtest::Near;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

std::string dir_of(const std::string& c) {
    return wbtest::fixture_path("multihead_attention/" + c);
}
xt::xarray<double> expected(const std::string& c, const std::string& file) {
    return wbtest::fixture("multihead_attention/" + c + "/" + file);
}
std::size_t heads_of(const std::string& c) {
    std::ifstream in(dir_of(c) + "/num_heads.txt");
    std::size_t H = 0;
    in >> H;
    REQUIRE(H > 0);
    return H;
}

// A fixture folder's call, read as chapter 11 reads it (load_mha_case: key and value
// default to query, masks turned additive as PyTorch 1.13 reads them); an unbatched call
// comes back as it was saved, (L, E).
struct Call {
    MhaParams p;
    xt::xarray<double> query, key, value;
    std::optional<xt::xarray<double>> attn_mask, key_padding_mask;
};

Call load_call(const std::string& c) {
    const attn::MhaCase m = attn::load_mha_case(dir_of(c), heads_of(c));
    const auto as_saved = [&](const Tensor3& t) -> xt::xarray<double> {
        if (m.batched) return t;
        return xt::view(t, 0);  // (1, n, E) → (n, E)
    };
    return {m.params,          as_saved(m.query), as_saved(m.key),
            as_saved(m.value), m.attn_mask,       m.key_padding_mask};
}

// Sample b of a batch, or the array itself when b is empty (an unbatched call).
xt::xarray<double> pick(const xt::xarray<double>& a, std::optional<std::size_t> b) {
    if (!b) return a;
    return xt::view(a, *b);
}

// A (3E, E) ... parameter set small enough to check by hand: E = 2, H = 1, entries 1, 2, ….
MhaParams counting_params() {
    MhaParams p;
    p.E = 2;
    p.H = 1;
    p.in_proj_weight = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}};
    p.in_proj_bias = {1, 2, 3, 4, 5, 6};
    p.out_proj_weight = {{1, 0}, {0, 1}};
    p.out_proj_bias = {7, 8};
    return p;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Against PyTorch

TEST_CASE("mha: mha matches nn.MultiheadAttention on every fixture case", "[mha]") {
    for (const std::string c : {"five_token_module", "self", "cross", "causal_bool", "causal_float",
                                "padding", "padding_float", "bool_mask_float_padding", "mask3d",
                                "one_head", "no_bias", "large", "fully_masked"}) {
        SECTION(c) {
            const Call call = load_call(c);
            xt::xarray<double> output, weights, weights_mean;
            if (call.query.dimension() == 2) {  // unbatched, as in the 5-token module
                REQUIRE_FALSE(call.attn_mask.has_value());
                const attn::MhaForward f =
                        attn::mha_forward(call.p, call.query, call.key, call.value);
                output = f.output;
                weights = f.heads.weights;
                weights_mean = f.weights_mean;
            } else {
                const attn::MhaBatch r =
                        attn::mha_forward_batch(call.p, call.query, call.key, call.value,
                                                call.attn_mask, call.key_padding_mask);
                output = r.output;
                weights = r.weights;
                weights_mean = r.weights_mean;
            }
            INFO("against PyTorch in float64 (module.double())");
            CHECK_THAT(output, Near(expected(c, "output64.npy"), 1e-9));
            CHECK_THAT(weights, Near(expected(c, "weights64.npy"), 1e-9));
            CHECK_THAT(weights_mean, Near(expected(c, "weights_mean64.npy"), 1e-9));
            INFO("against PyTorch in float32, as users run it");
            CHECK_THAT(output, Near(expected(c, "output.npy"), 1e-5));
            CHECK_THAT(weights, Near(expected(c, "weights.npy"), 1e-5));
            CHECK_THAT(weights_mean, Near(expected(c, "weights_mean.npy"), 1e-5));
        }
    }
}

TEST_CASE("mha: mha matches PyTorch step by step, naming the first differing step", "[mha]") {
    for (const std::string c : {"five_token_module", "self", "cross"}) {
        SECTION(c) {
            const Call call = load_call(c);
            const bool batched = call.query.dimension() == 3;
            const std::size_t B = batched ? call.query.shape(0) : 1;
            for (std::size_t i = 0; i < B; ++i) {
                const std::optional<std::size_t> b =
                        batched ? std::optional<std::size_t>(i) : std::nullopt;
                INFO("case " << c << ", sample " << i);
                const attn::MhaForward f = attn::mha_forward(
                        call.p, pick(call.query, b), pick(call.key, b), pick(call.value, b));
                const auto step = [&](const std::string& name, const xt::xarray<double>& got,
                                      const std::string& file) {
                    INFO("step " << name << " differs from PyTorch's " << file);
                    REQUIRE_THAT(got, Near(pick(expected(c, file), b), 1e-9));
                };
                step("1) project: Q = query·W_qᵀ + b_q", f.Q, "q.npy");
                step("1) project: K = key·W_kᵀ + b_k", f.K, "k.npy");
                step("1) project: V = value·W_vᵀ + b_v", f.V, "v.npy");
                step("2) split_heads: Qh", f.Qh, "q_heads.npy");
                step("2) split_heads: Kh", f.Kh, "k_heads.npy");
                step("2) split_heads: Vh", f.Vh, "v_heads.npy");
                step("3) attend_heads: scaled scores", f.heads.scaled_scores, "scaled_scores.npy");
                step("3) attend_heads: weights", f.heads.weights, "weights64.npy");
                step("3) attend_heads: head outputs", f.heads.output, "head_outputs.npy");
                step("4) merge_heads: concat", f.concat, "concat.npy");
                step("5) project: output = concat·W_oᵀ + b_o", f.output, "output64.npy");
            }
        }
    }
}

TEST_CASE("mha: a fully masked row is NaN, as in PyTorch 1.13, and nothing else is", "[mha]") {
    // Causal mask + sample 1's key 0 is padding: sample 1's query 0 has no key left.
    const Call call = load_call("fully_masked");
    const attn::MhaBatch r = attn::mha_forward_batch(call.p, call.query, call.key, call.value,
                                                     call.attn_mask, call.key_padding_mask);
    for (std::size_t b = 0; b < 2; ++b) {
        for (std::size_t i = 0; i < 4; ++i) {
            const bool blocked = (b == 1 && i == 0);
            INFO("sample " << b << ", query " << i);
            for (std::size_t j = 0; j < 4; ++j) {
                CHECK(std::isnan(r.weights_mean(b, i, j)) == blocked);
                for (std::size_t h = 0; h < 2; ++h)
                    CHECK(std::isnan(r.weights(b, h, i, j)) == blocked);
            }
            for (std::size_t e = 0; e < 8; ++e) CHECK(std::isnan(r.output(b, i, e)) == blocked);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Properties and hand-made examples

TEST_CASE("mha: split_heads gives head h the columns h·d .. (h+1)·d-1", "[mha]") {
    const Matrix X = {{1, 2, 3, 4}, {5, 6, 7, 8}};  // (L, E) = (2, 4)
    CHECK_THAT(attn::split_heads(X, 2), Near(Tensor3{{{1, 2}, {5, 6}}, {{3, 4}, {7, 8}}}, 0));
    CHECK_THAT(attn::split_heads(X, 4),
               Near(Tensor3{{{1}, {5}}, {{2}, {6}}, {{3}, {7}}, {{4}, {8}}}, 0));
    CHECK_THAT(attn::split_heads(X, 1), Near(Tensor3{{{1, 2, 3, 4}, {5, 6, 7, 8}}}, 0));
    CHECK_THAT(attn::merge_heads(Tensor3{{{1, 2}, {5, 6}}, {{3, 4}, {7, 8}}}), Near(X, 0));
}

TEST_CASE("mha: merge_heads undoes split_heads exactly", "[mha]") {
    attn::Random rng(21);
    for (const std::size_t H : {1, 2, 3, 6}) {
        const Matrix X = rng.normal_matrix(5, 6);
        CHECK_THAT(attn::merge_heads(attn::split_heads(X, H)), Near(X, 0));
        const Tensor3 T = attn::split_heads(rng.normal_matrix(4, 6), H);
        CHECK_THAT(attn::split_heads(attn::merge_heads(T), H), Near(T, 0));
    }
}

TEST_CASE("mha: W_q, W_k, W_v and the biases are the blocks of the packed parameters", "[mha]") {
    const MhaParams p = counting_params();
    CHECK_THAT(p.W_q(), Near(Matrix{{1, 2}, {3, 4}}, 0));
    CHECK_THAT(p.W_k(), Near(Matrix{{5, 6}, {7, 8}}, 0));
    CHECK_THAT(p.W_v(), Near(Matrix{{9, 10}, {11, 12}}, 0));
    CHECK_THAT(p.b_q(), Near(Vector{1, 2}, 0));
    CHECK_THAT(p.b_k(), Near(Vector{3, 4}, 0));
    CHECK_THAT(p.b_v(), Near(Vector{5, 6}, 0));
    CHECK_THAT(p.b_o(), Near(Vector{7, 8}, 0));
    MhaParams no_bias = p;
    no_bias.in_proj_bias = Vector{};
    no_bias.out_proj_bias = Vector{};
    CHECK_THAT(no_bias.b_k(), Near(Vector{0, 0}, 0));
    CHECK_THAT(no_bias.b_o(), Near(Vector{0, 0}, 0));
    CHECK(p.d_head() == 2);
    CHECK_NOTHROW(attn::check_params(p));
    CHECK_NOTHROW(attn::check_params(no_bias));
}

TEST_CASE("mha: project computes X·Wᵀ + b", "[mha]") {
    const Matrix X = {{1, 2}, {-1, 0}};
    const Matrix W = {{1, 0}, {0, 1}, {1, 1}};  // (E_out, E_in) = (3, 2)
    CHECK_THAT(attn::project(X, W, Vector{0.5, 0, -1}),
               Near(Matrix{{1.5, 2, 2}, {-0.5, 0, -2}}, 0));
    CHECK_THAT(attn::project(X, W, Vector{}), Near(Matrix{{1, 2, 3}, {-1, 0, -1}}, 0));
}

TEST_CASE("mha: mha on a two-token example computed by hand", "[mha]") {
    // E = 2, H = 2 (d_head = 1), identity projections: head 0 sees column 0, head 1
    // column 1, and √d_head = 1. Tokens x0 = (1, 0), x1 = (0, 1).
    MhaParams p;
    p.E = 2;
    p.H = 2;
    p.in_proj_weight = {{1, 0}, {0, 1}, {1, 0}, {0, 1}, {1, 0}, {0, 1}};
    p.out_proj_weight = {{1, 0}, {0, 1}};
    p.out_proj_bias = {1, -1};
    const Matrix X = {{1, 0}, {0, 1}};
    const attn::MhaForward f = attn::mha_forward(p, X, X, X);
    // head 0: scores [[1, 0], [0, 0]] → weights [[e, 1] / (1 + e), [½, ½]], values (1, 0)
    // head 1: scores [[0, 0], [0, 1]] → weights [[½, ½], [1, e] / (1 + e)], values (0, 1)
    const double e = std::exp(1.0), a = e / (1 + e), c = 1 / (1 + e);
    CHECK_THAT(f.heads.weights, Near(Tensor3{{{a, c}, {0.5, 0.5}}, {{0.5, 0.5}, {c, a}}}, 1e-15));
    CHECK_THAT(f.concat, Near(Matrix{{a, 0.5}, {0.5, a}}, 1e-15));
    CHECK_THAT(f.output, Near(Matrix{{a + 1, -0.5}, {1.5, a - 1}}, 1e-15));
    CHECK_THAT(f.weights_mean,
               Near(Matrix{{(a + 0.5) / 2, (c + 0.5) / 2}, {(0.5 + c) / 2, (0.5 + a) / 2}}, 1e-15));
}

TEST_CASE("mha: attend_heads (all heads at once) equals attend_heads_loop", "[mha]") {
    attn::Random rng(22);
    for (int trial = 0; trial < 4; ++trial) {
        const std::size_t H = rng.integer(1, 4), L = rng.integer(1, 5), S = rng.integer(1, 5);
        const std::size_t d = rng.integer(1, 4);
        const auto stack = [&](std::size_t rows) {
            Tensor3 t = xt::empty<double>({H, rows, d});
            for (double& x : t) x = rng.normal();
            return t;
        };
        const Tensor3 Qh = stack(L), Kh = stack(S), Vh = stack(S);
        Matrix mask = rng.normal_matrix(L, S);
        for (std::size_t i = 0; i < L; ++i) mask(i, i % S) = -kInf;  // blocked, never a whole row
        if (S == 1) mask = xt::zeros<double>({L, S});
        for (const Matrix* m : std::vector<const Matrix*>{nullptr, &mask}) {
            const attn::HeadsAttention all = attn::attend_heads(Qh, Kh, Vh, m);
            const attn::HeadsAttention loop = attn::attend_heads_loop(Qh, Kh, Vh, m);
            CHECK_THAT(all.scaled_scores, Near(loop.scaled_scores, 1e-12));
            CHECK_THAT(all.weights, Near(loop.weights, 1e-12));
            CHECK_THAT(all.output, Near(loop.output, 1e-12));
        }
    }
}

TEST_CASE("mha: an all-zero float mask allows everything and changes nothing", "[mha]") {
    attn::Random rng(23);
    const MhaParams p = attn::random_mha_params(6, 3, rng);
    const std::size_t B = 2, L = 3, S = 4;
    Tensor3 q = xt::empty<double>({B, L, std::size_t{6}}),
            kv = xt::empty<double>({B, S, std::size_t{6}});
    for (double& x : q) x = rng.normal();
    for (double& x : kv) x = rng.normal();
    const attn::MhaBatch plain = attn::mha_forward_batch(p, q, kv, kv);
    const xt::xarray<double> zeros2 = xt::zeros<double>({L, S}),
                             zeros3 = xt::zeros<double>({B * 3, L, S});
    const xt::xarray<double> no_padding = xt::zeros<double>({B, S});
    for (const auto& am : {zeros2, zeros3}) {
        const attn::MhaBatch masked = attn::mha_forward_batch(p, q, kv, kv, am, no_padding);
        CHECK_THAT(masked.output, Near(plain.output, 0));
        CHECK_THAT(masked.weights, Near(plain.weights, 0));
        CHECK_THAT(masked.weights_mean, Near(plain.weights_mean, 0));
    }
    // and the single-sequence form
    const Matrix q0 = xt::view(q, 0), kv0 = xt::view(kv, 0), zero = zeros2;
    CHECK_THAT(attn::mha_forward(p, q0, kv0, kv0, &zero).output,
               Near(attn::mha_forward(p, q0, kv0, kv0).output, 0));
    CHECK_THAT(Matrix(xt::view(plain.output, 0)),
               Near(attn::mha_forward(p, q0, kv0, kv0).output, 0));
}

TEST_CASE("mha: permuting the batch permutes the output", "[mha]") {
    attn::Random rng(24);
    const MhaParams p = attn::random_mha_params(8, 2, rng);
    const std::size_t B = 3, L = 4, E = 8;
    Tensor3 x = xt::empty<double>({B, L, E});
    for (double& v : x) v = rng.normal();
    xt::xarray<double> pad = xt::zeros<double>({B, L});
    pad(1, 3) = pad(2, 2) = pad(2, 3) = -kInf;
    const std::size_t perm[] = {2, 0, 1};  // new sample i is old sample perm[i]
    Tensor3 xp = x;
    xt::xarray<double> padp = pad;
    for (std::size_t i = 0; i < B; ++i) {
        xt::view(xp, i) = xt::view(x, perm[i]);
        xt::view(padp, i) = xt::view(pad, perm[i]);
    }
    const attn::MhaBatch r = attn::mha_forward_batch(p, x, x, x, std::nullopt, pad);
    const attn::MhaBatch rp = attn::mha_forward_batch(p, xp, xp, xp, std::nullopt, padp);
    for (std::size_t i = 0; i < B; ++i) {
        INFO("sample " << i << " is old sample " << perm[i]);
        CHECK_THAT(Matrix(xt::view(rp.output, i)),
                   Near(Matrix(xt::view(r.output, perm[i])), 1e-14));
        CHECK_THAT(Tensor3(xt::view(rp.weights, i)),
                   Near(Tensor3(xt::view(r.weights, perm[i])), 1e-14));
    }
}

TEST_CASE("mha: additive masks: bool True is −∞, float is added", "[mha]") {
    attn::NpyArray m{"bool", xt::xarray<double>{{0, 1}, {1, 0}}};
    CHECK_THAT(attn::additive_mask(m), Near(xt::xarray<double>{{0, -kInf}, {-kInf, 0}}, 0));
    attn::NpyArray f{"float32", xt::xarray<double>{{0, -1.5}, {-kInf, 2}}};
    CHECK_THAT(attn::additive_mask(f), Near(f.data, 0));
    // A float key_padding_mask is added, except beside a bool attn_mask: PyTorch 1.13 then
    // ORs them, so non-zero means padding (fixture bool_mask_float_padding checks it).
    attn::NpyArray pad{"float32", xt::xarray<double>{{0, 0.5, -1}}};
    CHECK_THAT(attn::additive_key_padding_mask(pad), Near(pad.data, 0));
    CHECK_THAT(attn::additive_key_padding_mask(pad, &f), Near(pad.data, 0));
    CHECK_THAT(attn::additive_key_padding_mask(pad, &m),
               Near(xt::xarray<double>{{0, -kInf, -kInf}}, 0));
    CHECK_THROWS_WITH(attn::additive_mask({"int64", xt::xarray<double>{1.0}}),
                      Catch::Contains("int64"));
    // uint8 is bool in both masks, as PyTorch reads it (one rule, issue 14)
    CHECK_THAT(attn::additive_key_padding_mask({"uint8", xt::xarray<double>{1.0, 0.0}}),
               Near(xt::xarray<double>{-kInf, 0}, 0));
    CHECK_THROWS_WITH(attn::additive_key_padding_mask({"int64", xt::xarray<double>{1.0}}),
                      Catch::Contains("int64"));
    CHECK_THROWS_WITH(attn::additive_mask({"float64", xt::xarray<double>{NAN}}),
                      Catch::Contains("NaN"));
}

TEST_CASE("mha: random_mha_params: reproducible, PyTorch's bounds, nonzero biases", "[mha]") {
    attn::Random a(5), b(5);
    const MhaParams p = attn::random_mha_params(8, 2, a), q = attn::random_mha_params(8, 2, b);
    CHECK_THAT(p.in_proj_weight, Near(q.in_proj_weight, 0));
    CHECK_THAT(p.out_proj_bias, Near(q.out_proj_bias, 0));
    CHECK_NOTHROW(attn::check_params(p));
    const auto largest = [](const xt::xarray<double>& a) { return double(xt::amax(xt::abs(a))()); };
    const auto smallest = [](const xt::xarray<double>& a) {
        return double(xt::amin(xt::abs(a))());
    };
    CHECK(largest(p.in_proj_weight) <= std::sqrt(6.0 / 32));  // xavier: √(6 / (E + 3E))
    CHECK(largest(p.out_proj_weight) <= 1 / std::sqrt(8.0));
    CHECK(smallest(p.in_proj_bias) > 0);
    CHECK(largest(p.in_proj_bias) <= 0.1);
    CHECK(smallest(p.out_proj_bias) > 0);
    attn::Random c(5);
    const MhaParams n = attn::random_mha_params(8, 2, c, false);
    CHECK(n.in_proj_bias.size() == 0);
    CHECK(n.out_proj_bias.size() == 0);
    CHECK_THAT(n.in_proj_weight, Near(p.in_proj_weight, 0));
}

TEST_CASE("mha: load_mha_params reads the state_dict files, float32 or float64", "[mha]") {
    const MhaParams p = attn::load_mha_params(dir_of("five_token_module"), 8);
    CHECK(p.E == 64);
    CHECK(p.H == 8);
    CHECK(p.d_head() == 8);
    CHECK_THAT(p.in_proj_weight, Near(expected("five_token_module", "in_proj_weight.npy"), 0));
    CHECK_THAT(p.out_proj_bias, Near(expected("five_token_module", "out_proj.bias.npy"), 0));
    const MhaParams n = attn::load_mha_params(dir_of("no_bias"), 2);
    CHECK(n.in_proj_bias.size() == 0);
    CHECK(n.out_proj_bias.size() == 0);
    wbtest::TempDir dir("mha_f64");
    const MhaParams c = counting_params();
    attn::dump_npy(dir / "in_proj_weight.npy", c.in_proj_weight);  // float64
    attn::dump_npy(dir / "in_proj_bias.npy", c.in_proj_bias);
    attn::dump_npy(dir / "out_proj.weight.npy", c.out_proj_weight);
    const MhaParams back = attn::load_mha_params(dir.path(), 1);
    CHECK_THAT(back.in_proj_weight, Near(c.in_proj_weight, 0));
    CHECK_THAT(back.in_proj_bias, Near(c.in_proj_bias, 0));
    CHECK(back.out_proj_bias.size() == 0);
}

// ---------------------------------------------------------------------------------------
// Errors: InputError, naming both shapes

TEST_CASE("mha: mha rejects heads that do not divide the width", "[mha]") {
    CHECK_THROWS_WITH(attn::check_heads(10, 3),
                      Catch::Contains("embed_dim 10 is not divisible by num_heads 3"));
    CHECK_THROWS_WITH(attn::check_heads(8, 0), Catch::Contains("num_heads H = 0"));
    CHECK_THROWS_WITH(attn::load_mha_params(dir_of("five_token_module"), 3),
                      Catch::Contains("in_proj_weight.npy") &&
                              Catch::Contains("embed_dim 64 is not divisible by num_heads 3"));
    CHECK_THROWS_WITH(attn::load_mha_params(dir_of("five_token_module"), 0),
                      Catch::Contains("num_heads H = 0"));
    MhaParams p = counting_params();
    p.H = 0;
    CHECK_THROWS_AS(attn::check_params(p), attn::InputError);
    CHECK_THROWS_AS(attn::check_sequences(p, Matrix{{1, 2}}, Matrix{{1, 2}}, Matrix{{1, 2}}),
                    attn::InputError);
    CHECK_THROWS_WITH(attn::check_split(Matrix{{1, 2, 3}}, 2),
                      Catch::Contains("(1, 3)") && Catch::Contains("2 heads"));
    CHECK_THROWS_AS(attn::check_split(Matrix{{1, 2, 3}}, 0), attn::InputError);
}

TEST_CASE("mha: check_params names the expected and the actual shape", "[mha]") {
    MhaParams p = counting_params();
    p.in_proj_weight = xt::zeros<double>({5, 2});
    CHECK_THROWS_WITH(attn::check_params(p), Catch::Contains("in_proj_weight") &&
                                                     Catch::Contains("(6, 2)") &&
                                                     Catch::Contains("(5, 2)"));
    p = counting_params();
    p.out_proj_weight = xt::zeros<double>({2, 3});
    CHECK_THROWS_WITH(attn::check_params(p), Catch::Contains("out_proj.weight") &&
                                                     Catch::Contains("(2, 2)") &&
                                                     Catch::Contains("(2, 3)"));
    p = counting_params();
    p.in_proj_bias = {1, 2, 3};
    CHECK_THROWS_WITH(attn::check_params(p), Catch::Contains("in_proj_bias") &&
                                                     Catch::Contains("(6,)") &&
                                                     Catch::Contains("(3,)"));
    p = counting_params();
    p.out_proj_bias = {1, 2, 3};
    CHECK_THROWS_WITH(attn::check_params(p), Catch::Contains("out_proj.bias") &&
                                                     Catch::Contains("(2,)") &&
                                                     Catch::Contains("(3,)"));
}

TEST_CASE("mha: load_mha_params rejects missing, misshapen and NaN parameter files", "[mha]") {
    wbtest::TempDir dir("mha_bad_params");
    const auto load = [&] { return attn::load_mha_params(dir.path(), 2); };
    const auto good = [&] {  // E = 4, H = 2
        wbtest::write_npy_f32(dir / "in_proj_weight.npy", xt::ones<double>({12, 4}));
        wbtest::write_npy_f32(dir / "in_proj_bias.npy", xt::ones<double>({12}));
        wbtest::write_npy_f32(dir / "out_proj.weight.npy", xt::ones<double>({4, 4}));
        wbtest::write_npy_f32(dir / "out_proj.bias.npy", xt::ones<double>({4}));
    };
    CHECK_THROWS_WITH(load(), Catch::Contains("in_proj_weight.npy: no such file"));
    good();
    CHECK_NOTHROW(load());

    std::remove((dir / "out_proj.weight.npy").c_str());
    CHECK_THROWS_WITH(load(), Catch::Contains("out_proj.weight.npy: no such file"));

    good();
    wbtest::write_npy_f32(dir / "in_proj_weight.npy", xt::ones<double>({10, 4}));
    CHECK_THROWS_WITH(
            load(), Catch::Contains("in_proj_weight.npy: expected (3E, E) = (12, 4), got (10, 4)"));
    wbtest::write_npy_f32(dir / "in_proj_weight.npy", xt::ones<double>({12}));
    CHECK_THROWS_WITH(load(), Catch::Contains("in_proj_weight.npy") && Catch::Contains("(12,)"));

    good();
    wbtest::write_npy_f32(dir / "out_proj.weight.npy", xt::ones<double>({4, 3}));
    CHECK_THROWS_WITH(load(), Catch::Contains("out_proj.weight.npy: expected (E, E) = (4, 4)") &&
                                      Catch::Contains("got (4, 3)"));

    good();
    wbtest::write_npy_f32(dir / "in_proj_bias.npy", xt::ones<double>({4}));
    CHECK_THROWS_WITH(load(),
                      Catch::Contains("in_proj_bias.npy: expected (3E,) = (12,), got (4,)"));
    good();
    wbtest::write_npy_f32(dir / "out_proj.bias.npy", xt::ones<double>({1, 4}));
    CHECK_THROWS_WITH(load(),
                      Catch::Contains("out_proj.bias.npy: expected (E,) = (4,), got (1, 4)"));

    good();
    xt::xarray<double> w = xt::ones<double>({12, 4});
    w(3, 1) = NAN;
    wbtest::write_npy_f32(dir / "in_proj_weight.npy", w);
    CHECK_THROWS_WITH(load(), Catch::Contains("in_proj_weight.npy") && Catch::Contains("NaN"));
    good();
    wbtest::write_npy_f32(dir / "out_proj.bias.npy", xt::xarray<double>{1, NAN, 1, 1});
    CHECK_THROWS_WITH(load(), Catch::Contains("out_proj.bias.npy") && Catch::Contains("NaN"));
}

TEST_CASE("mha: check_sequences rejects inputs and masks that do not fit", "[mha]") {
    attn::Random rng(2);
    const MhaParams p = attn::random_mha_params(8, 2, rng);
    const Matrix q = xt::ones<double>({3, 8}), kv = xt::ones<double>({5, 8});
    const Matrix narrow = xt::ones<double>({3, 5});
    CHECK_THROWS_WITH(attn::check_sequences(p, narrow, kv, kv),
                      Catch::Contains("query (3, 5)") && Catch::Contains("(L, E) = (3, 8)"));
    CHECK_THROWS_WITH(attn::check_sequences(p, q, narrow, kv),
                      Catch::Contains("key (3, 5)") && Catch::Contains("(S, E) = (3, 8)"));
    CHECK_THROWS_WITH(attn::check_sequences(p, q, kv, narrow),
                      Catch::Contains("value (3, 5)") && Catch::Contains("(S, E) = (3, 8)"));
    const Matrix v4 = xt::ones<double>({4, 8});
    CHECK_THROWS_WITH(attn::check_sequences(p, q, kv, v4),
                      Catch::Contains("key (5, 8)") && Catch::Contains("value (4, 8)"));
    const Matrix mask = xt::zeros<double>({4, 4});
    CHECK_THROWS_WITH(attn::check_sequences(p, q, kv, kv, &mask),
                      Catch::Contains("attn_mask (4, 4)") && Catch::Contains("(L, S) = (3, 5)"));
    CHECK_THROWS_WITH(attn::check_projection(narrow, p.W_q(), p.b_q()),
                      Catch::Contains("(3, 5)") && Catch::Contains("(8, 8)"));
    CHECK_THROWS_WITH(attn::check_projection(q, p.W_q(), Vector{1, 2}),
                      Catch::Contains("(2,)") && Catch::Contains("(8, 8)"));
    const Tensor3 Qh = attn::split_heads(q, 2), Kh = attn::split_heads(kv, 2);
    CHECK_THROWS_WITH(attn::check_heads_fit(Qh, Kh, Qh),
                      Catch::Contains("(2, 5, 4)") && Catch::Contains("(2, 3, 4)"));
    CHECK_THROWS_WITH(attn::check_heads_fit(Qh, Kh, Kh, &mask),
                      Catch::Contains("(4, 4)") && Catch::Contains("(L, S) = (3, 5)"));
}

TEST_CASE("mha: check_batch rejects batches and masks that do not fit", "[mha]") {
    attn::Random rng(3);
    const MhaParams p = attn::random_mha_params(8, 2, rng);
    const Tensor3 q = xt::ones<double>({2, 3, 8}), kv = xt::ones<double>({2, 5, 8});
    const Tensor3 kv3 = xt::ones<double>({3, 5, 8}), narrow = xt::ones<double>({2, 3, 5});
    CHECK_THROWS_WITH(
            attn::check_batch(p, narrow, kv, kv, std::nullopt, std::nullopt),
            Catch::Contains("query (2, 3, 5)") && Catch::Contains("(B, L, E) = (2, 3, 8)"));
    CHECK_THROWS_WITH(attn::check_batch(p, q, kv3, kv3, std::nullopt, std::nullopt),
                      Catch::Contains("query (2, 3, 8)") && Catch::Contains("key (3, 5, 8)") &&
                              Catch::Contains("batch size"));
    CHECK_THROWS_WITH(attn::check_batch(p, q, kv, kv3, std::nullopt, std::nullopt),
                      Catch::Contains("(2, 3, 8)") && Catch::Contains("value (3, 5, 8)"));
    const Tensor3 v4 = xt::ones<double>({2, 4, 8});
    CHECK_THROWS_WITH(attn::check_batch(p, q, kv, v4, std::nullopt, std::nullopt),
                      Catch::Contains("key (2, 5, 8)") && Catch::Contains("value (2, 4, 8)"));
    const auto mask = [](std::vector<std::size_t> shape) -> xt::xarray<double> {
        return xt::zeros<double>(shape);
    };
    CHECK_THROWS_WITH(attn::check_batch(p, q, kv, kv, mask({4, 4}), std::nullopt),
                      Catch::Contains("attn_mask (4, 4)") && Catch::Contains("(L, S) = (3, 5)") &&
                              Catch::Contains("(B·H, L, S) = (4, 3, 5)"));
    CHECK_THROWS_WITH(attn::check_batch(p, q, kv, kv, mask({2, 3, 5}), std::nullopt),
                      Catch::Contains("attn_mask (2, 3, 5)") && Catch::Contains("(4, 3, 5)"));
    CHECK_THROWS_WITH(attn::check_batch(p, q, kv, kv, mask({3, 5, 1}), std::nullopt),
                      Catch::Contains("attn_mask (3, 5, 1)"));
    CHECK_THROWS_WITH(
            attn::check_batch(p, q, kv, kv, std::nullopt, mask({2, 3})),
            Catch::Contains("key_padding_mask (2, 3)") && Catch::Contains("(B, S) = (2, 5)"));
    CHECK_THROWS_WITH(
            attn::check_batch(p, q, kv, kv, std::nullopt, mask({5})),
            Catch::Contains("key_padding_mask (5,)") && Catch::Contains("(B, S) = (2, 5)"));
    CHECK_NOTHROW(attn::check_batch(p, q, kv, kv, mask({4, 3, 5}), mask({2, 5})));
}
