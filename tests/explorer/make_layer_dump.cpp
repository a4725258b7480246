// A small dump in the Part VI layout, for the explorer's tests: a 2-layer, 2-head module on
// "the cat sat on the mat", at three training checkpoints and at the end.
//   DIR/tokens.txt
//   DIR/layer<i>/          in_proj_weight.npy, in_proj_bias.npy, out_proj.weight.npy,
//                          out_proj.bias.npy, num_heads.txt, query.npy (L, E), tokens.txt,
//                          weights.npy (H, L, S), attn_mask.npy
//   DIR/checkpoints/step_<NNNNNN>/tokens.txt, layer<i>/…
// Layer 0 has a bool causal mask; layer 1 a float mask that blocks every key of query 2 (a
// fully masked row: NaN weights, as PyTorch gives). "Training" here is only W_q and W_k
// scaled up with the step, so the maps sharpen from nearly uniform: not a real training run.
// usage: make_layer_dump DIR
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/npy.hpp>

namespace fs = std::filesystem;
using attn::Matrix;

namespace {

const std::vector<std::string> kTokens = {"the", "cat", "sat", "on", "the", "mat"};
constexpr std::size_t E = 8, H = 2, kLayers = 2;

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

void write_tokens(const fs::path& dir) {
    std::string text;
    for (const std::string& t : kTokens) text += t + "\n";
    write_text(dir / "tokens.txt", text);
}

// A bool .npy (numpy's '|b1': one byte per entry), as PyTorch masks are saved: the
// workbook's dump_npy writes float64 only.
void write_bool_npy(const fs::path& path, const Matrix& m) {
    std::string header = "{'descr': '|b1', 'fortran_order': False, 'shape': (" +
                         std::to_string(m.shape(0)) + ", " + std::to_string(m.shape(1)) + "), }";
    header += std::string(63 - (10 + header.size()) % 64, ' ') +
              "\n";  // 10 + header: a multiple of 64
    std::ofstream out(path, std::ios::binary);
    out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size() & 0xff)
        << static_cast<char>(header.size() >> 8) << header;
    for (double x : m) out << static_cast<char>(x != 0);
}

// One layer of the module at training step `step`: writes its files, returns its output.
Matrix write_layer(const fs::path& dir, std::size_t layer, const Matrix& x, double step) {
    attn::Random rng(100 + layer);
    attn::MhaParams p = attn::random_mha_params(E, H, rng);
    const double sharpen = 1.0 + step / 25.0;  // W_q and W_k grow: the maps sharpen
    xt::view(p.in_proj_weight, xt::range(0, 2 * E), xt::all()) *= sharpen;
    const std::size_t L = x.shape(0);
    Matrix mask = layer == 0 ? attn::causal_mask(L) : Matrix(xt::zeros<double>({L, L}));
    if (layer == 1) xt::view(mask, 2, xt::all()) = -INFINITY;
    const attn::MhaForward f = attn::mha_forward(p, x, x, x, &mask);
    fs::create_directories(dir);
    attn::dump_npy((dir / "in_proj_weight.npy").string(), p.in_proj_weight);
    attn::dump_npy((dir / "in_proj_bias.npy").string(), p.in_proj_bias);
    attn::dump_npy((dir / "out_proj.weight.npy").string(), p.out_proj_weight);
    attn::dump_npy((dir / "out_proj.bias.npy").string(), p.out_proj_bias);
    attn::dump_npy((dir / "query.npy").string(), x);
    attn::dump_npy((dir / "weights.npy").string(), f.heads.weights);
    if (layer == 0)
        write_bool_npy(dir / "attn_mask.npy", attn::causal_mask_bool(L));
    else
        attn::dump_npy((dir / "attn_mask.npy").string(), mask);
    write_text(dir / "num_heads.txt", std::to_string(H) + "\n");
    write_tokens(dir);
    return f.output;
}

// Every layer, in order, each taking the previous one's output; the input is fixed.
void write_model(const fs::path& dir, double step) {
    attn::Random rng(7);
    Matrix x = rng.normal_matrix(kTokens.size(), E);
    write_tokens(dir);
    for (std::size_t i = 0; i < kLayers; ++i) {
        Matrix out = write_layer(dir / ("layer" + std::to_string(i)), i, x, step);
        x = out;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_layer_dump DIR\n");
        return 2;
    }
    const fs::path dir = argv[1];
    fs::remove_all(dir);
    for (int step : {0, 50, 100}) {
        char name[32];
        std::snprintf(name, sizeof name, "step_%06d", step);
        write_model(dir / "checkpoints" / name, step);
    }
    write_model(dir, 150);
    std::printf("%s\n", dir.string().c_str());
    return 0;
}
