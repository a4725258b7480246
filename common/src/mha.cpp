// Part II: multi-head attention with nn.MultiheadAttention's parameters (see mha.hpp).
//
// What PyTorch 1.13 does, and so what this file does (tests/fixtures/part2 checks it):
//  - Masks are additive here: bool True → −∞, float → added to the scaled scores. An
//    attn_mask and a key_padding_mask are added together. For a bool key_padding_mask that
//    is what 1.13 computes (logical_or with a bool attn_mask, masked_fill(−∞) on a float
//    one), and a float key_padding_mask on its own is added too. Two 1.13 quirks are not
//    copied by the addition: beside a bool attn_mask, 1.13 reads a float key_padding_mask
//    as bool, non-zero = padding (additive_key_padding_mask() reproduces that when reading
//    files); beside a float attn_mask, 1.13's masked_fill with a float mask silently does
//    nothing (or fails with "Mask tensor can take 0 and 1 values only"), where we add both,
//    as PyTorch 2 does.
//  - A fully masked row (a query whose every key is blocked) has scores that are all −∞:
//    its softmax is 0/0 = NaN, so that row of the weights is NaN in the heads where it is
//    blocked, and the output projection spreads the NaN over the whole output row. Other
//    rows and other samples are untouched. PyTorch 1.13 gives exactly these NaNs, with
//    need_weights=True and with need_weights=False alike, and on its fast path too. We
//    keep the NaN rather than invent numbers: a NaN row says "this query had nothing to
//    look at".
#include "attention/mha.hpp"

#include <cmath>
#include <filesystem>
#include <limits>

#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>
#include <xtensor-blas/xlinalg.hpp>

#include "attention/attention.hpp"
#include "attention/random.hpp"

namespace attn {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string num(std::size_t n) { return std::to_string(n); }

// "(a, b)" and "(a, b, c)" from numbers.
std::string dims(std::size_t a, std::size_t b) { return "(" + num(a) + ", " + num(b) + ")"; }
std::string dims(std::size_t a, std::size_t b, std::size_t c) {
    return "(" + num(a) + ", " + num(b) + ", " + num(c) + ")";
}

// Throws unless there is at least one head and it divides the width.
void check_heads(std::size_t E, std::size_t H) {
    if (H == 0) throw InputError("num_heads H = 0: there must be at least one head");
    if (E == 0) throw InputError("embed_dim E = 0: the embeddings must have at least one column");
    if (E % H != 0) {
        throw InputError("embed_dim " + num(E) + " is not divisible by num_heads " + num(H));
    }
}

// Rows [i·E, (i+1)·E) of a packed weight (3E, E): block i is (E, E).
Matrix weight_block(const Matrix& W, std::size_t i, std::size_t E) {
    return xt::view(W, xt::range(i * E, (i + 1) * E), xt::all());
}

// Entries [i·E, (i+1)·E) of a packed bias, or E zeros when there is no bias.
Vector bias_block(const Vector& b, std::size_t i, std::size_t E) {
    if (b.size() == 0) return xt::zeros<double>({E});
    return xt::view(b, xt::range(i * E, (i + 1) * E));
}

// A sequence X (n, w) or a batch X (B, n, w) must end in E: `what` is "(L, E)", ….
template <class T>
void check_width(const std::string& name, const std::string& what, const T& X, std::size_t E) {
    const std::size_t last = X.dimension() - 1;
    if (X.shape(last) != E) {
        auto want = X.shape();
        want[last] = E;
        const std::string each =  // a batch: name one sequence's shape too
            last == 2 ? "each sequence " + dims(X.shape(1), X.shape(2)) + " needs " : "";
        throw InputError(name + " " + shape_str(X.shape()) + " must be " + what + " = " +
                         shape_str(want) + ": " + each + "embed_dim E = " + num(E) + " columns");
    }
}

// The checks every forward pass makes: query (L, E), key and value (S, E).
void check_sequences(const MhaParams& p, const Matrix& query, const Matrix& key,
                     const Matrix& value) {
    p.check();
    check_width("query", "(L, E)", query, p.E);
    check_width("key", "(S, E)", key, p.E);
    check_width("value", "(S, E)", value, p.E);
    if (key.shape(0) != value.shape(0)) {
        throw InputError("key " + shape_str(key.shape()) + " and value " +
                         shape_str(value.shape()) + " must have the same length S");
    }
}

// Qh (H, L, d), Kh (H, S, d), Vh (H, S, d_v) and mask (L, S) must fit together.
void check_heads_fit(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                     const Matrix* mask) {
    if (Qh.shape(0) != Kh.shape(0) || Kh.shape(0) != Vh.shape(0) ||
        Qh.shape(2) != Kh.shape(2) || Kh.shape(1) != Vh.shape(1)) {
        throw InputError("heads do not fit: Qh " + shape_str(Qh.shape()) + ", Kh " +
                         shape_str(Kh.shape()) + " and Vh " + shape_str(Vh.shape()) +
                         " must be (H, L, d), (H, S, d) and (H, S, d_v)");
    }
    if (mask != nullptr && (mask->shape(0) != Qh.shape(1) || mask->shape(1) != Kh.shape(1))) {
        throw InputError("mask " + shape_str(mask->shape()) + " must be (L, S) = " +
                         dims(Qh.shape(1), Kh.shape(1)));
    }
}

// mask (L, S) repeated for every head: (H, L, S).
Tensor3 per_head(const Matrix& mask, std::size_t H) {
    Tensor3 masks = xt::zeros<double>({H, mask.shape(0), mask.shape(1)});
    masks += mask;  // (L, S) broadcasts over the heads
    return masks;
}

// Step 3) Qh (H, L, d), Kh (H, S, d), Vh (H, S, d_v), head_masks (H, L, S) or null;
// returns scaled scores and weights (H, L, S) and outputs (H, L, d_v).
HeadsAttention attend(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                      const Tensor3* head_masks) {
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), S = Kh.shape(1), d = Qh.shape(2);
    HeadsAttention a;
    // a) every head's scores Q_h·K_hᵀ / √d: one BLAS product per head
    a.scaled_scores = xt::empty<double>({H, L, S});
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix Q = xt::view(Qh, h), K = xt::view(Kh, h);
        xt::view(a.scaled_scores, h) = scale(scores(Q, K), d);
    }
    // b) plus the mask (0 = allowed, −∞ = blocked)
    if (head_masks != nullptr) a.scaled_scores += *head_masks;
    // c) one softmax over all H·L rows at once
    const Matrix rows = xt::reshape_view(a.scaled_scores, {H * L, S});
    a.weights = xt::reshape_view(softmax(rows), {H, L, S});
    // d) every head's weighted sum of its values
    a.output = xt::empty<double>({H, L, Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h) {
        const Matrix W = xt::view(a.weights, h), V = xt::view(Vh, h);
        xt::view(a.output, h) = weighted_sum(W, V);
    }
    return a;
}

// Steps 1)–5) on one sequence, already checked: query (L, E), key and value (S, E),
// head_masks (H, L, S) or null.
MhaForward forward(const MhaParams& p, const Matrix& query, const Matrix& key,
                   const Matrix& value, const Tensor3* head_masks) {
    MhaForward f;
    // 1) project
    f.Q = project(query, p.W_q(), p.b_q());
    f.K = project(key, p.W_k(), p.b_k());
    f.V = project(value, p.W_v(), p.b_v());
    // 2) split into heads
    f.Qh = split_heads(f.Q, p.H);
    f.Kh = split_heads(f.K, p.H);
    f.Vh = split_heads(f.V, p.H);
    // 3) attention in every head
    f.heads = attend(f.Qh, f.Kh, f.Vh, head_masks);
    // 4) merge the heads
    f.concat = merge_heads(f.heads.output);
    // 5) output projection
    f.output = project(f.concat, p.out_proj_weight, p.b_o());
    f.weights_mean = xt::mean(f.heads.weights, {0});  // PyTorch: sum over heads / H
    return f;
}

// query (B, L, E), key and value (B, S, E), attn_mask (L, S) or (B·H, L, S) and
// key_padding_mask (B, S) must fit together.
void check_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key,
                 const Tensor3& value, const std::optional<xt::xarray<double>>& attn_mask,
                 const std::optional<xt::xarray<double>>& key_padding_mask) {
    p.check();
    const std::size_t B = query.shape(0), L = query.shape(1), S = key.shape(1), H = p.H;
    check_width("query", "(B, L, E)", query, p.E);
    check_width("key", "(B, S, E)", key, p.E);
    check_width("value", "(B, S, E)", value, p.E);
    for (const auto* t : {&key, &value}) {
        if (t->shape(0) != B) {
            throw InputError("query " + shape_str(query.shape()) + " and " +
                             (t == &key ? "key " : "value ") + shape_str(t->shape()) +
                             " must have the same batch size B");
        }
    }
    if (key.shape(1) != value.shape(1)) {
        throw InputError("key " + shape_str(key.shape()) + " and value " +
                         shape_str(value.shape()) + " must have the same length S");
    }
    check_masks(B, L, S, H, attn_mask, key_padding_mask);
}

// Sample b's additive mask for each of its H heads, (H, L, S): attn_mask (the same (L, S)
// for every head, or rows b·H + h of a 3-D one) plus row b of key_padding_mask.
Tensor3 sample_masks(const std::optional<xt::xarray<double>>& attn_mask,
                     const std::optional<xt::xarray<double>>& key_padding_mask, std::size_t b,
                     std::size_t H, std::size_t L, std::size_t S) {
    Tensor3 masks = xt::zeros<double>({H, L, S});
    if (attn_mask && attn_mask->dimension() == 2) {
        const Matrix m = *attn_mask;  // (L, S)
        masks += m;
    } else if (attn_mask) {
        const Tensor3 m = xt::view(*attn_mask, xt::range(b * H, (b + 1) * H));  // (H, L, S)
        masks += m;
    }
    if (key_padding_mask) {
        const Vector pad = xt::view(*key_padding_mask, b);  // (S,): blocks keys for every query
        masks += pad;
    }
    return masks;
}

// An optional parameter vector DIR/file of n entries; empty when the file is absent.
Vector load_bias(const std::string& path, std::size_t n, const std::string& what) {
    if (!std::filesystem::exists(path)) return Vector{};
    const NpyArray b = load_npy(path);
    if (b.dtype.rfind("float", 0) != 0) {
        throw InputError(path + ": expected float32 or float64, got " + b.dtype);
    }
    if (b.data.dimension() != 1 || b.data.shape(0) != n) {
        throw InputError(path + ": expected " + what + " = (" + num(n) + ",), got " +
                         shape_str(b.data.shape()));
    }
    check_finite(path, b.data);
    return b.data;
}

}  // namespace

Matrix MhaParams::W_q() const { return weight_block(in_proj_weight, 0, E); }
Matrix MhaParams::W_k() const { return weight_block(in_proj_weight, 1, E); }
Matrix MhaParams::W_v() const { return weight_block(in_proj_weight, 2, E); }
Vector MhaParams::b_q() const { return bias_block(in_proj_bias, 0, E); }
Vector MhaParams::b_k() const { return bias_block(in_proj_bias, 1, E); }
Vector MhaParams::b_v() const { return bias_block(in_proj_bias, 2, E); }
Vector MhaParams::b_o() const { return bias_block(out_proj_bias, 0, E); }

void MhaParams::check() const {
    check_heads(E, H);
    const auto expect = [](const std::string& name, const std::string& what, const auto& shape,
                           const std::string& want) {
        if (shape_str(shape) != want) {
            throw InputError(name + ": expected " + what + " = " + want + ", got " +
                             shape_str(shape));
        }
    };
    expect("in_proj_weight", "(3E, E)", in_proj_weight.shape(), dims(3 * E, E));
    expect("out_proj.weight", "(E, E)", out_proj_weight.shape(), dims(E, E));
    if (in_proj_bias.size() != 0) {
        expect("in_proj_bias", "(3E,)", in_proj_bias.shape(), "(" + num(3 * E) + ",)");
    }
    if (out_proj_bias.size() != 0) {
        expect("out_proj.bias", "(E,)", out_proj_bias.shape(), "(" + num(E) + ",)");
    }
}

// DIR's state_dict files → the parameters for H heads.
MhaParams load_mha_params(const std::string& dir, std::size_t H) {
    const auto path = [&](const std::string& file) {
        return (std::filesystem::path(dir) / file).string();
    };
    MhaParams p;
    p.H = H;
    // 1) in_proj_weight (3E, E) says what E is
    const std::string w_in = path("in_proj_weight.npy");
    p.in_proj_weight = load_npy_matrix(w_in, "(3E, E)");
    p.E = p.in_proj_weight.shape(1);
    const std::size_t E = p.E;
    if (p.in_proj_weight.shape(0) != 3 * E) {
        throw InputError(w_in + ": expected (3E, E) = " + dims(3 * E, E) + ", got " +
                         shape_str(p.in_proj_weight.shape()));
    }
    try {
        check_heads(E, H);
    } catch (const InputError& e) {
        throw InputError(w_in + ": " + e.what());
    }
    // 2) out_proj.weight (E, E)
    const std::string w_out = path("out_proj.weight.npy");
    p.out_proj_weight = load_npy_matrix(w_out, "(E, E)");
    if (p.out_proj_weight.shape(0) != E || p.out_proj_weight.shape(1) != E) {
        throw InputError(w_out + ": expected (E, E) = " + dims(E, E) + " (E from " +
                         "in_proj_weight.npy), got " + shape_str(p.out_proj_weight.shape()));
    }
    // 3) the biases, when there are any
    p.in_proj_bias = load_bias(path("in_proj_bias.npy"), 3 * E, "(3E,)");
    p.out_proj_bias = load_bias(path("out_proj.bias.npy"), E, "(E,)");
    p.check();
    return p;
}

// Uniform draws like PyTorch's initialisation: xavier-uniform in_proj_weight
// (±√(6 / (E + 3E))), ±1/√E out_proj.weight; biases ±0.1 (PyTorch starts them at 0;
// small nonzero ones make them visible). Drawn in this order, row by row.
MhaParams random_mha_params(std::size_t E, std::size_t H, Random& rng, bool bias) {
    check_heads(E, H);
    const auto uniform = [&](std::vector<std::size_t> shape, double bound) {
        xt::xarray<double> a = xt::empty<double>(shape);
        for (double& x : a) x = bound * (2.0 * rng.uniform() - 1.0);
        return a;
    };
    MhaParams p;
    p.E = E;
    p.H = H;
    p.in_proj_weight = uniform({3 * E, E}, std::sqrt(6.0 / (4.0 * static_cast<double>(E))));
    p.out_proj_weight = uniform({E, E}, 1.0 / std::sqrt(static_cast<double>(E)));
    if (bias) {
        p.in_proj_bias = uniform({3 * E}, 0.1);
        p.out_proj_bias = uniform({E}, 0.1);
    }
    return p;
}

// X (n, E_in), W (E_out, E_in), b (E_out,) or empty; returns X·Wᵀ + b (n, E_out).
Matrix project(const Matrix& X, const Matrix& W, const Vector& b) {
    if (X.shape(1) != W.shape(1)) {
        throw InputError("X " + shape_str(X.shape()) + " does not fit W " + shape_str(W.shape()) +
                         ": X·Wᵀ needs X to have " + num(W.shape(1)) + " columns");
    }
    if (b.size() != 0 && b.size() != W.shape(0)) {
        throw InputError("bias " + shape_str(b.shape()) + " does not fit W " +
                         shape_str(W.shape()) + ": expected (" + num(W.shape(0)) + ",)");
    }
    const Matrix W_T = xt::transpose(W);  // (E_in, E_out), contiguous for BLAS
    Matrix out = xt::linalg::dot(X, W_T);
    if (b.size() != 0) out += b;  // (E_out,) added to every row
    return out;
}

// X (L, E) → (H, L, E/H).
Tensor3 split_heads(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), E = X.shape(1);
    if (H == 0 || E % H != 0) {
        throw InputError("cannot split X " + shape_str(X.shape()) + " into " + num(H) +
                         " heads: its width E = " + num(E) + " is not a multiple of H");
    }
    const auto pieces = xt::reshape_view(X, {L, H, E / H});  // (L, H, d): each row in H pieces
    return xt::transpose(pieces, {1, 0, 2});                 // (H, L, d): heads first
}

// heads (H, L, d) → (L, H·d).
Matrix merge_heads(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Tensor3 tokens_first = xt::transpose(heads, {1, 0, 2});  // (L, H, d)
    return xt::reshape_view(tokens_first, {L, H * d});             // each row's pieces joined
}

// Qh (H, L, d), Kh (H, S, d), Vh (H, S, d_v), mask (L, S) or null.
HeadsAttention attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                            const Matrix* mask) {
    check_heads_fit(Qh, Kh, Vh, mask);
    if (mask == nullptr) return attend(Qh, Kh, Vh, nullptr);
    const Tensor3 masks = per_head(*mask, Qh.shape(0));
    return attend(Qh, Kh, Vh, &masks);
}

HeadsAttention attend_heads_loop(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh,
                                 const Matrix* mask) {
    check_heads_fit(Qh, Kh, Vh, mask);
    const std::size_t H = Qh.shape(0), L = Qh.shape(1), S = Kh.shape(1);
    HeadsAttention a;
    a.scaled_scores = xt::empty<double>({H, L, S});
    a.weights = xt::empty<double>({H, L, S});
    a.output = xt::empty<double>({H, L, Vh.shape(2)});
    for (std::size_t h = 0; h < H; ++h) {  // Part I's attention, once per head
        const Attention one =
            attention(xt::view(Qh, h), xt::view(Kh, h), xt::view(Vh, h), mask);
        xt::view(a.scaled_scores, h) = one.scaled_scores;
        xt::view(a.weights, h) = one.weights;
        xt::view(a.output, h) = one.output;
    }
    return a;
}

// bool (or uint8, which PyTorch reads as bool) → 0 / −∞; float → as it is.
xt::xarray<double> additive_mask(const NpyArray& mask) {
    if (mask.is_bool() || mask.dtype == "uint8") {
        return xt::where(xt::not_equal(mask.data, 0.0), -kInf, 0.0);
    }
    if (mask.dtype.rfind("float", 0) != 0) {
        throw InputError("a mask of dtype " + mask.dtype + " is not supported: use bool " +
                         "(True = not allowed) or float (added to the scores)");
    }
    for (const double x : mask.data) {
        if (std::isnan(x)) throw InputError("a float mask may hold −inf but not NaN");
    }
    return mask.data;
}

xt::xarray<double> additive_key_padding_mask(const NpyArray& key_padding_mask,
                                             const NpyArray* attn_mask) {
    const NpyArray& m = key_padding_mask;
    if (!m.is_bool() && m.dtype.rfind("float", 0) != 0) {
        throw InputError("a key_padding_mask of dtype " + m.dtype + " is not supported: use " +
                         "bool (True = padding) or float (added to the scores)");
    }
    const bool bool_attn_mask =
        attn_mask != nullptr && (attn_mask->is_bool() || attn_mask->dtype == "uint8");
    if (!m.is_bool() && bool_attn_mask) {  // 1.13: attn_mask.logical_or(key_padding_mask)
        return xt::where(xt::not_equal(m.data, 0.0), -kInf, 0.0);
    }
    return additive_mask(m);
}

// query (L, E), key and value (S, E), mask (L, S) or null.
MhaForward mha_forward(const MhaParams& p, const Matrix& query, const Matrix& key,
                       const Matrix& value, const Matrix* mask) {
    check_sequences(p, query, key, value);
    if (mask == nullptr) return forward(p, query, key, value, nullptr);
    if (mask->shape(0) != query.shape(0) || mask->shape(1) != key.shape(0)) {
        throw InputError("attn_mask " + shape_str(mask->shape()) + " must be (L, S) = " +
                         dims(query.shape(0), key.shape(0)));
    }
    const Tensor3 masks = per_head(*mask, p.H);
    return forward(p, query, key, value, &masks);
}

// query (B, L, E), key and value (B, S, E), attn_mask (L, S) or (B·H, L, S),
// key_padding_mask (B, S); returns output (B, L, E) and weights (B, H, L, S), (B, L, S).
MhaBatch mha_forward_batch(const MhaParams& p, const Tensor3& query, const Tensor3& key,
                           const Tensor3& value,
                           const std::optional<xt::xarray<double>>& attn_mask,
                           const std::optional<xt::xarray<double>>& key_padding_mask) {
    check_batch(p, query, key, value, attn_mask, key_padding_mask);
    const std::size_t B = query.shape(0), L = query.shape(1), S = key.shape(1), H = p.H;
    MhaBatch out;
    out.output = xt::empty<double>({B, L, p.E});
    out.weights = xt::empty<double>({B, H, L, S});
    out.weights_mean = xt::empty<double>({B, L, S});
    for (std::size_t b = 0; b < B; ++b) {
        // 1) this sample's mask in every head, (H, L, S)
        const Tensor3 masks = sample_masks(attn_mask, key_padding_mask, b, H, L, S);
        const bool masked = attn_mask || key_padding_mask;
        // 2) steps 1)–5) on this sample
        const Matrix q = xt::view(query, b), k = xt::view(key, b), v = xt::view(value, b);
        const MhaForward f = forward(p, q, k, v, masked ? &masks : nullptr);
        xt::view(out.output, b) = f.output;
        xt::view(out.weights, b) = f.heads.weights;
        xt::view(out.weights_mean, b) = f.weights_mean;
    }
    return out;
}

void check_masks(std::size_t B, std::size_t L, std::size_t S, std::size_t H,
                 const std::optional<xt::xarray<double>>& attn_mask,
                 const std::optional<xt::xarray<double>>& key_padding_mask) {
    if (attn_mask) {
        const std::string got = shape_str(attn_mask->shape());
        if (got != dims(L, S) && got != dims(B * H, L, S)) {
            throw InputError("attn_mask " + got + " must be (L, S) = " + dims(L, S) +
                             " or (B·H, L, S) = " + dims(B * H, L, S));
        }
    }
    if (key_padding_mask && shape_str(key_padding_mask->shape()) != dims(B, S)) {
        throw InputError("key_padding_mask " + shape_str(key_padding_mask->shape()) +
                         " must be (B, S) = " + dims(B, S));
    }
}

}  // namespace attn
