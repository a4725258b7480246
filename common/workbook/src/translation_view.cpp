// Chapter 26's files (see translation_view.hpp).
#include "workbook/translation_view.hpp"

#include <filesystem>
#include <fstream>
#include <limits>

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

void dump_attention_layer(const std::string& dir, const MhaParams& p, const Matrix& query, const Matrix& key,
                          const Tensor3& weights, const Matrix* mask, const std::vector<std::string>& queries,
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

void dump_cross_layer(const std::string& dir, const Seq2Seq& m, const Seq2SeqForward& f, const PairBatch& batch,
                      std::size_t b, const std::vector<std::string>& queries, const std::vector<std::string>& keys) {
    Matrix mask = xt::zeros<double>({f.x[b].shape(0), f.e[b].shape(0)});
    for (std::size_t j = 0; j < mask.shape(1); ++j)
        if (batch.source(b, j) == 0) xt::view(mask, xt::all(), j) = -std::numeric_limits<double>::infinity();
    dump_attention_layer(dir, m.decoder.layers[0], f.x[b], f.e[b], f.weights[b], &mask, queries, keys);
}

Matrix alignment_map(const PairBatch& batch, std::size_t b) {
    Matrix a = xt::zeros<double>({batch.input.shape(1), batch.source.shape(1)});
    for (std::size_t i = 0; i < a.shape(0); ++i)
        if (batch.aligned(b, i) >= 0) a(i, std::size_t(batch.aligned(b, i))) = 1.0;
    return a;
}

}  // namespace attn
