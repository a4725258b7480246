// Chapter 18's backward pass: the batched and tiled methods' float32 gradients against the
// float64 reference of chapter 21 (mha_backward), and their memory against its formula.
#include "support.hpp"

#include <map>
#include <sstream>

#include <attention/backward.hpp>
#include <attention/efficient.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>

#include "efficient_support.hpp"

using attn::FastMethod;
using attn::Matrix;
using attn::MatrixF;

namespace {

using wbtest::describe;
using wbtest::Shape;
using wbtest::Threads;

// ours (float32) against the float64 reference, relative to the reference's largest entry.
void check_close(const char* name, const xt::xarray<float>& ours,
                 const xt::xarray<double>& reference) {
    INFO(name << ": ours " << attn::shape_str(ours.shape()) << ", reference "
              << attn::shape_str(reference.shape()));
    REQUIRE(ours.shape() == reference.shape());
    CHECK(attn::relative_error(xt::cast<double>(ours), reference) <= 1e-4);
}

}  // namespace

TEST_CASE("the batched and tiled backward passes equal the float64 reference, on many shapes",
          "[ch18]") {
    const Shape shapes[] = {
            {7, 7, 8, 2, 3, 4, true},       // self-attention, tiles that divide nothing
            {10, 6, 12, 3, 4, 5, true},     // cross-attention, L ≠ S
            {5, 9, 8, 1, 2, 2, true},       // one head, S > L
            {33, 33, 16, 4, 8, 10, false},  // no bias
            {1, 1, 4, 1, 256, 512, true},   // one token, tiles larger than everything
            {70, 40, 32, 8, 16, 24, true},  // 8 heads of 4, L > S, several blocks both ways
            // products large enough that two threads split their rows (gemm(): 150 = 80 + 70,
            // 180 = 96 + 84), op(A) transposed or not
            {150, 150, 160, 5, 64, 96, true},
            {200, 180, 192, 4, 64, 128, true},
    };
    attn::Random rng(1811);
    for (const Shape& s : shapes) {
        const attn::MhaParamsF pf = attn::to_float(attn::random_mha_params(s.E, s.H, rng, s.bias));
        const attn::MhaParams p64 = attn::to_double(pf);
        const MatrixF query = attn::to_float(rng.normal_matrix(s.L, s.E));
        const MatrixF key = attn::to_float(rng.normal_matrix(s.S, s.E));
        const MatrixF value = attn::to_float(rng.normal_matrix(s.S, s.E));
        const MatrixF dO = attn::to_float(rng.normal_matrix(s.L, s.E));
        // Three ways of passing the inputs: self-attention (one matrix three times, when L = S),
        // key = value (one matrix twice), and three matrices.
        enum class Pass { self, key_value, three };
        for (Pass pass : {Pass::self, Pass::key_value, Pass::three}) {
            if (pass == Pass::self && s.L != s.S) continue;
            const MatrixF& k = pass == Pass::self ? query : key;
            const MatrixF& v = pass == Pass::self ? query : pass == Pass::key_value ? k : value;
            const Matrix q64 = attn::to_double(query), k64 = attn::to_double(k),
                         v64 = attn::to_double(v);
            const Matrix out64 = attn::mha_forward(p64, q64, k64, v64).output;
            const attn::MhaGrads ref = attn::mha_backward(p64, q64, k64, v64, attn::to_double(dO));
            // A matrix passed in several roles has one gradient, the sum of its roles'.
            const Matrix ref_query =
                    pass == Pass::self ? Matrix(ref.query + ref.key + ref.value) : ref.query;
            const Matrix ref_key = pass == Pass::key_value ? Matrix(ref.key + ref.value) : ref.key;
            for (std::size_t threads : {1, 2}) {
                const Threads t(threads);
                for (FastMethod m : attn::backward_methods()) {
                    INFO(describe(s)
                         << ", inputs passed "
                         << (pass == Pass::self        ? "as one"
                             : pass == Pass::key_value ? "key = value"
                                                       : "as three")
                         << ", method " << attn::method_name(m) << ", threads " << threads);
                    const attn::FastBackward r =
                            attn::fast_mha_backward(m, pf, query, k, v, dO, {s.block_q, s.block_k});
                    check_close("output", r.output, out64);
                    check_close("in_proj_weight", r.grads.in_proj_weight, ref.in_proj_weight);
                    check_close("out_proj.weight", r.grads.out_proj_weight, ref.out_proj_weight);
                    if (s.bias) {
                        check_close("in_proj_bias", r.grads.in_proj_bias, ref.in_proj_bias);
                        check_close("out_proj.bias", r.grads.out_proj_bias, ref.out_proj_bias);
                    } else {
                        CHECK(r.grads.in_proj_bias.size() == 0);
                        CHECK(r.grads.out_proj_bias.size() == 0);
                    }
                    check_close("query", r.grads.query, ref_query);
                    if (pass == Pass::self) {
                        CHECK(r.grads.key.size() == 0);
                    } else {
                        check_close("key", r.grads.key, ref_key);
                    }
                    if (pass == Pass::three) {
                        check_close("value", r.grads.value, ref.value);
                    } else {
                        CHECK(r.grads.value.size() == 0);
                    }
                }
            }
        }
    }
}

TEST_CASE("the chunked float64 backward reference equals mha_backward", "[ch18]") {
    attn::Random rng(1812);
    for (bool bias : {true, false}) {
        const attn::MhaParams p = attn::random_mha_params(12, 3, rng, bias);
        const Matrix q = rng.normal_matrix(10, 12), k = rng.normal_matrix(7, 12),
                     v = rng.normal_matrix(7, 12);
        const Matrix dO = rng.normal_matrix(10, 12);
        const attn::MhaGrads whole = attn::mha_backward(p, q, k, v, dO);
        for (std::size_t rows : {1, 3, 10, 64}) {
            INFO("rows " << rows << (bias ? "" : ", no bias"));
            const attn::MhaGrads chunked = attn::mha_backward_reference(p, q, k, v, dO, rows);
            CHECK_THAT(chunked.in_proj_weight, wbtest::Near(whole.in_proj_weight, 1e-12));
            CHECK_THAT(chunked.out_proj_weight, wbtest::Near(whole.out_proj_weight, 1e-12));
            CHECK(chunked.in_proj_bias.size() == whole.in_proj_bias.size());
            CHECK(chunked.out_proj_bias.size() == whole.out_proj_bias.size());
            if (bias) {
                CHECK_THAT(chunked.in_proj_bias, wbtest::Near(whole.in_proj_bias, 1e-12));
                CHECK_THAT(chunked.out_proj_bias, wbtest::Near(whole.out_proj_bias, 1e-12));
            }
            CHECK_THAT(chunked.query, wbtest::Near(whole.query, 1e-12));
            CHECK_THAT(chunked.key, wbtest::Near(whole.key, 1e-12));
            CHECK_THAT(chunked.value, wbtest::Near(whole.value, 1e-12));
        }
    }
}

TEST_CASE(
        "the backward passes' memory is what their formula says: tiled grows with L, batched with "
        "L^2",
        "[ch18]") {
    attn::Random rng(1813);
    const std::size_t E = 16;
    const attn::Tiles tiles{8, 8};
    for (std::size_t H : {1, 4}) {
        const attn::MhaParamsF pf = attn::to_float(attn::random_mha_params(E, H, rng));
        std::map<FastMethod, std::vector<std::size_t>> peak;
        for (std::size_t threads : {1, 2}) {
            const Threads t(threads);
            for (std::size_t L : {32, 64, 128}) {
                const MatrixF X = attn::to_float(rng.normal_matrix(L, E));
                const MatrixF Y = attn::to_float(rng.normal_matrix(L / 2, E));
                const MatrixF Y2 = Y;  // another matrix: key ≠ value
                const MatrixF dO = attn::to_float(rng.normal_matrix(L, E));
                for (FastMethod m : attn::backward_methods()) {
                    INFO("method " << attn::method_name(m) << ", H = " << H << ", L = " << L
                                   << ", threads " << threads);
                    const std::size_t measured =
                            attn::fast_mha_backward(m, pf, X, X, X, dO, tiles).peak_bytes;
                    CHECK(measured ==
                          attn::fast_backward_extra_bytes(m, L, L, E, H, tiles, threads));
                    // cross-attention, S = L / 2, key ≠ value; and tiles as large as everything
                    CHECK(attn::fast_mha_backward(m, pf, X, Y, Y2, dO, tiles).peak_bytes ==
                          attn::fast_backward_extra_bytes(m, L, L / 2, E, H, tiles, threads));
                    CHECK(attn::fast_mha_backward(m, pf, X, X, X, dO).peak_bytes ==
                          attn::fast_backward_extra_bytes(m, L, L, E, H, {}, threads));
                    if (threads == 1) peak[m].push_back(measured);
                }
            }
        }
        // Linear in L: doubling L twice adds twice as much the second time. Quadratic: more.
        const auto& tiled = peak[FastMethod::tiled];
        CHECK(tiled[2] - tiled[1] == 2 * (tiled[1] - tiled[0]));
        const auto& batched = peak[FastMethod::batched];
        CHECK(batched[2] - batched[1] > 3 * (batched[1] - batched[0]));
    }
    // At the benchmark's largest size, one thread and two: under a tenth of every head's weights.
    for (std::size_t threads : {1, 2}) {
        CHECK(attn::fast_backward_extra_bytes(FastMethod::tiled, 8192, 8192, 512, 8, {}, threads) *
                      10 <
              attn::weights_bytes(8192, 8192, 8));
        CHECK(attn::fast_backward_extra_bytes(FastMethod::batched, 8192, 8192, 512, 8, {},
                                              threads) > attn::weights_bytes(8192, 8192, 8));
    }
}

TEST_CASE("fast_mha_backward refuses a method without a backward pass and a dO of the wrong shape",
          "[ch18]") {
    attn::Random rng(1814);
    const attn::MhaParamsF pf = attn::to_float(attn::random_mha_params(8, 2, rng));
    const MatrixF X = attn::to_float(rng.normal_matrix(3, 8));
    const MatrixF dO = attn::to_float(rng.normal_matrix(3, 8)),
                  wrong = attn::to_float(rng.normal_matrix(2, 8));
    for (FastMethod m : {FastMethod::loops, FastMethod::xtensor, FastMethod::blas}) {
        CHECK_THROWS_WITH(attn::fast_mha_backward(m, pf, X, X, X, dO),
                          Catch::Contains(attn::method_name(m)));
        CHECK_THROWS_AS(attn::fast_backward_extra_bytes(m, 3, 3, 8, 2), std::invalid_argument);
    }
    CHECK_THROWS_WITH(attn::fast_mha_backward(FastMethod::tiled, pf, X, X, X, wrong),
                      Catch::Contains("(2, 8)"));
    CHECK(attn::mha_backward_flops(2, 3, 4) == 2 * attn::mha_flops(2, 3, 4));
}
