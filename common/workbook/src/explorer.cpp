// The attention explorer (see explorer.hpp): 1) read a dump's maps, 2) check them, 3) write
// them as JSON into the page template (common/workbook/explorer/, embedded at build time).
#include "workbook/explorer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include <xtensor/xview.hpp>

#include "attention/mha.hpp"
#include "workbook/errors.hpp"
#include "workbook/heatmap.hpp"
#include "workbook/inputs.hpp"
#include "workbook/npy.hpp"

// The page's three source files, as the build embedded them (cmake/embed_text.cmake).
namespace attn::explorer::assets {
extern const unsigned char explorer_html[];
extern const unsigned char explorer_css[];
extern const unsigned char explorer_js[];
}  // namespace attn::explorer::assets

namespace attn::explorer {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw InputError(path + ": " + what);
}

std::string num(std::size_t n) {
    return std::to_string(n);
}

bool exists(const std::string& path) {
    return file_present(path);
}

// ---- 1) reading ----------------------------------------------------------------------------

// A weights file as (H, L, S): a 2-D (L, S) file is one head.
Tensor3 as_heads(const std::string& path, const xt::xarray<double>& a) {
    if (a.dimension() == 2) {
        Tensor3 t = xt::empty<double>({std::size_t{1}, a.shape(0), a.shape(1)});
        std::copy(a.begin(), a.end(), t.begin());
        return t;
    }
    if (a.dimension() == 3) return a;
    fail(path, "attention weights must be (L, S) or (H, L, S), got " + shape_str(a.shape()));
}

// The lines of a token file, one label per line; exactly `n` of them (`what`: "weights.npy has
// L = 5 queries").
std::vector<std::string> read_tokens(const std::string& path, std::size_t n,
                                     const std::string& what) {
    std::ifstream in(path);
    if (!in) fail(path, "cannot be read");
    std::vector<std::string> tokens;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        tokens.push_back(line);
    }
    if (tokens.size() != n)
        fail(path, num(tokens.size()) + " lines, but " + what + " (one token per line)");
    return tokens;
}

// "0", "1", … when a dump has no token file.
std::vector<std::string> numbered(std::size_t n) {
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < n; ++i) labels.push_back(num(i));
    return labels;
}

// The blocked cells (H, L, S) of a mask file for sample b of B (b = 0, B = 1 without a batch):
// PyTorch's meaning, bool True = blocked, a float mask is added to the scores (−∞ blocks).
// (L, S) applies to every head; (H, L, S) per head; PyTorch's (B·H, L, S) per sample and head.
// For a map of head averages (`mean`, H = 1), a cell is blocked when every head blocks it.
Tensor3 blocked_cells(const std::string& path, std::size_t H, std::size_t L, std::size_t S,
                      std::size_t b, std::size_t B, bool mean) {
    const NpyArray mask = load_npy(path);
    const xt::xarray<double>& m = mask.data;
    const bool per_head = m.dimension() == 3;
    if (mean && per_head && m.shape(0) % B == 0 && m.shape(1) == L && m.shape(2) == S) {
        const std::size_t heads = m.shape(0) / B;
        Tensor3 blocked = xt::ones<double>({std::size_t{1}, L, S});
        for (std::size_t h = 0; h < heads; ++h)
            for (std::size_t i = 0; i < L; ++i)
                for (std::size_t j = 0; j < S; ++j) {
                    const double x = m(b * heads + h, i, j);
                    if (!(mask.is_bool() ? (x != 0) : (x == -INFINITY))) blocked(0, i, j) = 0;
                }
        return blocked;
    }
    if (!(m.dimension() == 2 && m.shape(0) == L && m.shape(1) == S) &&
        !(per_head && (m.shape(0) == H || m.shape(0) == B * H) && m.shape(1) == L &&
          m.shape(2) == S))
        fail(path, "a mask must be (L, S) = (" + num(L) + ", " + num(S) + "), (H, L, S) = (" +
                           num(H) + ", " + num(L) + ", " + num(S) + ") or (B·H, L, S) = (" +
                           num(B * H) + ", " + num(L) + ", " + num(S) + "), got " +
                           shape_str(m.shape()));
    if (!mask.is_bool() && std::any_of(m.begin(), m.end(), [](double x) { return std::isnan(x); }))
        fail(path, "a float mask holds NaN (it is added to the scores: 0 allowed, -inf blocked)");
    const std::size_t first = per_head && m.shape(0) == B * H ? b * H : 0;  // sample b's first head
    Tensor3 blocked = xt::zeros<double>({H, L, S});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t j = 0; j < S; ++j) {
                const double x = per_head ? m(first + h, i, j) : m(i, j);
                blocked(h, i, j) = mask.is_bool() ? (x != 0) : (x == -INFINITY);
            }
    return blocked;
}

// Row `b` of a key padding mask (B, S) or (S,): 1 where key j is padding. Weights without a
// batch (`batched` false) take a mask of one row.
std::vector<bool> padding_row(const std::string& path, std::size_t b, std::size_t S, bool batched) {
    const NpyArray mask = load_npy(path);
    const xt::xarray<double>& m = mask.data;
    const std::size_t B = m.dimension() == 2 ? m.shape(0) : 1;
    if (m.dimension() < 1 || m.dimension() > 2 || m.shape(m.dimension() - 1) != S || b >= B ||
        (!batched && B != 1))
        fail(path, batched ? "a key padding mask must be (B, S) with S = " + num(S) +
                                     " and a row for sample " + num(b) + ", got " +
                                     shape_str(m.shape())
                           : "the weights are one sequence's, so the key padding mask must be (1, "
                             "S) or (S,) with S = " +
                                     num(S) + ", got " + shape_str(m.shape()));
    std::vector<bool> pad(S);
    for (std::size_t j = 0; j < S; ++j) {
        const double x = m.dimension() == 2 ? m(b, j) : m(j);
        pad[j] = mask.is_bool() ? (x != 0) : (x == -INFINITY);
    }
    return pad;
}

// Sample b's rows (n, E) of a query or key file: the file itself when it is (n, E), row b of
// a batch (B, n, E); nothing when the file does not fit (then `why` says so).
std::optional<Matrix> sample_rows(const std::string& path, int sample, std::size_t n,
                                  std::string& why) {
    const NpyArray a = load_npy(path);
    require_float(path, a);
    check_finite(path, a.data);
    const std::size_t b = sample < 0 ? 0 : sample;
    const std::string name = fs::path(path).filename().string();
    if (a.data.dimension() == 2 && b == 0 && a.data.shape(0) == n) return Matrix(a.data);
    if (a.data.dimension() == 3 && b < a.data.shape(0) && a.data.shape(1) == n)
        return Matrix(xt::view(a.data, b, xt::all(), xt::all()));
    why = name + " " + shape_str(a.data.shape()) + " does not hold this map's " + num(n) + " rows" +
          (sample >= 0 ? " for sample " + num(b) : "");
    return std::nullopt;
}

// The projected queries and keys per head, for "why this score": <prefix>Q_heads.npy and
// <prefix>K_heads.npy when the dump has them (<prefix>weights.npy's: chapter 11's Q_heads.npy,
// chapter 14's mha_Q_heads.npy), else computed from query.npy (and key.npy, default query),
// (L, E) or a batch (B, L, E), with the module's in_proj_weight.npy and in_proj_bias.npy (a
// Part VI layer, or a module exported from PyTorch).
void attach_qk(AttentionMap& m, const std::string& dir, std::string prefix, int sample) {
    const std::size_t H = m.weights.shape(0), L = m.weights.shape(1), S = m.weights.shape(2);
    // a batch's sample b: chapter 11 writes sample 0's as sample0_Q_heads.npy
    if (sample >= 0) prefix = "sample" + num(sample) + "_" + prefix;
    const std::string qh = dir + "/" + prefix + "Q_heads.npy",
                      kh = dir + "/" + prefix + "K_heads.npy";
    const std::string query = dir + "/query.npy", key = dir + "/key.npy",
                      w = dir + "/in_proj_weight.npy";
    if (exists(qh) && exists(kh)) {
        const NpyArray Q = load_npy(qh), K = load_npy(kh);
        require_float(qh, Q);
        require_float(kh, K);
        const bool fits = Q.data.dimension() == 3 && K.data.dimension() == 3 &&
                          Q.data.shape(0) == H && K.data.shape(0) == H && Q.data.shape(1) == L &&
                          K.data.shape(1) == S && Q.data.shape(2) == K.data.shape(2);
        if (fits) {
            m.Q_heads = Tensor3(Q.data);
            m.K_heads = Tensor3(K.data);
            m.qk_source = prefix + "Q_heads.npy and " + prefix + "K_heads.npy";
        } else {
            m.qk_missing = prefix + "Q_heads.npy " + shape_str(Q.data.shape()) + " and " + prefix +
                           "K_heads.npy " + shape_str(K.data.shape()) +
                           " do not belong to this map, whose (H, L, S) is (" + num(H) + ", " +
                           num(L) + ", " + num(S) + ")";
        }
        return;
    }
    if (exists(query) && exists(w)) {
        const MhaParams p = load_mha_params(dir, H);
        const std::optional<Matrix> q = sample_rows(query, sample, L, m.qk_missing);
        const std::optional<Matrix> k =
                q ? sample_rows(exists(key) ? key : query, sample, S, m.qk_missing) : std::nullopt;
        if (!q || !k) return;
        if (q->shape(1) != p.E || k->shape(1) != p.E) {
            m.qk_missing = "query.npy's width is not in_proj_weight.npy's E = " + num(p.E);
            return;
        }
        m.Q_heads = split_heads(project(*q, p.W_q(), p.b_q()), H);  // (H, L, d_head)
        m.K_heads = split_heads(project(*k, p.W_k(), p.b_k()), H);  // (H, S, d_head)
        m.qk_source = std::string("query.npy") + (exists(key) ? ", key.npy" : "") +
                      " and in_proj_weight.npy" +
                      (exists(dir + "/in_proj_bias.npy") ? " + in_proj_bias.npy" : "");
        return;
    }
    m.qk_missing = "the dump has neither " + prefix + "Q_heads.npy and " + prefix +
                   "K_heads.npy nor query.npy with in_proj_weight.npy (chapter 11's --dump writes "
                   "Q_heads.npy and K_heads.npy for one sequence, and for a batch sample 0's only)";
}

// ---- 2) checking ---------------------------------------------------------------------------

// One weight at (head h, query i, key j): in [0, 1], and 0 where a mask blocks its key.
void check_weight(const std::string& path, double x, bool blocked, std::size_t h, std::size_t i,
                  std::size_t j) {
    std::ostringstream s;
    s << "weight " << x << " at (head " << h << ", query " << i << ", key " << j << ")";
    if (!std::isfinite(x) || x < -1e-9 || x > 1 + 1e-6)
        fail(path, s.str() + " is not between 0 and 1: these are not softmax weights");
    if (blocked && x > 1e-12)
        fail(path, s.str() +
                           " is not 0, yet the mask blocks that key: the mask does not belong "
                           "to these weights");
}

// Every row of weights (H, L, S) is a softmax: entries in [0, 1] summing to 1 within 1e-4
// (float32 rounding). A fully masked row is allowed: all NaN (softmax's 0/0, as PyTorch
// gives), or all 0 where the mask blocks every key of it.
void check_rows(const std::string& path, const Tensor3& w, const Tensor3& blocked) {
    for (std::size_t h = 0; h < w.shape(0); ++h)
        for (std::size_t i = 0; i < w.shape(1); ++i) {
            std::size_t nans = 0, blocked_keys = 0;
            double sum = 0;
            for (std::size_t j = 0; j < w.shape(2); ++j) {
                const double x = w(h, i, j);
                blocked_keys += blocked(h, i, j) != 0;
                if (std::isnan(x)) {
                    ++nans;
                    continue;
                }
                check_weight(path, x, blocked(h, i, j) != 0, h, i, j);
                sum += x;
            }
            const std::size_t S = w.shape(2);
            if (nans == S) continue;
            if (sum == 0 && blocked_keys == S) continue;
            std::ostringstream where;
            where << "row (head " << h << ", query " << i << ")";
            if (nans > 0)
                fail(path, where.str() + " has NaN in " + num(nans) + " of its " + num(S) +
                                   " keys: only a fully masked row may be NaN, and then all of it");
            if (std::abs(sum - 1) > 1e-4) {
                std::ostringstream s;
                s.precision(6);
                s << where.str() << " sums to " << sum << ", not 1: these are not softmax weights"
                  << (sum == 0 ? " (a row of zeros is allowed only where a mask blocks every key)"
                               : "");
                fail(path, s.str());
            }
        }
}

// The map in `file` (any dump): weights, tokens, mask, Q and K per head, checked.
struct MapSource {
    std::string dir;         // the folder holding the weights (and the layer's other files)
    std::string file;        // the weights file's name in it
    std::string name;        // the map's name on the page
    std::string tokens_dir;  // where tokens.txt is looked for after `dir`
    int sample = -1;         // for a batched file: which sample, of `batch`
    bool mean = false;       // (B, L, S): a batch of head averages, not (H, L, S)
    std::size_t batch = 1;
};

// The prefix of a map's Q_heads.npy and K_heads.npy: "mha_" for mha_weights.npy, "" for
// weights.npy and the weights_head_<h>.npy series.
std::string qk_prefix(const std::string& file) {
    const std::size_t at = file.rfind("weights.npy");
    return at != std::string::npos && at + 11 == file.size() ? file.substr(0, at) : "";
}

// The token labels of map m (H, L, S): the map's folder first, then the dump's; numbers
// when there is no token file.
void read_labels(AttentionMap& m, const MapSource& src) {
    const std::size_t L = m.weights.shape(1), S = m.weights.shape(2);
    std::string tokens = src.dir + "/tokens.txt", keys = src.dir + "/key_tokens.txt";
    if (!exists(tokens) && !src.tokens_dir.empty()) tokens = src.tokens_dir + "/tokens.txt";
    if (!exists(keys) && !src.tokens_dir.empty()) keys = src.tokens_dir + "/key_tokens.txt";
    m.query_tokens = exists(tokens)
                             ? read_tokens(tokens, L, src.file + " has L = " + num(L) + " queries")
                             : numbered(L);
    if (exists(keys))
        m.key_tokens = read_tokens(keys, S, src.file + " has S = " + num(S) + " keys");
    else
        m.key_tokens = exists(tokens) && S == L ? m.query_tokens : numbered(S);
}

// The blocked cells of map m: attn_mask.npy (or chapter 11's mask.npy, sample<b>_mask.npy for
// a batch's sample b), and key_padding_mask.npy's row for the sample.
void read_masks(AttentionMap& m, const MapSource& src) {
    const std::size_t H = m.weights.shape(0), L = m.weights.shape(1), S = m.weights.shape(2);
    const std::size_t b = src.sample < 0 ? 0 : src.sample;
    m.blocked = xt::zeros<double>({H, L, S});
    const std::string own = src.sample >= 0 ? "sample" + num(b) + "_mask.npy" : "mask.npy";
    for (const std::string& name : {std::string("attn_mask.npy"), own}) {
        const std::string file = src.dir + "/" + name;
        if (!exists(file)) continue;
        m.blocked = blocked_cells(file, H, L, S, b, src.batch, src.mean);
        m.has_mask = true;
        break;
    }
    const std::string padding = src.dir + "/key_padding_mask.npy";
    if (!exists(padding)) return;
    const std::vector<bool> pad = padding_row(padding, b, S, src.sample >= 0);
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t j = 0; j < S; ++j)
                if (pad[j]) m.blocked(h, i, j) = 1;
    m.has_mask = true;
}

// One map: sample `src.sample` of the weights `all` (or all of them), with its labels, masks
// and per-head Q and K, checked.
AttentionMap read_map(const MapSource& src, const xt::xarray<double>& all) {
    const std::string path = src.dir + "/" + src.file;
    AttentionMap m;
    m.name = src.name;
    m.file = src.file;
    if (src.sample < 0)
        m.weights = as_heads(path, all);
    else if (src.mean)
        m.weights =
                as_heads(path, xt::xarray<double>(xt::view(all, src.sample, xt::all(), xt::all())));
    else
        m.weights = xt::view(all, src.sample, xt::all(), xt::all(), xt::all());
    if (m.weights.size() == 0) fail(path, "empty weights " + shape_str(all.shape()));
    read_labels(m, src);
    read_masks(m, src);
    check_rows(path, m.weights, m.blocked);
    if (src.mean)
        m.qk_missing = src.file + " is an average over heads: no one query and key give it";
    else
        attach_qk(m, src.dir, qk_prefix(src.file), src.sample);
    return m;
}

// The maps of one weights file: one, or one per sample of a batch (B, H, L, S) or (B, L, S).
void add_maps(std::vector<AttentionMap>& maps, MapSource src) {
    const std::string path = src.dir + "/" + src.file;
    const NpyArray a = load_npy(path);
    require_float(path, a);
    const bool batch = a.data.dimension() == 4 || (src.mean && a.data.dimension() == 3);
    if (!batch) {
        maps.push_back(read_map(src, a.data));
        return;
    }
    const std::string base = src.name;
    for (std::size_t b = 0; b < a.data.shape(0); ++b) {
        src.sample = static_cast<int>(b);
        src.batch = a.data.shape(0);
        src.name = base + " · sample " + num(b);
        maps.push_back(read_map(src, a.data));
    }
}

// Folders named `<prefix><number>` inside `dir`, sorted by the number.
std::vector<std::pair<long, std::string>> numbered_dirs(const std::string& dir,
                                                        const std::string& prefix) {
    std::vector<std::pair<long, std::string>> found;
    std::error_code ec;
    const std::regex pattern(prefix + "([0-9]+)");
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        std::smatch match;
        if (entry.is_directory() && std::regex_match(name, match, pattern))
            found.emplace_back(std::stol(match[1].str()), name);
    }
    if (ec) fail(dir, "cannot be listed: " + ec.message());
    std::sort(found.begin(), found.end());
    return found;
}

// A Part VI folder: layer<i>/ each with its weights, tokens.txt beside them.
Frame read_layers(const std::string& dir, const std::string& frame_name) {
    Frame frame{frame_name, {}};
    for (const auto& [i, name] : numbered_dirs(dir, "layer")) {
        const std::string layer = dir + "/" + name;
        const std::string weights = layer + "/weights.npy";
        if (!exists(weights)) fail(layer, "a layer folder without weights.npy (H, L, S)");
        add_maps(frame.maps, {layer, "weights.npy", "layer " + num(i), dir});
        const std::string heads = layer + "/num_heads.txt";
        if (exists(heads)) {
            std::ifstream in(heads);
            std::size_t H = 0;
            if (!(in >> H) || H != frame.maps.back().weights.shape(0))
                fail(heads, "does not match weights.npy's " +
                                    num(frame.maps.back().weights.shape(0)) + " heads");
        }
        frame.maps.back().file = name + "/weights.npy";
    }
    return frame;
}

// A chapter's dump: every weights file in it, by the rules of the explorer's docs page.
Frame read_chapter_dump(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
    if (ec) fail(dir, "cannot be listed: " + ec.message());
    std::sort(names.begin(), names.end());
    // weights.npy first (the chapter's main map), then the others by name
    std::stable_partition(names.begin(), names.end(),
                          [](const std::string& n) { return n == "weights.npy"; });
    const bool has_weights = !names.empty() && names.front() == "weights.npy";
    const std::regex one_head("weights_head_?([0-9]+)\\.npy"), weights("(.*_)?weights(_.*)?\\.npy");
    Frame frame{"", {}};
    std::vector<std::pair<long, std::string>> heads;  // weights_head_<h>.npy, stacked into one map
    for (const std::string& name : names) {
        std::smatch match;
        if (std::regex_match(name, match, one_head)) {
            if (!has_weights) heads.emplace_back(std::stol(match[1].str()), name);
        } else if (std::regex_match(name, weights)) {
            const std::string stem = name.substr(0, name.size() - 4);
            add_maps(frame.maps, {dir, name, stem, "", -1, stem.find("mean") != std::string::npos});
        }
    }
    if (!heads.empty()) {
        std::sort(heads.begin(), heads.end());
        std::vector<Matrix> each;
        for (const auto& [h, name] : heads)
            each.push_back(load_npy_matrix(dir + "/" + name, "(L, S)"));
        for (const Matrix& w : each)
            if (w.shape() != each[0].shape())
                fail(dir + "/" + heads[0].second, "the weights_head_<h>.npy files differ in shape");
        xt::xarray<double> stack =
                xt::empty<double>({each.size(), each[0].shape(0), each[0].shape(1)});
        for (std::size_t h = 0; h < each.size(); ++h)
            xt::view(stack, h, xt::all(), xt::all()) = each[h];
        frame.maps.insert(frame.maps.begin(),
                          read_map({dir, heads[0].second, "weights_head_*", ""}, stack));
        frame.maps.front().file = "weights_head_*.npy";
    }
    return frame;
}

// ---- 3) writing ----------------------------------------------------------------------------

// A JSON string, safe inside <script>: quotes, backslashes, controls and <, >, & escaped.
std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string json_number(double x) {
    if (!std::isfinite(x)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.7g", x);
    return buf;
}

std::string json_strings(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_string(v[i]);
    return out + "]";
}

// A 3-D array as nested JSON arrays; `flag` writes 0/1 instead of numbers.
std::string json_tensor(const Tensor3& t, bool flag = false) {
    std::string out = "[";
    for (std::size_t a = 0; a < t.shape(0); ++a) {
        out += a ? ",[" : "[";
        for (std::size_t b = 0; b < t.shape(1); ++b) {
            out += b ? ",[" : "[";
            for (std::size_t c = 0; c < t.shape(2); ++c) {
                if (c) out += ',';
                out += flag ? (t(a, b, c) != 0 ? "1" : "0") : json_number(t(a, b, c));
            }
            out += ']';
        }
        out += ']';
    }
    return out + "]";
}

std::string json_map(const AttentionMap& m) {
    std::string out = "{\"name\":" + json_string(m.name) + ",\"file\":" + json_string(m.file) +
                      ",\"queries\":" + json_strings(m.query_tokens) +
                      ",\"keys\":" + json_strings(m.key_tokens) +
                      ",\"weights\":" + json_tensor(m.weights) +
                      ",\"blocked\":" + (m.has_mask ? json_tensor(m.blocked, true) : "null");
    if (m.Q_heads && m.K_heads)
        out += ",\"q\":" + json_tensor(*m.Q_heads) + ",\"k\":" + json_tensor(*m.K_heads) +
               ",\"qk_source\":" + json_string(m.qk_source);
    else
        out += ",\"q\":null,\"k\":null,\"qk_missing\":" + json_string(m.qk_missing);
    return out + "}";
}

// Replaces the one `marker` in `page` with `text`.
void fill(std::string& page, const std::string& marker, const std::string& text) {
    const std::size_t at = page.find(marker);
    if (at == std::string::npos) throw std::logic_error("explorer template lacks " + marker);
    page.replace(at, marker.size(), text);
}

// An embedded file as text.
std::string text(const unsigned char* bytes) {
    return reinterpret_cast<const char*>(bytes);
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace

Dump read_dump(const std::string& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) fail(dir, "no such folder (a folder written by --dump DIR)");
    if (!fs::is_directory(dir, ec)) fail(dir, "not a folder (a folder written by --dump DIR)");
    Dump dump;
    dump.title = fs::path(dir).lexically_normal().filename().string();
    if (dump.title.empty())
        dump.title = fs::absolute(dir).lexically_normal().parent_path().filename().string();
    // Part VI: checkpoints/step_<n>/layer<i>/ in step order, then the folder's own layer<i>/
    const std::string checkpoints = dir + "/checkpoints";
    if (fs::is_directory(checkpoints, ec))
        for (const auto& [step, name] : numbered_dirs(checkpoints, "step_")) {
            Frame f = read_layers(checkpoints + "/" + name, "step " + num(step));
            if (f.maps.empty())
                fail(checkpoints + "/" + name, "a checkpoint without layer<i>/weights.npy");
            dump.frames.push_back(std::move(f));
        }
    Frame own = read_layers(dir, dump.frames.empty() ? "" : "final");
    if (own.maps.empty()) own = read_chapter_dump(dir);
    if (!own.maps.empty()) dump.frames.push_back(std::move(own));
    if (dump.frames.empty())
        fail(dir,
             "no attention weights here (no weights.npy, *_weights.npy, weights_head_<h>.npy, "
             "layer<i>/weights.npy or checkpoints/step_<n>/): write a dump with "
             "./workbook run 11 --dump DIR");
    return dump;
}

std::string dump_json(const Dump& dump) {
    std::string out = "{\"title\":" + json_string(dump.title) + ",\"ramp\":[";
    for (int k = 0; k <= 8; ++k) out += (k ? "," : "") + json_string(weight_colour(k / 8.0));
    out += "],\"frames\":[";
    for (std::size_t f = 0; f < dump.frames.size(); ++f) {
        out += (f ? ",{" : "{") + std::string("\"name\":") + json_string(dump.frames[f].name) +
               ",\"maps\":[";
        for (std::size_t i = 0; i < dump.frames[f].maps.size(); ++i)
            out += (i ? "," : "") + json_map(dump.frames[f].maps[i]);
        out += "]}";
    }
    return out + "]}";
}

std::string explorer_page(const Dump& dump) {
    // From the template's last marker to its first: what a marker receives (the user's
    // tokens, folder name) is never searched for the markers still to fill.
    std::string page = text(assets::explorer_html);
    fill(page, "/*@JS@*/", text(assets::explorer_js));
    fill(page, "@DATA@", dump_json(dump));
    fill(page, "/*@CSS@*/", text(assets::explorer_css));
    fill(page, "@TITLE@", html_escape(dump.title));
    return page;
}

void write_atomically(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp.XXXXXX";
    const int fd = mkstemp(tmp.data());
    if (fd < 0) fail(path, std::string("cannot be written: ") + std::strerror(errno));
    std::FILE* out = fdopen(fd, "wb");
    bool ok = out != nullptr && fchmod(fd, 0644) == 0;
    if (ok) ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    if (ok) ok = std::fflush(out) == 0;
    if (out ? std::fclose(out) != 0 : close(fd) != 0) ok = false;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        fail(path, "cannot be written: " + why);
    }
}

}  // namespace attn::explorer
