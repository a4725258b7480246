// Chapter 26's files (see translation_view.hpp).
#include "workbook/translation_view.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

#include "workbook/errors.hpp"
#include "workbook/npy.hpp"

namespace attn {

namespace {

void write_lines(const std::string& path, const std::vector<std::string>& words) {
    std::ofstream f(path);
    for (const std::string& w : words) f << w << "\n";
    f.close();
    if (!f) throw InputError(path + ": cannot write");
}

}  // namespace

void dump_attention_layer(const std::string& dir, const MhaParams& p, const Matrix& query,
                          const Matrix& key, const Tensor3& weights, const Matrix* mask,
                          const std::vector<std::string>& queries,
                          const std::vector<std::string>& keys) {
    const std::string d = dir + "/layer0";
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) throw InputError(d + ": cannot create (" + ec.message() + ")");
    write_lines(dir + "/tokens.txt", queries);
    write_lines(d + "/tokens.txt", queries);
    write_lines(d + "/key_tokens.txt", keys);
    write_lines(d + "/num_heads.txt", {std::to_string(p.H)});
    dump_npy(d + "/in_proj_weight.npy", p.in_proj_weight);
    dump_npy(d + "/in_proj_bias.npy", p.in_proj_bias);
    dump_npy(d + "/out_proj.weight.npy", p.out_proj_weight);
    dump_npy(d + "/out_proj.bias.npy", p.out_proj_bias);
    dump_npy(d + "/query.npy", query);
    dump_npy(d + "/key.npy", key);
    dump_npy(d + "/value.npy", key);
    if (mask) dump_npy(d + "/attn_mask.npy", *mask);
    dump_npy(d + "/weights.npy", weights);
}

void dump_cross_layer(const std::string& dir, const Seq2Seq& m, const Seq2SeqForward& f,
                      const PairBatch& batch, std::size_t b,
                      const std::vector<std::string>& queries,
                      const std::vector<std::string>& keys) {
    Matrix mask = xt::zeros<double>({f.x[b].shape(0), f.e[b].shape(0)});
    for (std::size_t j = 0; j < mask.shape(1); ++j)
        if (batch.source(b, j) == 0)
            xt::view(mask, xt::all(), j) = -std::numeric_limits<double>::infinity();
    dump_attention_layer(dir, m.decoder.layers[0], f.x[b], f.e[b], f.weights[b], &mask, queries,
                         keys);
}

std::string patch_weights_svg(const Tensor3& image, const Matrix& weights,
                              const std::string& title) {
    const std::size_t H = image.shape(0), W = image.shape(1), g = weights.shape(0), cell = 20,
                      top = 30;
    const std::size_t patch = H / g;
    const double most = xt::amax(weights)();
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W * cell << "\" height=\""
        << H * cell + top << "\" viewBox=\"0 0 " << W * cell << " " << H * cell + top << "\">\n"
        << "<title>" << title
        << "</title>\n<text x=\"4\" y=\"20\" font-family=\"sans-serif\" font-size=\"13\">" << title
        << "</text>\n";
    for (std::size_t r = 0; r < H; ++r)
        for (std::size_t c = 0; c < W; ++c) {
            const auto level = [&](std::size_t ch) {
                return int(std::lround(255 * image(r, c, ch)));
            };
            svg << "<rect x=\"" << c * cell << "\" y=\"" << top + r * cell << "\" width=\"" << cell
                << "\" height=\"" << cell << "\" fill=\"rgb(" << level(0) << "," << level(1) << ","
                << level(2) << ")\"/>\n";
        }
    for (std::size_t i = 0; i < g; ++i)
        for (std::size_t j = 0; j < g; ++j) {
            const double w = weights(i, j), shade = most > 0 ? w / most : 0.0;
            svg << "<rect x=\"" << j * patch * cell + 2 << "\" y=\"" << top + i * patch * cell + 2
                << "\" width=\"" << patch * cell - 4 << "\" height=\"" << patch * cell - 4
                << "\" fill=\"none\" stroke=\"rgb(255,255,0)\" stroke-width=\"4\" stroke-opacity=\""
                << shade << "\"/>\n<text x=\"" << j * patch * cell + 6 << "\" y=\""
                << top + i * patch * cell + 18
                << "\" font-family=\"sans-serif\" font-size=\"12\" fill=\"white\">"
                << std::lround(100 * w) << "%</text>\n";
        }
    svg << "</svg>\n";
    return svg.str();
}

std::string image_text(const Tensor3& image) {
    std::string out;
    for (std::size_t r = 0; r < image.shape(0); ++r) {
        out += "  ";
        for (std::size_t c = 0; c < image.shape(1); ++c) {
            const char* px = "·";
            if (image(r, c, 0) > 0) px = "R";
            if (image(r, c, 1) > 0) px = "G";
            if (image(r, c, 2) > 0) px = "B";
            out += px;
            out += (c + 1) % 4 == 0 ? " " : "";
        }
        out += (r + 1) % 4 == 0 ? "\n\n" : "\n";
    }
    return out;
}

Matrix alignment_map(const PairBatch& batch, std::size_t b) {
    Matrix a = xt::zeros<double>({batch.input.shape(1), batch.source.shape(1)});
    for (std::size_t i = 0; i < a.shape(0); ++i)
        if (batch.aligned(b, i) >= 0) a(i, std::size_t(batch.aligned(b, i))) = 1.0;
    return a;
}

}  // namespace attn
