// Part VI's printing and files (see training_view.hpp).
#include "workbook/training_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <xtensor/xadapt.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xview.hpp>

#include "attention/masks.hpp"
#include "workbook/errors.hpp"
#include "workbook/npy.hpp"
#include "workbook/show.hpp"

namespace attn {

namespace {

void write_text(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    f.close();
    if (!f) throw InputError(path + ": cannot write");
}

void make_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw InputError(dir + ": cannot create (" + ec.message() + ")");
}

std::string lines(const std::vector<std::string>& words) {
    std::string s;
    for (const std::string& w : words) s += w + "\n";
    return s;
}

}  // namespace

std::uint64_t seed_option(const Chapter& ch, std::uint64_t fallback) {
    return ch.option_count("--seed", fallback);
}

void dump_layers(const std::string& dir, const Model& m, const ModelForward& f, std::size_t b,
                 const std::vector<std::string>& words, const Tokens* tokens) {
    const std::size_t L = words.size();
    // (L, L) additive, as the forward pass masked: −∞ above the diagonal in a causal model,
    // and on the padding keys when the tokens are given
    Matrix mask = m.size.causal ? causal_mask(L) : Matrix(xt::zeros<double>({L, L}));
    const bool padded = tokens != nullptr && m.size.pad >= 0;
    const bool masked = m.size.causal || padded;
    for (std::size_t j = 0; padded && j < L; ++j) {
        if ((*tokens)(b, j) == m.size.pad)
            xt::view(mask, xt::all(), j) = -std::numeric_limits<double>::infinity();
    }
    make_dir(dir);
    write_text(dir + "/tokens.txt", lines(words));
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
        const std::string d = dir + "/layer" + std::to_string(i);
        make_dir(d);
        const MhaParams& p = m.layers[i];
        dump_npy(d + "/in_proj_weight.npy", p.in_proj_weight);
        dump_npy(d + "/in_proj_bias.npy", p.in_proj_bias);
        dump_npy(d + "/out_proj.weight.npy", p.out_proj_weight);
        dump_npy(d + "/out_proj.bias.npy", p.out_proj_bias);
        write_text(d + "/num_heads.txt", std::to_string(p.H) + "\n");
        write_text(d + "/tokens.txt", lines(words));
        dump_npy(d + "/query.npy", layer_input(f, i, b, L));
        dump_npy(d + "/weights.npy", head_weights(f, i, b));
        if (masked) dump_npy(d + "/attn_mask.npy", mask);
    }
}

void dump_state_dict(const std::string& dir, Model& m) {
    make_dir(dir);
    for (const NamedArray& a : named_parameters(m))
        dump_npy(dir + "/" + a.name + ".npy",
                 xt::adapt(a.data, a.size(), xt::no_ownership(), a.shape));
}

std::string checkpoint_dir(const std::string& dir, std::size_t step) {
    char name[32];
    std::snprintf(name, sizeof name, "step_%06zu", step);
    return dir + "/checkpoints/" + name;
}

std::string loss_curve_text(const std::vector<double>& loss, std::size_t width,
                            std::size_t height) {
    if (loss.empty()) return "";
    width = std::min(width, loss.size());
    std::vector<double> col(width, 0.0);  // the mean loss of the steps in each column
    for (std::size_t c = 0; c < width; ++c) {
        const std::size_t from = c * loss.size() / width, to = (c + 1) * loss.size() / width;
        for (std::size_t s = from; s < to; ++s) col[c] += loss[s] / double(to - from);
    }
    const double top = *std::max_element(col.begin(), col.end());
    std::ostringstream out;
    for (std::size_t r = 0; r < height; ++r) {
        const double level = top * double(height - r) / double(height);  // this row's value
        out << (r == 0 || r + 1 == height ? format_number(level, 3) : std::string(5, ' ')) << " |";
        for (double v : col) out << (v >= level - top / double(2 * height) ? '#' : ' ');
        out << "\n";
    }
    out << "      +" << std::string(width, '-') << "\n";
    out << "       step 1" << std::string(width > 16 ? width - 16 : 1, ' ') << loss.size() << "\n";
    return out.str();
}

LinePlot loss_curve_plot(const std::vector<double>& loss, const std::string& title) {
    LinePlot p;
    p.title = title;
    p.x_label = "training step";
    p.y_label = "loss";
    PlotSeries s{"training loss", {}};
    for (std::size_t step = 1; step <= loss.size(); step *= 2) {
        p.x.push_back(double(step));
        s.y.push_back(loss[step - 1]);
    }
    if (p.x.back() != double(loss.size())) {
        p.x.push_back(double(loss.size()));
        s.y.push_back(loss.back());
    }
    p.y_max = std::ceil(*std::max_element(s.y.begin(), s.y.end()));
    p.series.push_back(s);
    return p;
}

std::vector<GradientCheck> check_gradients(const Model& m, const TaskBatch& batch,
                                           std::size_t stride) {
    Model probe = m;
    Model grad = model_backward(m, model_forward(m, batch.tokens, batch.targets), batch.tokens,
                                batch.targets);
    std::vector<NamedArray> p = named_parameters(probe), g = named_parameters(grad);
    std::vector<GradientCheck> out;
    const double h = 1e-5;
    for (std::size_t a = 0; a < p.size(); ++a) {
        GradientCheck c{p[a].name, 0, 0.0};
        for (std::size_t i = 0; i < p[a].size(); i += stride) {
            const double keep = p[a].data[i];
            p[a].data[i] = keep + h;
            const double up = model_loss(probe, batch.tokens, batch.targets);
            p[a].data[i] = keep - h;
            const double down = model_loss(probe, batch.tokens, batch.targets);
            p[a].data[i] = keep;
            c.largest = std::max(c.largest, std::abs((up - down) / (2 * h) - g[a].data[i]));
            ++c.checked;
        }
        out.push_back(c);
    }
    return out;
}

Labels word_labels(const std::vector<std::string>& words) {
    return {words, words};
}

}  // namespace attn
