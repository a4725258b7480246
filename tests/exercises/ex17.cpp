// Exercise 17's checks: kv_cache_step(p, K_cache, V_cache, x), one step of generation with
// a key/value cache, against the reference steps and the full causal computation.
#include <cmath>

#include <xtensor/xview.hpp>

#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::MhaParams;
using attn::Tensor3;
using attn::Vector;
using namespace ex::check;

namespace {

Matrix as_row(const Vector& x) {
    return xt::view(x, xt::newaxis(), xt::all());
}

Matrix appended(const Matrix& cache, const Matrix& r) {
    const std::size_t t = cache.shape(0);
    Matrix out = xt::zeros<double>({t + 1, r.shape(1)});
    xt::view(out, xt::range(0, t), xt::all()) = cache;
    xt::row(out, t) = xt::row(r, 0);
    return out;
}

// One way to compute the new token's output, the right one by default.
struct Way {
    bool sees_itself = true;        // the new key and value are appended before attending
    bool sees_cache = true;         // the cached tokens are attended to
    bool reprojects_cache = false;  // the cached keys and values are projected again
    bool scale_by_E = false;        // √E instead of √d_head
    bool out_proj = true;           // W_o and b_o at the end
};

// The output (E,) for the query of x against the keys K and values V (n, E).
Vector attend(const MhaParams& p, const Matrix& q, const Matrix& K, const Matrix& V, const Way& w) {
    Tensor3 Qh = attn::split_heads(q, p.H);
    if (w.scale_by_E)
        Qh = Qh * std::sqrt(static_cast<double>(p.d_head()) / static_cast<double>(p.E));
    const Tensor3 heads =
            attn::attend_heads(Qh, attn::split_heads(K, p.H), attn::split_heads(V, p.H)).output;
    const Matrix concat = attn::merge_heads(heads);
    if (!w.out_proj) return xt::row(concat, 0);
    return xt::row(attn::project(concat, p.out_proj_weight, p.b_o()), 0);
}

Vector output(const MhaParams& p, const Matrix& K_old, const Matrix& V_old, const Vector& x,
              Way w = {}) {
    const Matrix row = as_row(x);
    const Matrix q = attn::project(row, p.W_q(), p.b_q());
    const Matrix k = attn::project(row, p.W_k(), p.b_k()), v = attn::project(row, p.W_v(), p.b_v());
    Matrix K = w.reprojects_cache ? attn::project(K_old, p.W_k(), p.b_k()) : K_old;
    Matrix V = w.reprojects_cache ? attn::project(V_old, p.W_v(), p.b_v()) : V_old;
    if (!w.sees_cache) K = xt::zeros<double>({std::size_t{0}, p.E}), V = K;
    if (w.sees_itself) K = appended(K, k), V = appended(V, v);
    return attend(p, q, K, V, w);
}

// The known mistakes about a cache after the step: `old` (t, E) is the cache before, `right`
// what it must become; mine is the new token's own key (or value), other the other one.
std::vector<Mistake> cache_mistakes(const std::string& name, const std::string& W,
                                    const Matrix& old, const Matrix& right, const Matrix& x_row,
                                    const Matrix& mine, const Matrix& other) {
    std::vector<Mistake> m = {
            gives(old, "the cache did not grow: append the new token's " + name +
                               " as its last row "
                               "(" +
                               name + "_cache is a reference — assign the grown matrix to it)."),
            gives(appended(old, x_row),
                  "your " + name +
                          " cache holds the raw tokens x as its last row, not their projection "
                          "x·" +
                          W +
                          ": a KV cache keeps the projected keys and values, so that no earlier "
                          "token is ever projected again."),
            gives(appended(old, other), "the new token's other projection went into the " + name +
                                                " cache: keys with W_k, values with W_v."),
    };
    if (old.shape(0) > 0) {
        m.push_back(gives(mine, "you replaced the " + name +
                                        " cache by the new row: append it, so "
                                        "the cache keeps every earlier token's " +
                                        name + " too."));
        Matrix first =
                xt::zeros<double>({old.shape(0) + 1, old.shape(1)});  // the new row, then the cache
        xt::row(first, 0) = xt::row(mine, 0);
        xt::view(first, xt::range(1, old.shape(0) + 1), xt::all()) = old;
        m.push_back(gives(first,
                          "the new row went first: append it at the end, after the t rows "
                          "already cached (the output does not show it — attention does not "
                          "care about the order of the keys — but the cache's rows are the "
                          "tokens in order)."));
    }
    m.push_back(shape_differs(right,
                              "after the step the cache is (t+1, E): the t rows it had, "
                              "then the new token's."));
    return m;
}

std::vector<Mistake> output_mistakes(const MhaParams& p, const Matrix& K_old, const Matrix& V_old,
                                     const Vector& x) {
    const auto with = [&](auto change) {
        Way w;
        change(w);
        return output(p, K_old, V_old, x, w);
    };
    std::vector<Mistake> m;
    if (K_old.shape(0) > 0) {
        m.push_back(gives(with([](Way& w) { w.sees_itself = false; }),
                          "the new token did not attend to itself: append its key and value to "
                          "the caches BEFORE attending. A causal row includes the diagonal."));
        m.push_back(gives(with([](Way& w) { w.sees_cache = false; }),
                          "the new token attended only to itself: its query must meet every "
                          "cached key too (the whole K_cache after appending)."));
        m.push_back(gives(with([](Way& w) { w.reprojects_cache = true; }),
                          "the cached keys and values were projected again: the cache already "
                          "holds keys (x·W_kᵀ + b_k) and values; project only the new token."));
    }
    m.push_back(gives(with([](Way& w) { w.out_proj = false; }),
                      "your output is the merged heads: forgot the output projection? The output "
                      "is concat·W_oᵀ + b_o."));
    m.push_back(gives(with([](Way& w) { w.scale_by_E = true; }),
                      "the scores were divided by √E instead of √d_head."));
    m.push_back(
            shape_differs(output(p, K_old, V_old, x),
                          "the output of one token is (E,): return row 0 of the (1, E) result."));
    return m;
}

// One step from the caches K_old, V_old (t, E) with the new token x: the caches, then the output.
void one_step(const MhaParams& p, const Matrix& K_old, const Matrix& V_old, const Vector& x) {
    Matrix K = K_old, V = V_old;
    const Vector out = ex::kv_cache_step(p, K, V, x);
    const Matrix row = as_row(x);
    const Matrix k = attn::project(row, p.W_k(), p.b_k()), v = attn::project(row, p.W_v(), p.b_v());
    const Matrix K_right = appended(K_old, k), V_right = appended(V_old, v);
    const std::string t = std::to_string(K_old.shape(0));
    const std::string call = "kv_cache_step(p, K_cache, V_cache, x) with t = " + t;
    expect({call + ": K_cache after the step",
            {{"K_cache before", K_old}, {"x", x}},
            [&] { return cache_mistakes("K", "W_kᵀ + b_k", K_old, K_right, row, k, v); },
            "K_cache must become the old rows, then k = x·W_kᵀ + b_k."},
           K, K_right);
    expect({call + ": V_cache after the step",
            {{"V_cache before", V_old}, {"x", x}},
            [&] { return cache_mistakes("V", "W_vᵀ + b_v", V_old, V_right, row, v, k); },
            "V_cache must become the old rows, then v = x·W_vᵀ + b_v."},
           V, V_right);
    expect({call + ": the output",
            {{"x", x}},
            [&] { return output_mistakes(p, K_old, V_old, x); },
            "q = x·W_qᵀ + b_q attends, in every head, to all t+1 cached keys; then merge and "
            "W_o. Compare with chapter 17's full causal output, row t."},
           out, output(p, K_old, V_old, x));
}

// The keys and values (t, E) of the first t rows of X, as a cache holds them.
Matrix prefix(const MhaParams& p, const Matrix& X, std::size_t t, bool keys) {
    const Matrix rows = xt::view(X, xt::range(0, t), xt::all());
    return keys ? attn::project(rows, p.W_k(), p.b_k()) : attn::project(rows, p.W_v(), p.b_v());
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(17, "17_kv_cache", "kv_cache_step(...)");

    // Chapter 17's module and tokens: E = 8, H = 2, drawn from Random(17).
    attn::Random rng17(17);
    const MhaParams p = attn::random_mha_params(8, 2, rng17);
    const Matrix X = rng17.normal_matrix(6, 8);
    const Matrix causal = attn::causal_mask(6);
    const Matrix full = attn::mha_forward(p, X, X, X, &causal).output;

    e.check("chapter 17's generation: 3 tokens cached, the 4th arrives (E = 8, H = 2)", [&] {
        reference_agrees("the 4th token's output and row 3 of the full causal output",
                         output(p, prefix(p, X, 3, true), prefix(p, X, 3, false), xt::row(X, 3)),
                         Vector(xt::row(full, 3)), 1e-12);
        one_step(p, prefix(p, X, 3, true), prefix(p, X, 3, false), xt::row(X, 3));
    });

    e.check("the first token: empty caches (0, E) become (1, E)", [&] {
        const Matrix empty = xt::zeros<double>({std::size_t{0}, std::size_t{8}});
        one_step(p, empty, empty, xt::row(X, 0));
    });

    e.check("all 6 tokens one after another, from empty caches: the full causal output, row by row",
            [&] {
                Matrix K = xt::zeros<double>({std::size_t{0}, std::size_t{8}}), V = K;
                Matrix stepped = xt::zeros<double>({std::size_t{6}, std::size_t{8}});
                for (std::size_t t = 0; t < 6; ++t)
                    xt::row(stepped, t) = ex::kv_cache_step(p, K, V, xt::row(X, t));
                expect({"6 steps of kv_cache_step, the outputs stacked",
                        {{"X", X}},
                        {},
                        "each step's output must be row t of causal multi-head attention on the "
                        "whole "
                        "sequence: ./workbook run 17 prints both."},
                       stepped, full);
                expect({"6 steps of kv_cache_step: K_cache at the end",
                        {},
                        {},
                        "the cache holds every token's key."},
                       K, prefix(p, X, 6, true));
            });

    attn::Random rng(1717);
    const MhaParams p2 = attn::random_mha_params(12, 3, rng);
    const Matrix X2 = rng.normal_matrix(10, 12);
    e.check("another module, E = 12, H = 3: 9 tokens cached, the 10th arrives (random from seed "
            "1717)",
            [&] {
                one_step(p2, prefix(p2, X2, 9, true), prefix(p2, X2, 9, false), xt::row(X2, 9));
            });

    return e.run(argc, argv);
}
