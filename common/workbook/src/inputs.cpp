// What the chapters read: the built-in examples, or a user's files with `--load` (see inputs.hpp).
#include "workbook/inputs.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <limits>

#include <xtensor/xview.hpp>

#include "attention/random.hpp"
#include "workbook/chapter.hpp"
#include "workbook/npy.hpp"
#include "workbook/validation.hpp"

namespace attn {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string num(std::size_t n) {
    return std::to_string(n);
}
std::string dims(std::size_t a, std::size_t b) {
    return "(" + num(a) + ", " + num(b) + ")";
}

// An optional parameter vector DIR/file of n entries; empty when the file is absent.
Vector load_bias(const std::string& path, std::size_t n, const std::string& what) {
    if (!file_present(path)) return Vector{};
    const NpyArray b = load_npy(path);
    require_float(path, b);
    if (b.data.dimension() != 1 || b.data.shape(0) != n) {
        throw InputError(path + ": expected " + what + " = (" + num(n) + ",), got " +
                         shape_str(b.data.shape()));
    }
    check_finite(path, b.data);
    return b.data;
}

}  // namespace

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
    check_params(p);
    return p;
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
        if (x == kInf)
            throw InputError("a float mask may hold −inf but not +inf (it makes the softmax NaN)");
    }
    return mask.data;
}

xt::xarray<double> additive_key_padding_mask(const NpyArray& key_padding_mask,
                                             const NpyArray* attn_mask) {
    const NpyArray& m = key_padding_mask;
    const bool bool_mask =
            m.is_bool() || m.dtype == "uint8";  // uint8 reads as bool, as in attn_mask
    if (!bool_mask && m.dtype.rfind("float", 0) != 0) {
        throw InputError("a mask of dtype " + m.dtype + " is not supported: use bool " +
                         "(True = not allowed) or float (added to the scores)");
    }
    const bool bool_attn_mask =
            attn_mask != nullptr && (attn_mask->is_bool() || attn_mask->dtype == "uint8");
    if (!bool_mask && bool_attn_mask) {  // 1.13: attn_mask.logical_or(key_padding_mask)
        return xt::where(xt::not_equal(m.data, 0.0), -kInf, 0.0);
    }
    return additive_mask(m);
}

Matrix toy_tokens() {
    return Matrix{{1., 0., 1., 0.}, {0., 2., 0., 2.}, {1., 1., 1., 1.}};
}

std::vector<std::string> token_labels(std::size_t n, const std::string& prefix) {
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < n; ++i) labels.push_back(prefix + std::to_string(i));
    return labels;
}

QKV load_qkv(const Chapter& chapter) {
    if (!chapter.loading()) {
        const Matrix tokens = toy_tokens();
        return {tokens, tokens, tokens};
    }
    QKV in;
    in.Q = chapter.load_matrix("query.npy", "(L, d_k)");
    const bool has_key = chapter.has_file("key.npy");
    const bool has_value = chapter.has_file("value.npy");
    in.K = has_key ? chapter.load_matrix("key.npy", "(S, d_k)") : in.Q;
    in.V = has_value ? chapter.load_matrix("value.npy", "(S, d_v)") : in.Q;
    // A defaulted key or value fits by construction; only a loaded one can disagree.
    if (in.K.shape(1) != in.Q.shape(1)) {
        throw InputError(chapter.load_path("key.npy") + ": expected (S, d_k) with d_k = " +
                         std::to_string(in.Q.shape(1)) + " as in query.npy " +
                         shape_str(in.Q.shape()) + ", got " + shape_str(in.K.shape()));
    }
    if (in.V.shape(0) != in.K.shape(0) && !has_key) {
        throw InputError(chapter.load_path("key.npy") +
                         ": missing, so the keys default to the "
                         "queries " +
                         shape_str(in.Q.shape()) + " and S = " + std::to_string(in.K.shape(0)) +
                         ", but value.npy " + shape_str(in.V.shape()) + " has " +
                         std::to_string(in.V.shape(0)) + " rows; give key.npy (S, d_k)");
    }
    if (in.V.shape(0) != in.K.shape(0) && !has_value) {
        throw InputError(chapter.load_path("value.npy") +
                         ": missing, and the default (the "
                         "queries, " +
                         shape_str(in.Q.shape()) + ") does not fit the " +
                         std::to_string(in.K.shape(0)) +
                         " keys of key.npy; give value.npy (S, d_v)");
    }
    if (in.V.shape(0) != in.K.shape(0)) {
        throw InputError(chapter.load_path("value.npy") + ": expected (S, d_v) with S = " +
                         std::to_string(in.K.shape(0)) + " as in the keys " +
                         shape_str(in.K.shape()) + ", got " + shape_str(in.V.shape()));
    }
    check_scores_fit(in.Q, in.K, in.V, in.Q.shape(1));
    return in;
}

const Option kHeadsOption{"--heads", "H", "number of heads (default: DIR/num_heads.txt)"};

std::size_t heads_option(const Chapter& chapter, std::size_t fallback) {
    if (chapter.option("--heads")) return chapter.option_count("--heads", fallback);
    if (chapter.has_file("num_heads.txt")) {
        const std::string file = chapter.load_path("num_heads.txt");
        std::ifstream in(file);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        if (!in && !in.eof()) throw InputError(file + ": cannot be read");
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
            text.pop_back();
        std::size_t start = 0;
        while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start])))
            ++start;
        text = text.substr(start);
        const bool digits =
                !text.empty() && text.size() <= 9 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        const std::size_t H = digits ? std::stoul(text) : 0;
        if (H > 0) return H;
        throw InputError(file + ": expected a positive whole number, got '" + text.substr(0, 40) +
                         "'");
    }
    if (fallback == 0) {
        throw InputError(
                "--heads H is needed with --load (a state_dict does not record num_heads)");
    }
    return fallback;
}

ChapterInfo mha_chapter_info(const std::string& slug) {
    return {slug,
            "query.npy (L, E) [key.npy, value.npy (S, E)], in_proj_weight.npy (3E, E), "
            "in_proj_bias.npy (3E,), out_proj.weight.npy (E, E), out_proj.bias.npy (E,)",
            {kHeadsOption}};
}

MhaExample load_mha_example(const Chapter& chapter) {
    if (!chapter.loading()) {
        Random rng(7);
        const Matrix tokens = toy_tokens();
        return {random_mha_params(4, 2, rng), tokens, tokens, tokens};
    }
    const std::size_t H = heads_option(chapter, 0);
    MhaExample ex{load_mha_params(chapter.load_path(""), H), {}, {}, {}};
    const QKV in = load_qkv(chapter);
    ex.query = in.Q;
    ex.key = in.K;
    ex.value = in.V;
    return ex;
}

namespace {

// DIR/file as a float (L, E) or (B, L, E) array, returned as (B, L, E).
Tensor3 load_sequence(const std::string& path, const std::string& what, bool& batched) {
    const NpyArray a = load_npy(path);
    require_float(path, a);
    check_finite(path, a.data);
    if (a.data.dimension() == 2) {
        batched = false;
        Tensor3 t = xt::empty<double>({std::size_t{1}, a.data.shape(0), a.data.shape(1)});
        std::copy(a.data.begin(), a.data.end(), t.begin());
        return t;
    }
    if (a.data.dimension() == 3) {
        batched = true;
        return a.data;
    }
    throw InputError(path + ": expected " + what + ", got shape " + shape_str(a.data.shape()));
}

std::optional<NpyArray> load_optional(const std::string& path) {
    if (!file_present(path)) return std::nullopt;
    return load_npy(path);
}

// A mask file in the additive form, or nothing when the file is absent. The error of a
// mask that cannot be used names the file.
template <class Convert>
std::optional<xt::xarray<double>> additive(const std::string& path,
                                           const std::optional<NpyArray>& m, Convert convert) {
    if (!m) return std::nullopt;
    try {
        return convert(*m);
    } catch (const InputError& e) {
        throw InputError(path + ": " + e.what());
    }
}

}  // namespace

MhaCase load_mha_case(const std::string& dir, std::size_t H) {
    const auto path = [&](const std::string& f) {
        return (std::filesystem::path(dir) / f).string();
    };
    MhaCase c;
    c.params = load_mha_params(dir, H);
    c.query = load_sequence(path("query.npy"), "(L, E) or (B, L, E)", c.batched);
    // key and value default to query, as the --load contract says (README, "Your own numbers").
    const auto load_like_query = [&](const std::string& name) {
        if (!file_present(path(name))) return c.query;
        bool batched = false;
        Tensor3 t = load_sequence(path(name), c.batched ? "(B, S, E)" : "(S, E)", batched);
        if (batched != c.batched) {
            throw InputError(path(name) + ": expected " + (c.batched ? "(B, S, E)" : "(S, E)") +
                             " like query.npy " + (c.batched ? "(B, L, E)" : "(L, E)") +
                             ", got shape " + shape_str(t.shape()));
        }
        return t;
    };
    c.key = load_like_query("key.npy");
    c.value = load_like_query("value.npy");
    // Every input's width must be the module's E.
    const std::size_t E = c.params.E;
    for (const auto& [name, t] : {std::pair<const char*, const Tensor3*>{"query.npy", &c.query},
                                  {"key.npy", &c.key},
                                  {"value.npy", &c.value}}) {
        if (t->shape(2) != E) {
            const std::size_t rows = t->shape(1), width = t->shape(2);
            const std::string got = c.batched ? shape_str(t->shape())
                                              : shape_str(std::vector<std::size_t>{rows, width});
            throw InputError(path(name) + ": expected width E = " + std::to_string(E) +
                             " (from in_proj_weight.npy), got shape " + got);
        }
    }
    // Masks as PyTorch 1.13 reads them (see additive_key_padding_mask).
    const auto attn = load_optional(path("attn_mask.npy"));
    const auto padding = load_optional(path("key_padding_mask.npy"));
    c.attn_mask = additive(path("attn_mask.npy"), attn,
                           [](const NpyArray& m) { return additive_mask(m); });
    c.key_padding_mask = additive(path("key_padding_mask.npy"), padding, [&](const NpyArray& m) {
        return additive_key_padding_mask(m, attn ? &*attn : nullptr);
    });
    if (c.key_padding_mask && !c.batched && c.key_padding_mask->dimension() == 1) {
        c.key_padding_mask->reshape({1, c.key_padding_mask->shape(0)});  // (S,) → (1, S)
    }
    // Every mask fits the batch before any chapter uses it, and the error names its file.
    const std::size_t B = c.query.shape(0), L = c.query.shape(1), S = c.key.shape(1);
    using Mask = std::optional<xt::xarray<double>>;
    const auto check = [&](const std::string& file, const Mask& attn_part,
                           const Mask& padding_part) {
        try {
            check_masks(B, L, S, H, attn_part, padding_part);
        } catch (const InputError& e) {
            throw InputError(path(file) + ": " + e.what());
        }
    };
    check("attn_mask.npy", c.attn_mask, std::nullopt);
    check("key_padding_mask.npy", std::nullopt, c.key_padding_mask);
    check_mha_fits(c.params, c.query, c.key, c.value);
    return c;
}

std::string torch_reference_file(const std::string& dir) {
    for (const char* name : {"reference_output.npy", "output.npy"}) {
        if (std::filesystem::exists(std::filesystem::path(dir) / name)) return name;
    }
    return "";
}

//! [same_numbers]
bool same_numbers(const xt::xarray<double>& a, const xt::xarray<double>& b, double atol) {
    if (a.shape() != b.shape()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a.flat(i), y = b.flat(i);
        if (std::isnan(x) || std::isnan(y)) {
            if (std::isnan(x) != std::isnan(y)) return false;
        } else if (!(std::abs(x - y) <= atol)) {
            return false;
        }
    }
    return true;
}
//! [same_numbers]

}  // namespace attn
