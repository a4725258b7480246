// Chapter 18 — fast attention: five methods, one answer; the online softmax; memory; the benchmark.
#include "support.hpp"

#include <cmath>
#include <map>
#include <sstream>
#include <tuple>

#include <attention/attention.hpp>
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

}  // namespace

TEST_CASE("every method equals the float64 reference, on many shapes", "[ch18]") {
    const Shape shapes[] = {
            {7, 7, 8, 2, 3, 4, true},       // self-attention, tiles that divide nothing
            {10, 6, 12, 3, 4, 5, true},     // cross-attention, L ≠ S
            {5, 9, 8, 1, 2, 2, true},       // one head, S > L
            {33, 33, 16, 4, 8, 10, false},  // no bias
            {1, 1, 4, 1, 256, 512, true},   // one token, tiles larger than everything
            {40, 70, 32, 8, 16, 24, true},  // 8 heads of 4
            // products large enough that two threads split their rows (gemm(): 150 = 80 + 70,
            // 180 = 96 + 84), op(A) transposed or not
            {150, 150, 160, 5, 64, 96, true},
            {200, 180, 192, 4, 64, 128, true},
    };
    attn::Random rng(1801);
    for (const Shape& s : shapes) {
        const attn::MhaParams p = attn::random_mha_params(s.E, s.H, rng, s.bias);
        const attn::MhaParamsF pf = attn::to_float(p);
        const MatrixF query = attn::to_float(rng.normal_matrix(s.L, s.E));
        const MatrixF key = attn::to_float(rng.normal_matrix(s.S, s.E));
        const MatrixF value = attn::to_float(rng.normal_matrix(s.S, s.E));
        const bool self = s.L == s.S;
        // Self-attention passes one matrix three times (the fused projection); cross-attention
        // passes key = value once (K and V fused) and separate key and value once.
        const MatrixF& k = self ? query : key;
        for (const MatrixF* v : {&k, &value}) {
            if (self && v != &k) continue;
            const attn::MhaParams p64 = attn::to_double(pf);
            const Matrix reference = attn::mha_forward(p64, attn::to_double(query),
                                                       attn::to_double(k), attn::to_double(*v))
                                             .output;
            for (std::size_t threads : {1, 2}) {
                const Threads t(threads);
                for (FastMethod m : attn::fast_methods()) {
                    INFO(describe(s)
                         << (v == &k ? ", key = value" : ", key != value") << ", method "
                         << attn::method_name(m) << ", threads " << threads);
                    const attn::FastResult r =
                            attn::fast_mha(m, pf, query, k, *v, {s.block_q, s.block_k});
                    REQUIRE(r.output.shape(0) == s.L);
                    REQUIRE(r.output.shape(1) == s.E);
                    CHECK(attn::largest_difference(attn::to_double(r.output), reference).largest <=
                          1e-5);
                }
            }
        }
    }
}

TEST_CASE("the online softmax by hand", "[ch18]") {
    // One row of scores [1, 3, 2, 5] in blocks of 2; value j is (j, 1), so o's second entry is l.
    const attn::Vector s = {1.0, 3.0, 2.0, 5.0};
    const Matrix V = {{0.0, 1.0}, {1.0, 1.0}, {2.0, 1.0}, {3.0, 1.0}};
    const attn::OnlineTrace t = attn::online_softmax_trace(s, V, 2);
    const double e = std::exp(1.0);
    REQUIRE(t.max.size() == 2);
    // Block 1 (scores 1, 3): m = 3, l = e^-2 + e^0, o = 0·e^-2 + 1·e^0.
    CHECK(t.max[0] == 3.0);
    CHECK(t.sum[0] == Approx(1.0 + std::pow(e, -2)).epsilon(1e-14));
    CHECK(t.acc(0, 0) == Approx(1.0).epsilon(1e-14));
    CHECK(t.acc(0, 1) == Approx(t.sum[0]).epsilon(1e-14));
    // Block 2 (scores 2, 5): the max moves to 5, so block 1's sums are rescaled by e^(3-5).
    CHECK(t.max[1] == 5.0);
    const double l = (1.0 + std::pow(e, -2)) * std::pow(e, -2) + std::pow(e, -3) + 1.0;
    CHECK(t.sum[1] == Approx(l).epsilon(1e-14));
    CHECK(t.acc(1, 0) ==
          Approx(1.0 * std::pow(e, -2) + 2.0 * std::pow(e, -3) + 3.0).epsilon(1e-14));
    CHECK(t.output(0) == Approx((std::pow(e, -2) + 2 * std::pow(e, -3) + 3.0) / l).epsilon(1e-14));
    CHECK(t.output(1) == Approx(1.0).epsilon(1e-14));
    // Any block size gives softmax(s)·V: blocks of 1, 3 (not dividing 4) and one block of all.
    const Matrix direct = attn::weighted_sum(
            attn::softmax(Matrix(xt::reshape_view(s, {std::size_t{1}, std::size_t{4}}))), V);
    for (std::size_t block : {1, 3, 4, 10}) {
        INFO("block " << block);
        const attn::OnlineTrace b = attn::online_softmax_trace(s, V, block);
        CHECK(b.max.size() == (4 + block - 1) / block);
        CHECK(b.output(0) == Approx(direct(0, 0)).epsilon(1e-14));
        CHECK(b.output(1) == Approx(direct(0, 1)).epsilon(1e-14));
    }
    CHECK_THROWS_AS(attn::online_softmax_trace(s, V, 0), std::invalid_argument);
}

TEST_CASE("the online softmax skips a first block of masked keys, and a fully masked row is NaN",
          "[ch18]") {
    const double inf = INFINITY;
    const Matrix V = {{0.0, 1.0}, {1.0, 1.0}, {2.0, 1.0}, {3.0, 1.0}};
    // Keys 0 and 1 masked: the weights are softmax(1, 2) on keys 2 and 3 = (1, e)/(1 + e).
    const attn::OnlineTrace t =
            attn::online_softmax_trace(attn::Vector{-inf, -inf, 1.0, 2.0}, V, 2);
    const double e = std::exp(1.0);
    CHECK(t.output(0) == Approx((2.0 + 3.0 * e) / (1.0 + e)).epsilon(1e-14));
    CHECK(t.output(1) == Approx(1.0).epsilon(1e-14));
    const attn::OnlineTrace all =
            attn::online_softmax_trace(attn::Vector{-inf, -inf, -inf, -inf}, V, 2);
    CHECK(std::isnan(all.output(0)));  // as PyTorch 1.13 gives a fully masked row
    CHECK_THROWS_AS(attn::online_softmax_trace(attn::Vector(xt::zeros<double>({0})),
                                               Matrix(xt::zeros<double>({0, 2})), 2),
                    std::invalid_argument);
}

TEST_CASE("each method's memory is what its formula says: tiled grows with L, batched with L^2",
          "[ch18]") {
    attn::Random rng(1802);
    const std::size_t E = 16, H = 4;
    const attn::MhaParamsF pf = attn::to_float(attn::random_mha_params(E, H, rng));
    const attn::Tiles tiles{8, 8};
    std::map<FastMethod, std::vector<std::size_t>> peak;
    for (std::size_t threads : {1, 2}) {
        const Threads t(threads);
        for (std::size_t L : {32, 64, 128}) {
            const MatrixF X = attn::to_float(rng.normal_matrix(L, E));
            const MatrixF Y = attn::to_float(rng.normal_matrix(L / 2, E));
            for (FastMethod m : attn::fast_methods()) {
                INFO("method " << attn::method_name(m) << ", L = " << L << ", threads " << threads);
                const std::size_t measured = attn::fast_mha(m, pf, X, X, X, tiles).peak_bytes;
                CHECK(measured == attn::fast_extra_bytes(m, L, L, E, H, tiles, threads));
                // cross-attention, S = L / 2, key ≠ value
                CHECK(attn::fast_mha(m, pf, X, Y, Y, tiles).peak_bytes ==
                      attn::fast_extra_bytes(m, L, L / 2, E, H, tiles, threads));
                if (threads == 1) peak[m].push_back(measured);
            }
        }
    }
    // Linear in L: doubling L twice adds twice as much the second time. Quadratic: more.
    const auto& tiled = peak[FastMethod::tiled];
    CHECK(tiled[2] - tiled[1] == 2 * (tiled[1] - tiled[0]));
    const auto& batched = peak[FastMethod::batched];
    CHECK(batched[2] - batched[1] > 3 * (batched[1] - batched[0]));
    // At the benchmark's largest size: under a tenth of every head's weights (the target).
    CHECK(attn::fast_extra_bytes(FastMethod::tiled, 8192, 8192, 512, 8) * 10 <
          attn::weights_bytes(8192, 8192, 8));
    CHECK(attn::fast_extra_bytes(FastMethod::batched, 8192, 8192, 512, 8) >
          attn::weights_bytes(8192, 8192, 8));
}

TEST_CASE("the flop count and the chunked reference", "[ch18]") {
    // L = 2, S = 3, E = 4: projections 2·(2 + 6)·16 + 2·2·16 = 320, attention 4·2·3·4 = 96.
    CHECK(attn::mha_flops(2, 3, 4) == 416.0);
    attn::Random rng(1803);
    const attn::MhaParams p = attn::random_mha_params(12, 3, rng);
    const Matrix q = rng.normal_matrix(10, 12), kv = rng.normal_matrix(7, 12);
    const Matrix whole = attn::mha_forward(p, q, kv, kv).output;
    for (std::size_t rows : {1, 3, 10, 64}) {
        INFO("rows " << rows);
        CHECK_THAT(attn::mha_reference(p, q, kv, kv, rows), wbtest::Near(whole, 1e-12));
    }
    CHECK(attn::weights_bytes(8192, 8192, 8) == 8ull * 8192 * 8192 * 4);
}

TEST_CASE("fast_mha and the method names reject what does not fit", "[ch18]") {
    attn::Random rng(1804);
    const attn::MhaParamsF pf = attn::to_float(attn::random_mha_params(8, 2, rng));
    const MatrixF X = xt::ones<float>({3, 8}), wide = xt::ones<float>({3, 6}),
                  short_v = xt::ones<float>({2, 8});
    for (FastMethod m : attn::fast_methods()) {
        CHECK(attn::parse_method(attn::method_name(m)) == m);
        CHECK_THROWS_WITH(attn::check_fast_inputs(pf, wide, wide, wide),
                          Catch::Contains("(3, 6)") && Catch::Contains("(3, 8)"));
        CHECK_THROWS_WITH(attn::check_fast_inputs(pf, X, X, short_v),
                          Catch::Contains("value (2, 8)"));
    }
    CHECK_THROWS_WITH(attn::parse_method("fastest"),
                      Catch::Contains("fastest") && Catch::Contains("tiled"));
    CHECK_THROWS_AS(attn::check_fast_inputs(pf, X, X, X, {0, 4}), attn::InputError);
}

TEST_CASE("chapter 18 prints its recorded output", "[ch18]") {
    wbtest::check_recorded_output("18_efficient_attention");
    const auto r = wbtest::run_chapter("18_efficient_attention");
    // Five methods, every one agreeing with the reference.
    for (const char* m : {"loops", "xtensor", "blas", "batched", "tiled"}) {
        CHECK(r.out.find(std::string("  ") + m) != std::string::npos);
    }
    CHECK(r.out.find(" NO ") == std::string::npos);
}

TEST_CASE("chapter 18 --time adds a time to every method, and bad sizes are refused", "[ch18]") {
    const auto r = wbtest::run_chapter("18_efficient_attention", {"--time", "--length", "24",
                                                                  "--embed", "16", "--heads", "2"});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("GFLOP/s") != std::string::npos);
    std::size_t timed = 0;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string name, agrees, size, unit;
        double ms = -1, gflops = -1;
        if (words >> name >> agrees >> size >> unit >> ms >> gflops && unit == "MB") {
            CHECK(agrees == "yes");
            CHECK(ms >= 0);  // numbers, not a timing assertion (a slow build prints 0.0 GFLOP/s)
            CHECK(gflops >= 0);
            ++timed;
        }
    }
    CHECK(timed == 5);
    wbtest::check_bad_input("18_efficient_attention", {"--embed", "10", "--heads", "3"},
                            {"10", "3"});
    wbtest::check_bad_input("18_efficient_attention", {"--length", "0"}, {"--length"});
}

TEST_CASE("the benchmark's --json lines parse and carry every field", "[ch18]") {
    const auto r = wbtest::run_chapter(
            "bench", {"--size", "24,16,2", "--size", "20,8,1", "--json", "--repeats", "1"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::vector<std::string> names;
    for (const auto& f : wbtest::json_lines(r.out)) {
        for (const char* field : {"name", "pass", "L", "E", "H", "threads", "ms", "gflops",
                                  "peak_mb", "accounted_mb", "weights_mb", "cpu_ms", "sgemm_gflops",
                                  "sgemm_pct", "cpu_sgemm_pct", "rel_err", "repeats"}) {
            INFO("field " << field);
            CHECK(f.count(field) == 1);
        }
        if (f.count("rel_err") == 0 || f.count("L") == 0 || f.count("pass") == 0) continue;
        names.push_back(f.at("name") + " " + f.at("pass"));
        CHECK((f.at("L") == "24" || f.at("L") == "20"));
        CHECK(f.at("threads") == "1");
        CHECK(std::stod(f.at("ms")) >= 0);
        CHECK(std::stod(f.at("rel_err")) <= 1e-4);
    }
    // At L ≤ 128 the benchmark runs all five methods forward, then batched and tiled forward + backward.
    const std::vector<std::string> one_size{"\"loops\" \"fwd\"",    "\"xtensor\" \"fwd\"",
                                            "\"blas\" \"fwd\"",     "\"batched\" \"fwd\"",
                                            "\"tiled\" \"fwd\"",    "\"batched\" \"fwd+bwd\"",
                                            "\"tiled\" \"fwd+bwd\""};
    std::vector<std::string> two_sizes = one_size;
    two_sizes.insert(two_sizes.end(), one_size.begin(), one_size.end());
    CHECK(names == two_sizes);
    const auto bad = wbtest::run_chapter("bench", {"--size", "8,6,4"});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("E must be a multiple of H") != std::string::npos);
    const auto unknown = wbtest::run_chapter("bench", {"--methods", "fastest"});
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("fastest") != std::string::npos);
    const auto bad_pass = wbtest::run_chapter("bench", {"--passes", "bwd"});
    CHECK(bad_pass.status == 2);
    CHECK(bad_pass.err.find("'bwd'") != std::string::npos);
    const auto no_backward =
            wbtest::run_chapter("bench", {"--passes", "fwd+bwd", "--methods", "blas"});
    CHECK(no_backward.status == 2);
    CHECK(no_backward.err.find("backward") != std::string::npos);
}

TEST_CASE("the fast methods' input check rejects a NaN or an infinity", "[ch18]") {
    attn::Random rng(1803);
    const attn::MhaParamsF pf = attn::to_float(attn::random_mha_params(8, 2, rng));
    MatrixF X = attn::to_float(rng.normal_matrix(4, 8));
    X(2, 3) = NAN;
    CHECK_THROWS_WITH(attn::check_fast_inputs(pf, X, X, X, {2, 2}),
                      "query holds a NaN or an infinity");
    attn::MhaParamsF bad = pf;
    bad.out_proj_weight(0, 0) = INFINITY;
    const MatrixF Y = attn::to_float(rng.normal_matrix(4, 8));
    CHECK_THROWS_WITH(attn::check_fast_inputs(bad, Y, Y, Y, {2, 2}),
                      "out_proj.weight holds a NaN or an infinity");
}

TEST_CASE("the flop count splits into projections and attention, worked out by hand", "[ch18]") {
    // L = S = 2, E = 3: projections 2·(2 + 2·2)·3² + 2·2·3² = 108 + 36 = 144; attention
    // 2·2·2·2·3 = 48.
    const attn::MhaFlops f = attn::mha_flop_count(2, 2, 3);
    CHECK(f.projections == 144.0);
    CHECK(f.attention == 48.0);
    CHECK(attn::mha_flops(2, 2, 3) == 192.0);
    // Chapter 18's sentence: at L = S = 8192, E = 512 the attention share is
    // 4L²E / (8LE² + 4L²E) = 4L / (8E + 4L) = 32768 / 36864 = 8/9 ≈ 89%.
    const attn::MhaFlops big = attn::mha_flop_count(8192, 8192, 512);
    CHECK(big.attention / big.total() == Approx(8.0 / 9.0).epsilon(1e-12));
    CHECK(attn::weights_bytes(8192, 8192, 8) == std::size_t{8} * 8192 * 8192 * 4);
}

TEST_CASE("chapter 18 reconciles 'longer input support' with memory growing with L^2", "[ch18]") {
    const auto r = wbtest::run_chapter("18_efficient_attention");
    REQUIRE(r.status == 0);
    std::string text;
    for (char c : r.out) text += c == '\n' ? ' ' : c;
    CHECK(text.find("\"Longer input support\"") != std::string::npos);
    CHECK(text.find("no fixed window") != std::string::npos);
    CHECK(text.find("The tiled method keeps the memory linear in L") != std::string::npos);
    // What the sentence claims, measured: the weights grow 4x when L doubles, the tiled
    // method's extra memory about 2x.
    CHECK(attn::weights_bytes(4096, 4096, 8) == 4 * attn::weights_bytes(2048, 2048, 8));
    const double tiled2 =
            double(attn::fast_extra_bytes(attn::FastMethod::tiled, 2048, 2048, 512, 8));
    const double tiled4 =
            double(attn::fast_extra_bytes(attn::FastMethod::tiled, 4096, 4096, 512, 8));
    CHECK(tiled4 / tiled2 < 2.1);
}
