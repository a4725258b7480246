// Part V's library, common/src/backward.cpp ([backward]): every gradient against central
// differences (in double, on random shapes from fixed seeds), against hand calculations,
// and against PyTorch 1.13's autograd (tests/fixtures/{attention,multihead}_backward, written
// by tools/make_backward_fixtures.py).
#include "backward_support.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <optional>

#include <attention/attention.hpp>
#include <attention/backward.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::MhaParams;
using attn::Tensor3;
using attn::Vector;
using wbtest::central_differences;
using wbtest::Near;
using wbtest::rel_error;
using Array = xt::xarray<double>;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
constexpr double kFd = 1e-7;  // every gradient against central differences, relative

Tensor3 random_stack(attn::Random& rng, std::size_t a, std::size_t b, std::size_t c) {
    Tensor3 t = xt::empty<double>({a, b, c});
    for (double& x : t) x = rng.normal();
    return t;
}

// Σ G ∘ softmax(X): a loss whose gradient with respect to softmax(X) is G.
double softmax_loss(const Array& X, const Matrix& G) {
    return xt::sum(attn::softmax(Matrix(X)) * G)();
}

// Σ dO ∘ attention(Q, K, V, mask).output.
double attention_loss(const Matrix& Q, const Matrix& K, const Matrix& V, const Matrix& dO,
                      const Matrix* mask) {
    return xt::sum(attn::attention(Q, K, V, mask).output * dO)();
}

// A random additive mask (L, S): finite penalties, some −∞, never a whole row blocked.
Matrix random_mask(attn::Random& rng, std::size_t L, std::size_t S) {
    Matrix m = rng.normal_matrix(L, S);
    if (S > 1)
        for (std::size_t i = 0; i < L; ++i) m(i, (i * 7 + 1) % S) = -kInf;
    return m;
}

// ---- nn.MultiheadAttention through the batched forward, for central differences ------------

struct Batch {
    MhaParams p;
    Tensor3 query, key, value, dO;
    std::optional<Array> attn_mask, key_padding_mask;
    bool self = false;  // key and value are query itself
};

double batch_loss(const Batch& c) {
    const Tensor3& k = c.self ? c.query : c.key;
    const Tensor3& v = c.self ? c.query : c.value;
    const attn::MhaBatch out =
            attn::mha_forward_batch(c.p, c.query, k, v, c.attn_mask, c.key_padding_mask);
    return xt::sum(out.output * c.dO)();
}

// Checks every gradient of mha_backward_batch against central differences of batch_loss.
void check_batch_by_differences(Batch c) {
    const Tensor3& k = c.self ? c.query : c.key;
    const Tensor3& v = c.self ? c.query : c.value;
    const attn::MhaBatchGrads g =
            attn::mha_backward_batch(c.p, c.query, k, v, c.dO, c.attn_mask, c.key_padding_mask);
    const auto by = [&](auto set) {
        return [&c, set](const Array& x) {
            Batch moved = c;
            set(moved, x);
            return batch_loss(moved);
        };
    };
    CHECK_GRAD("in_proj_weight.grad", g.in_proj_weight,
               central_differences(by([](Batch& b, const Array& x) { b.p.in_proj_weight = x; }),
                                   c.p.in_proj_weight),
               kFd);
    CHECK_GRAD("out_proj.weight.grad", g.out_proj_weight,
               central_differences(by([](Batch& b, const Array& x) { b.p.out_proj_weight = x; }),
                                   c.p.out_proj_weight),
               kFd);
    if (c.p.in_proj_bias.size() != 0) {
        CHECK_GRAD("in_proj_bias.grad", g.in_proj_bias,
                   central_differences(by([](Batch& b, const Array& x) { b.p.in_proj_bias = x; }),
                                       c.p.in_proj_bias),
                   kFd);
        CHECK_GRAD("out_proj.bias.grad", g.out_proj_bias,
                   central_differences(by([](Batch& b, const Array& x) { b.p.out_proj_bias = x; }),
                                       c.p.out_proj_bias),
                   kFd);
    } else {
        CHECK(g.in_proj_bias.size() == 0);
        CHECK(g.out_proj_bias.size() == 0);
    }
    const Array d_query =
            central_differences(by([](Batch& b, const Array& x) { b.query = x; }), c.query);
    if (c.self) {  // one tensor used three times: its gradient is the sum of three
        CHECK_GRAD("x.grad = query + key + value", Array(g.query + g.key + g.value), d_query, kFd);
    } else {
        CHECK_GRAD("query.grad", g.query, d_query, kFd);
        CHECK_GRAD("key.grad", g.key,
                   central_differences(by([](Batch& b, const Array& x) { b.key = x; }), c.key),
                   kFd);
        CHECK_GRAD("value.grad", g.value,
                   central_differences(by([](Batch& b, const Array& x) { b.value = x; }), c.value),
                   kFd);
    }
}

Batch random_batch(attn::Random& rng, std::size_t B, std::size_t L, std::size_t S, std::size_t E,
                   std::size_t H, bool bias = true) {
    Batch c;
    c.p = attn::random_mha_params(E, H, rng, bias);
    c.query = random_stack(rng, B, L, E);
    c.key = random_stack(rng, B, S, E);
    c.value = random_stack(rng, B, S, E);
    c.dO = random_stack(rng, B, L, E);
    return c;
}

// ---- PyTorch's fixtures ----------------------------------------------------------------

std::string fixture_dir(const std::string& sub) {
    return wbtest::fixture_path(sub);
}
bool has_file(const std::string& sub, const std::string& file) {
    return std::ifstream(fixture_dir(sub) + "/" + file).good();
}
Array fx(const std::string& sub, const std::string& file) {
    return wbtest::fixture(sub + "/" + file);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The softmax

TEST_CASE("backward: the softmax Jacobian, by hand", "[backward]") {
    // J = diag(y) − y·yᵀ, entry by entry.
    CHECK_THAT(attn::softmax_jacobian(Vector{0.25, 0.75}),
               Near(Matrix{{0.1875, -0.1875}, {-0.1875, 0.1875}}, 1e-16));
    CHECK_THAT(attn::softmax_jacobian(Vector{0.5, 0.3, 0.2}),
               Near(Matrix{{0.25, -0.15, -0.1}, {-0.15, 0.21, -0.06}, {-0.1, -0.06, 0.16}}, 1e-16));
    CHECK_THAT(attn::softmax_jacobian(Vector{1.0}), Near(Matrix{{0.0}}, 0));
}

TEST_CASE("backward: the softmax Jacobian equals central differences of the softmax",
          "[backward]") {
    attn::Random rng(1901);
    for (int trial = 0; trial < 5; ++trial) {
        const std::size_t S = rng.integer(1, 7);
        const Matrix x = rng.normal_matrix(1, S, 2.0);
        const Vector y = xt::row(attn::softmax(x), 0);
        // column j of the Jacobian is ∂softmax(x)/∂x_j
        Matrix fd = xt::zeros<double>({S, S});
        for (std::size_t i = 0; i < S; ++i) {
            const auto f = [&](const Array& z) { return attn::softmax(Matrix(z))(0, i); };
            xt::row(fd, i) = xt::row(Matrix(central_differences(f, x)), 0);
        }
        INFO("S = " << S);
        const Matrix J = attn::softmax_jacobian(y);
        CHECK_GRAD("J", J, fd, kFd);
        CHECK_THAT(J, Near(Matrix(xt::transpose(J)), 0));  // symmetric
        const Vector row_sums = xt::sum(J, {1});
        CHECK(xt::amax(xt::abs(row_sums))() < 1e-15);  // every row sums to 0
    }
}

TEST_CASE("backward: softmax_backward equals central differences on random shapes", "[backward]") {
    attn::Random rng(1902);
    for (int trial = 0; trial < 6; ++trial) {
        const std::size_t L = rng.integer(1, 6), S = rng.integer(1, 8);
        const Matrix x = rng.normal_matrix(L, S, 3.0), G = rng.normal_matrix(L, S);
        const Matrix dx = attn::softmax_backward(attn::softmax(x), G);
        INFO("(L, S) = (" << L << ", " << S << ")");
        CHECK_GRAD("dx", dx,
                   central_differences([&](const Array& z) { return softmax_loss(z, G); }, x), kFd);
    }
}

TEST_CASE("backward: softmax_backward is each row's Jacobian times the upstream gradient",
          "[backward]") {
    attn::Random rng(1903);
    const Matrix x = rng.normal_matrix(4, 5), G = rng.normal_matrix(4, 5);
    const Matrix y = attn::softmax(x), dx = attn::softmax_backward(y, G);
    for (std::size_t i = 0; i < 4; ++i) {
        const Matrix J = attn::softmax_jacobian(xt::row(y, i));
        for (std::size_t j = 0; j < 5; ++j) {
            double sum = 0;  // (gᵀ·J)_j = Σ_k g_k·J(k, j)
            for (std::size_t k = 0; k < 5; ++k) sum += G(i, k) * J(k, j);
            CHECK(dx(i, j) == Approx(sum).margin(1e-15));
        }
    }
    // And by hand: y = [½, ½], g = [1, 0]: Σ g·y = ½, dx = [½·½, ½·(−½)] = [¼, −¼].
    CHECK_THAT(attn::softmax_backward(Matrix{{0.5, 0.5}}, Matrix{{1, 0}}),
               Near(Matrix{{0.25, -0.25}}, 0));
}

TEST_CASE("backward: softmax is blind to adding a constant to a row, so each row of dx sums to 0",
          "[backward]") {
    attn::Random rng(1904);
    const Matrix x = rng.normal_matrix(5, 6, 2.0), G = rng.normal_matrix(5, 6, 3.0);
    const Matrix dx = attn::softmax_backward(attn::softmax(x), G);
    const Vector row_sums = xt::sum(dx, {1});
    CHECK(xt::amax(xt::abs(row_sums))() < 1e-15 * 30);
    // The directional derivative along "every entry of row i + t" is Σ_j dx(i, j) = 0, and
    // the loss itself does not move.
    for (std::size_t i = 0; i < 5; ++i) {
        Matrix shifted = x;
        xt::row(shifted, i) += 0.7;
        CHECK(softmax_loss(shifted, G) == Approx(softmax_loss(x, G)).epsilon(1e-14));
    }
    // A perturbation that is not a row-wise constant moves the loss: the test above could fail.
    CHECK(std::abs(dx(0, 0)) > 1e-3);
}

TEST_CASE("backward: a saturated softmax passes back almost no gradient", "[backward]") {
    // x = c·[2, 1, 0, -1]: as c grows y tends to [1, 0, 0, 0], and dx = y ∘ (g − Σ g·y) → 0.
    const Matrix g = {{1.0, -1.0, 0.5, 2.0}};
    double previous = kInf;
    for (const double c : {1.0, 2.0, 4.0, 8.0, 16.0, 32.0}) {
        const Matrix x = Matrix{{2, 1, 0, -1}} * c;
        const double norm =
                std::sqrt(xt::sum(xt::square(attn::softmax_backward(attn::softmax(x), g)))());
        INFO("c = " << c);
        CHECK(norm < previous);
        previous = norm;
    }
    // At c = 32: y_1 ≈ e^-32 ≈ 1.3e-14, so |dx| is about 2·1.3e-14 (by hand: dx_0 ≈ −dx_1 ≈
    // y_1·(g_0 − g_1)).
    CHECK(previous < 1e-13);
    CHECK(previous > 1e-15);
}

TEST_CASE("backward: the softmax backward's input check rejects shapes that differ", "[backward]") {
    CHECK_THROWS_AS(
            attn::check_gradient("dy", Matrix{{1, 2, 3}}, "the softmax y", Matrix{{0.5, 0.5}}),
            attn::InputError);
    CHECK_THROWS_WITH(
            attn::check_gradient("dy", Matrix{{1, 2, 3}}, "the softmax y", Matrix{{0.5, 0.5}}),
            Catch::Contains("(1, 3)") && Catch::Contains("(1, 2)"));
}

// ---------------------------------------------------------------------------------------
// Scaled dot-product attention

TEST_CASE("backward: attention_backward on a case computed by hand", "[backward]") {
    // Q = [[0]]: both scores are 0, P = [½, ½]; V = [[1], [3]] so O = 2; dO = [[1]].
    // dV = Pᵀ·dO = [[½], [½]]; dP = dO·Vᵀ = [1, 3]; rowsum(dO ∘ O) = 2;
    // dS = P ∘ (dP − 2) = [−½, ½]; d_k = 1: dQ = dS·K = −½·1 + ½·(−1) = −1; dK = dSᵀ·Q = 0.
    const Matrix Q = {{0}}, K = {{1}, {-1}}, V = {{1}, {3}}, dO = {{1}};
    const attn::AttentionGrads g = attn::attention_backward(Q, K, V, dO);
    CHECK_THAT(g.dV, Near(Matrix{{0.5}, {0.5}}, 1e-16));
    CHECK_THAT(g.dP, Near(Matrix{{1, 3}}, 1e-16));
    CHECK_THAT(g.dS, Near(Matrix{{-0.5, 0.5}}, 1e-16));
    CHECK_THAT(g.dQ, Near(Matrix{{-1}}, 1e-16));
    CHECK_THAT(g.dK, Near(Matrix{{0}, {0}}, 1e-16));
    // The same with d_k = 4 (Q = 0 again, so P is still [½, ½]): dQ = dS·K / √4 = dS·K / 2.
    const Matrix Q4 = {{0, 0, 0, 0}}, K4 = {{2, 0, 0, 0}, {0, 2, 0, 0}};
    CHECK_THAT(attn::attention_backward(Q4, K4, V, dO).dQ, Near(Matrix{{-0.5, 0.5, 0, 0}}, 1e-16));
}

TEST_CASE("backward: every attention gradient equals central differences on random shapes",
          "[backward]") {
    attn::Random rng(2001);
    for (int trial = 0; trial < 8; ++trial) {
        const std::size_t L = rng.integer(1, 5), S = rng.integer(1, 6);
        const std::size_t d_k = rng.integer(1, 6), d_v = rng.integer(1, 5);
        const Matrix Q = rng.normal_matrix(L, d_k), K = rng.normal_matrix(S, d_k);
        const Matrix V = rng.normal_matrix(S, d_v), dO = rng.normal_matrix(L, d_v);
        const Matrix mask = random_mask(rng, L, S);
        for (const Matrix* m : {static_cast<const Matrix*>(nullptr), &mask}) {
            INFO("L, S, d_k, d_v = " << L << ", " << S << ", " << d_k << ", " << d_v
                                     << (m ? ", masked" : ""));
            const attn::AttentionGrads g = attn::attention_backward(Q, K, V, dO, m);
            CHECK_GRAD("dQ", g.dQ,
                       central_differences(
                               [&](const Array& x) { return attention_loss(x, K, V, dO, m); }, Q),
                       kFd);
            CHECK_GRAD("dK", g.dK,
                       central_differences(
                               [&](const Array& x) { return attention_loss(Q, x, V, dO, m); }, K),
                       kFd);
            CHECK_GRAD("dV", g.dV,
                       central_differences(
                               [&](const Array& x) { return attention_loss(Q, K, x, dO, m); }, V),
                       kFd);
            // dP: the loss as a function of the weights P, Σ dO ∘ (P·V)
            const Matrix P = attn::attention(Q, K, V, m).weights;
            CHECK_GRAD("dP", g.dP,
                       central_differences(
                               [&](const Array& x) {
                                   return double(xt::sum(attn::weighted_sum(x, V) * dO)());
                               },
                               P),
                       kFd);
            // dS: the loss as a function of the scaled scores S (mask included)
            const Matrix Sc = attn::attention(Q, K, V, m).scaled_scores;
            const Matrix finite = xt::where(xt::isinf(Sc), 0.0, Sc);  // move only the finite ones
            const Array fd_S = central_differences(
                    [&](const Array& x) {
                        const Matrix s = xt::where(xt::isinf(Sc), Sc, x);
                        return double(xt::sum(attn::weighted_sum(attn::softmax(s), V) * dO)());
                    },
                    finite);
            CHECK_GRAD("dS", g.dS, fd_S, kFd);
        }
    }
}

TEST_CASE("backward: the loop version equals the vectorised one", "[backward]") {
    attn::Random rng(2002);
    for (int trial = 0; trial < 5; ++trial) {
        const std::size_t L = rng.integer(1, 6), S = rng.integer(1, 6);
        const std::size_t d_k = rng.integer(1, 5), d_v = rng.integer(1, 5);
        const Matrix Q = rng.normal_matrix(L, d_k), K = rng.normal_matrix(S, d_k);
        const Matrix V = rng.normal_matrix(S, d_v), dO = rng.normal_matrix(L, d_v);
        const Matrix mask = random_mask(rng, L, S);
        for (const Matrix* m : {static_cast<const Matrix*>(nullptr), &mask}) {
            const attn::AttentionGrads a = attn::attention_backward(Q, K, V, dO, m);
            const attn::AttentionGrads b = attn::attention_backward_loop(Q, K, V, dO, m);
            CHECK_THAT(b.dQ, Near(a.dQ, 1e-12));
            CHECK_THAT(b.dK, Near(a.dK, 1e-12));
            CHECK_THAT(b.dV, Near(a.dV, 1e-12));
            CHECK_THAT(b.dP, Near(a.dP, 1e-12));
            CHECK_THAT(b.dS, Near(a.dS, 1e-12));
        }
    }
}

TEST_CASE("backward: dS's row term rowsum(dO ∘ O) equals rowsum(dP ∘ P)", "[backward]") {
    attn::Random rng(2003);
    const Matrix Q = rng.normal_matrix(4, 3), K = rng.normal_matrix(6, 3),
                 V = rng.normal_matrix(6, 5);
    const Matrix dO = rng.normal_matrix(4, 5);
    const attn::Attention a = attn::attention(Q, K, V);
    const attn::AttentionGrads g = attn::attention_backward(Q, K, V, dO);
    const Vector by_output = xt::sum(dO * a.output, {1}),
                 by_weights = xt::sum(g.dP * a.weights, {1});
    CHECK_THAT(by_output, Near(by_weights, 1e-13));
    // and so dS is the softmax backward of dP
    CHECK_THAT(g.dS, Near(attn::softmax_backward(a.weights, g.dP), 1e-13));
}

TEST_CASE("backward: no gradient reaches a masked position", "[backward]") {
    attn::Random rng(2004);
    const std::size_t L = 4, S = 5;
    const Matrix Q = rng.normal_matrix(L, 3), K = rng.normal_matrix(S, 3),
                 V = rng.normal_matrix(S, 2);
    const Matrix dO = rng.normal_matrix(L, 2);
    Matrix mask = xt::zeros<double>({L, S});
    xt::col(mask, 3) = -kInf;         // key 3 blocked for every query
    mask(0, 1) = mask(2, 4) = -kInf;  // and two single positions
    const attn::AttentionGrads g = attn::attention_backward(Q, K, V, dO, &mask);
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t j = 0; j < S; ++j) {
            INFO("query " << i << ", key " << j);
            if (std::isinf(mask(i, j)))
                CHECK(g.dS(i, j) == 0.0);
            else
                CHECK(g.dS(i, j) != 0.0);
        }
    // key 3 is seen by nobody: its key and its value get exactly zero gradient
    CHECK(xt::all(xt::equal(xt::row(g.dK, 3), 0.0)));
    CHECK(xt::all(xt::equal(xt::row(g.dV, 3), 0.0)));
    CHECK(xt::any(xt::not_equal(xt::row(g.dK, 2), 0.0)));
    // dP does not know the mask (dO·Vᵀ): the softmax is where the gradient stops
    CHECK(xt::all(xt::not_equal(xt::col(g.dP, 3), 0.0)));
    // and moving a blocked key does not move the loss at all
    Matrix K_moved = K;
    xt::row(K_moved, 3) += 5.0;
    CHECK(attention_loss(Q, K_moved, V, dO, &mask) == attention_loss(Q, K, V, dO, &mask));
}

TEST_CASE("backward: a fully masked row: NaN in its row of dQ and in all of dK and dV",
          "[backward]") {
    attn::Random rng(2005);
    const Matrix Q = rng.normal_matrix(3, 2), K = rng.normal_matrix(4, 2),
                 V = rng.normal_matrix(4, 2);
    const Matrix dO = rng.normal_matrix(3, 2);
    Matrix mask = xt::zeros<double>({3, 4});
    xt::row(mask, 1) = -kInf;  // query 1 may see nothing
    for (const bool loops : {false, true}) {
        INFO((loops ? "attention_backward_loop" : "attention_backward"));
        const attn::AttentionGrads g = loops ? attn::attention_backward_loop(Q, K, V, dO, &mask)
                                             : attn::attention_backward(Q, K, V, dO, &mask);
        CHECK(xt::all(xt::isnan(xt::row(g.dQ, 1))));
        CHECK_FALSE(xt::any(xt::isnan(xt::row(g.dQ, 0))));
        CHECK_FALSE(xt::any(xt::isnan(xt::row(g.dQ, 2))));
        CHECK(xt::all(xt::isnan(g.dK)));
        CHECK(xt::all(xt::isnan(g.dV)));
        CHECK(xt::all(xt::isnan(xt::row(g.dS, 1))));
        CHECK_FALSE(xt::any(xt::isnan(xt::row(g.dS, 0))));
        CHECK_FALSE(xt::any(xt::isnan(g.dP)));  // dO·Vᵀ: the NaN starts at the softmax
    }
}

TEST_CASE("backward: attention_backward matches PyTorch's autograd (float64)", "[backward]") {
    for (const std::string c :
         {"toy", "toy_causal", "cross", "masked", "float_mask", "fully_masked"}) {
        SECTION(c) {
            const std::string dir = "attention_backward/" + c;
            const Matrix Q = fx(dir, "query.npy"), K = fx(dir, "key.npy"), V = fx(dir, "value.npy");
            const Matrix dO = fx(dir, "grad_output.npy");
            std::optional<Matrix> mask;
            if (has_file(dir, "attn_mask.npy"))
                mask = Matrix(
                        attn::additive_mask(attn::load_npy(fixture_dir(dir) + "/attn_mask.npy")));
            for (const bool loops : {false, true}) {
                INFO(c << (loops ? ", loops" : ", vectorised"));
                const attn::AttentionGrads g =
                        loops ? attn::attention_backward_loop(Q, K, V, dO, mask ? &*mask : nullptr)
                              : attn::attention_backward(Q, K, V, dO, mask ? &*mask : nullptr);
                CHECK_THAT(g.dQ, Near(fx(dir, "dQ.npy"), 1e-12));
                CHECK_THAT(g.dK, Near(fx(dir, "dK.npy"), 1e-12));
                CHECK_THAT(g.dV, Near(fx(dir, "dV.npy"), 1e-12));
                CHECK_THAT(g.dP, Near(fx(dir, "dP.npy"), 1e-12));
                CHECK_THAT(g.dS, Near(fx(dir, "dS.npy"), 1e-12));
            }
        }
    }
}

TEST_CASE(
        "backward: with masked_fill, PyTorch zeroes the blocked scores' gradient: 0, not NaN, in "
        "dQ",
        "[backward]") {
    // fully_masked_fill: query 2 sees no key, and the mask was applied with masked_fill, whose
    // backward sets the gradient of every blocked score to 0 (an added −∞ passes it on).
    const std::string dir = "attention_backward/fully_masked_fill";
    const Matrix Q = fx(dir, "query.npy"), K = fx(dir, "key.npy"), V = fx(dir, "value.npy");
    const Matrix dO = fx(dir, "grad_output.npy");
    const Matrix mask = attn::additive_mask(attn::load_npy(fixture_dir(dir) + "/attn_mask.npy"));
    const attn::AttentionGrads g = attn::attention_backward(Q, K, V, dO, &mask);
    CHECK(xt::all(xt::isnan(xt::row(g.dQ, 2))));  // ours: the −∞ was added
    const Matrix dS_filled = xt::where(xt::isinf(mask), 0.0, g.dS);
    const double scale = 1 / std::sqrt(double(Q.shape(1)));
    CHECK_THAT(Matrix(attn::weighted_sum(dS_filled, K) * scale), Near(fx(dir, "dQ.npy"), 1e-12));
    CHECK(xt::all(xt::equal(xt::row(fx(dir, "dQ.npy"), 2), 0.0)));
    CHECK_FALSE(xt::any(xt::isnan(fx(dir, "dK.npy"))));  // and dK is finite
    CHECK_THAT(g.dV, Near(fx(dir, "dV.npy"), 1e-12));    // NaN in both
    CHECK(xt::all(xt::isnan(g.dV)));
}

TEST_CASE("backward: attention_backward's input check rejects shapes that do not fit",
          "[backward]") {
    const Matrix Q = xt::ones<double>({3, 4}), K = xt::ones<double>({2, 4}),
                 V = xt::ones<double>({2, 5});
    CHECK_THROWS_WITH(
            attn::check_attention_backward(Q, K, V, nullptr, xt::ones<double>({3, 4})),
            Catch::Contains("dO") && Catch::Contains("(3, 4)") && Catch::Contains("(3, 5)"));
    CHECK_THROWS_AS(attn::check_attention_backward(Q, K, V, nullptr, xt::ones<double>({2, 5})),
                    attn::InputError);
    CHECK_THROWS_AS(attn::check_attention_backward(Q, xt::ones<double>({2, 3}), V, nullptr,
                                                   xt::ones<double>({3, 5})),
                    attn::InputError);
}

// ---------------------------------------------------------------------------------------
// A linear layer and multi-head attention

TEST_CASE("backward: project_backward by hand and by central differences", "[backward]") {
    // Y = X·Wᵀ + b with X = [[1, 2]], W = [[1, 0], [0, 1], [1, 1]], dY = [[1, -1, 2]]:
    // dX = dY·W = [1 + 2, −1 + 2] = [3, 1]; dW = dYᵀ·X = [[1, 2], [−1, −2], [2, 4]]; db = dY.
    const attn::ProjectGrads g = attn::project_backward(
            Matrix{{1, 2}}, Matrix{{1, 0}, {0, 1}, {1, 1}}, Matrix{{1, -1, 2}});
    CHECK_THAT(g.dX, Near(Matrix{{3, 1}}, 0));
    CHECK_THAT(g.dW, Near(Matrix{{1, 2}, {-1, -2}, {2, 4}}, 0));
    CHECK_THAT(g.db, Near(Vector{1, -1, 2}, 0));
    attn::Random rng(2101);
    const Matrix X = rng.normal_matrix(5, 3), W = rng.normal_matrix(4, 3),
                 dY = rng.normal_matrix(5, 4);
    const Vector b = xt::row(rng.normal_matrix(1, 4), 0);
    const attn::ProjectGrads r = attn::project_backward(X, W, dY);
    const auto loss = [&](const Matrix& x, const Matrix& w, const Vector& bb) {
        return double(xt::sum(attn::project(x, w, bb) * dY)());
    };
    CHECK_GRAD("dX", r.dX, central_differences([&](const Array& x) { return loss(x, W, b); }, X),
               kFd);
    CHECK_GRAD("dW", r.dW, central_differences([&](const Array& x) { return loss(X, x, b); }, W),
               kFd);
    CHECK_GRAD("db", r.db, central_differences([&](const Array& x) { return loss(X, W, x); }, b),
               kFd);
    CHECK_THROWS_AS(attn::check_projection_backward(X, W, rng.normal_matrix(5, 3)),
                    attn::InputError);
}

TEST_CASE(
        "backward: mha_backward equals central differences: self-, cross-, masked, one head, no "
        "bias",
        "[backward]") {
    attn::Random rng(2102);
    struct Shape {
        std::size_t L, S, E, H;
        bool bias, self, masked;
    };
    for (const Shape s :
         {Shape{4, 4, 6, 2, true, true, false}, Shape{3, 5, 8, 4, true, false, false},
          Shape{5, 5, 4, 1, true, true, true}, Shape{2, 4, 6, 3, false, false, true},
          Shape{1, 3, 4, 2, true, false, true}}) {
        INFO("L, S, E, H = " << s.L << ", " << s.S << ", " << s.E << ", " << s.H
                             << (s.bias ? "" : ", no bias") << (s.self ? ", self" : ", cross")
                             << (s.masked ? ", masked" : ""));
        Batch c = random_batch(rng, 1, s.L, s.S, s.E, s.H, s.bias);
        c.self = s.self;
        if (s.masked)
            c.attn_mask =
                    s.self ? Array(attn::causal_mask(s.L)) : Array(random_mask(rng, s.L, s.S));
        check_batch_by_differences(c);
        // the one-sequence form gives the same numbers as the batch of one
        const Matrix q = xt::view(c.query, 0), k = xt::view(s.self ? c.query : c.key, 0);
        const Matrix v = xt::view(s.self ? c.query : c.value, 0), dO = xt::view(c.dO, 0);
        const Matrix mask = c.attn_mask ? Matrix(*c.attn_mask) : Matrix();
        const attn::MhaGrads one =
                attn::mha_backward(c.p, q, k, v, dO, c.attn_mask ? &mask : nullptr);
        const attn::MhaBatchGrads all =
                attn::mha_backward_batch(c.p, c.query, s.self ? c.query : c.key,
                                         s.self ? c.query : c.value, c.dO, c.attn_mask);
        CHECK_THAT(one.in_proj_weight, Near(all.in_proj_weight, 1e-14));
        CHECK_THAT(one.out_proj_weight, Near(all.out_proj_weight, 1e-14));
        CHECK_THAT(one.query, Near(Matrix(xt::view(all.query, 0)), 1e-14));
        CHECK_THAT(one.value, Near(Matrix(xt::view(all.value, 0)), 1e-14));
    }
}

TEST_CASE("backward: mha_backward_batch equals central differences with every kind of mask",
          "[backward]") {
    attn::Random rng(2103);
    SECTION("causal (L, S) and key padding, self-attention") {
        Batch c = random_batch(rng, 3, 4, 4, 6, 2);
        c.self = true;
        c.attn_mask = Array(attn::causal_mask(4));
        c.key_padding_mask = Array(attn::padding_mask({4, 3, 2}, 4));
        check_batch_by_differences(c);
    }
    SECTION("one float mask per sample and head (B·H, L, S), cross-attention") {
        Batch c = random_batch(rng, 2, 3, 5, 6, 3);
        Array m = xt::empty<double>({std::size_t{6}, std::size_t{3}, std::size_t{5}});
        for (std::size_t bh = 0; bh < 6; ++bh) xt::view(m, bh) = random_mask(rng, 3, 5);
        c.attn_mask = m;
        c.key_padding_mask = Array(attn::padding_mask({5, 4}, 5));
        check_batch_by_differences(c);
    }
    SECTION("no mask, no bias, B = 2, L ≠ S") {
        Batch c = random_batch(rng, 2, 2, 3, 4, 2, false);
        check_batch_by_differences(c);
    }
}

TEST_CASE("backward: the samples of a batch do not share gradients, except the parameters' sum",
          "[backward]") {
    attn::Random rng(2104);
    const MhaParams p = attn::random_mha_params(6, 3, rng);
    Tensor3 x = random_stack(rng, 3, 4, 6), dO = random_stack(rng, 3, 4, 6);
    const Array pad = attn::padding_mask({4, 2, 3}, 4);
    const attn::MhaBatchGrads a = attn::mha_backward_batch(p, x, x, x, dO, std::nullopt, pad);
    // change sample 2 (its input and its upstream gradient): samples 0 and 1 keep every gradient
    Tensor3 x2 = x, dO2 = dO;
    xt::view(x2, 2) = rng.normal_matrix(4, 6);
    xt::view(dO2, 2) = rng.normal_matrix(4, 6);
    const attn::MhaBatchGrads b = attn::mha_backward_batch(p, x2, x2, x2, dO2, std::nullopt, pad);
    for (const auto t :
         {&attn::MhaBatchGrads::query, &attn::MhaBatchGrads::key, &attn::MhaBatchGrads::value}) {
        CHECK(xt::all(xt::equal(xt::view(a.*t, xt::range(0, 2)), xt::view(b.*t, xt::range(0, 2)))));
        CHECK_FALSE(xt::all(xt::equal(xt::view(a.*t, 2), xt::view(b.*t, 2))));
    }
    // the parameters' gradients are the sum of each sample's alone
    Matrix w_in = xt::zeros<double>({18, 6}), w_out = xt::zeros<double>({6, 6});
    Vector b_in = xt::zeros<double>({18}), b_out = xt::zeros<double>({6});
    for (std::size_t s = 0; s < 3; ++s) {
        const Matrix xs = xt::view(x, s), ds = xt::view(dO, s);
        const Matrix mask =
                xt::zeros<double>({4, 4}) + xt::view(pad, xt::range(s, s + 1), xt::all());
        const attn::MhaGrads g = attn::mha_backward(p, xs, xs, xs, ds, &mask);
        w_in += g.in_proj_weight;
        w_out += g.out_proj_weight;
        b_in += g.in_proj_bias;
        b_out += g.out_proj_bias;
        CHECK_THAT(Matrix(xt::view(a.query, s)), Near(g.query, 1e-14));
    }
    CHECK_THAT(a.in_proj_weight, Near(w_in, 1e-13));
    CHECK_THAT(a.out_proj_weight, Near(w_out, 1e-13));
    CHECK_THAT(a.in_proj_bias, Near(b_in, 1e-13));
    CHECK_THAT(a.out_proj_bias, Near(b_out, 1e-13));
}

TEST_CASE(
        "backward: mha_backward's steps: padded keys get no gradient, and out_proj.bias.grad sums "
        "dO",
        "[backward]") {
    attn::Random rng(2105);
    const MhaParams p = attn::random_mha_params(4, 2, rng);
    const Matrix x = rng.normal_matrix(3, 4), dO = rng.normal_matrix(3, 4);
    Matrix mask = xt::zeros<double>({3, 3});
    xt::col(mask, 2) = -kInf;  // token 2 is padding: no query sees it
    const attn::MhaGrads g = attn::mha_backward(p, x, x, x, dO, &mask);
    CHECK(xt::all(xt::equal(xt::row(g.key, 2), 0.0)));
    CHECK(xt::all(xt::equal(xt::row(g.value, 2), 0.0)));
    CHECK(xt::all(xt::equal(xt::row(g.dK, 2), 0.0)));
    CHECK(xt::any(xt::not_equal(xt::row(g.key, 1), 0.0)));
    // b_o was added to every row of the output: its gradient is the column sums of dO
    CHECK_THAT(g.out_proj_bias, Near(Vector(xt::sum(dO, {0})), 1e-15));
    // step 4's reverse is a split: the heads of d_concat are its column blocks
    CHECK_THAT(g.d_heads, Near(attn::split_heads(g.d_concat, 2), 0));
    CHECK_THAT(g.dQ, Near(attn::merge_heads(g.dQh), 0));
    // in_proj_weight.grad is [dW_q; dW_k; dW_v]: block 0 is dQᵀ·query
    const Matrix dQ_T = xt::transpose(g.dQ);
    Matrix dW_q = xt::zeros<double>({4, 4});
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 4; ++c)
            for (std::size_t i = 0; i < 3; ++i) dW_q(r, c) += dQ_T(r, i) * x(i, c);
    CHECK_THAT(Matrix(xt::view(g.in_proj_weight, xt::range(0, 4), xt::all())), Near(dW_q, 1e-14));
}

TEST_CASE("backward: mha_backward_batch matches PyTorch's autograd on every fixture case",
          "[backward]") {
    for (const std::string c : {"self", "unbatched", "cross", "causal_bool", "causal_float",
                                "padding", "mask3d", "one_head", "no_bias", "fully_masked"}) {
        SECTION(c) {
            const std::string dir = "multihead_backward/" + c;
            std::ifstream heads(fixture_dir(dir) + "/num_heads.txt");
            std::size_t H = 0;
            heads >> H;
            const attn::MhaCase mc = attn::load_mha_case(fixture_dir(dir), H);
            Tensor3 dO = xt::empty<double>(mc.query.shape());
            const Array G = fx(dir, "grad_output.npy");
            std::copy(G.begin(), G.end(), dO.begin());
            const attn::MhaBatchGrads g = attn::mha_backward_batch(
                    mc.params, mc.query, mc.key, mc.value, dO, mc.attn_mask, mc.key_padding_mask);
            const bool self = !has_file(dir, "key.npy");
            std::vector<std::pair<std::string, Array>> ours = {
                    {"in_proj_weight", g.in_proj_weight},
                    {"out_proj.weight", g.out_proj_weight},
                    {"query", self ? Array(g.query + g.key + g.value) : Array(g.query)}};
            if (mc.params.in_proj_bias.size() != 0) {
                ours.push_back({"in_proj_bias", g.in_proj_bias});
                ours.push_back({"out_proj.bias", g.out_proj_bias});
            } else {
                CHECK_FALSE(has_file(dir, "in_proj_bias.grad64.npy"));
            }
            if (!self) {
                ours.push_back({"key", g.key});
                ours.push_back({"value", g.value});
            }
            for (auto& [name, grad] : ours) {
                Array theirs64 = fx(dir, name + ".grad64.npy"),
                      theirs32 = fx(dir, name + ".grad.npy");
                if (grad.dimension() == 3 && !mc.batched) grad.reshape(theirs64.shape());
                INFO(c << ": " << name << ".grad");
                CHECK_THAT(grad, Near(theirs64, 1e-12));
                CHECK_GRAD(name + ".grad against the float32 run", grad, theirs32, 1e-5);
            }
        }
    }
}

TEST_CASE("backward: a fully masked row in a batch: NaN where PyTorch has NaN, numbers elsewhere",
          "[backward]") {
    // tests/fixtures/multihead_backward/fully_masked: causal, and sample 1's key 0 is padding,
    // so sample 1's query 0 sees nothing. Every parameter's gradient sums over that row, so all
    // are NaN but out_proj.bias's (the sum of dO); sample 0's input gradient stays finite.
    const std::string dir = "multihead_backward/fully_masked";
    const attn::MhaCase mc = attn::load_mha_case(fixture_dir(dir), 2);
    Tensor3 dO = fx(dir, "grad_output.npy");
    const attn::MhaBatchGrads g = attn::mha_backward_batch(mc.params, mc.query, mc.key, mc.value,
                                                           dO, mc.attn_mask, mc.key_padding_mask);
    CHECK(xt::all(xt::isnan(g.in_proj_weight)));
    CHECK(xt::all(xt::isnan(g.in_proj_bias)));
    CHECK(xt::all(xt::isnan(g.out_proj_weight)));
    CHECK_FALSE(xt::any(xt::isnan(g.out_proj_bias)));
    const Array x_grad = g.query + g.key + g.value;
    CHECK_FALSE(xt::any(xt::isnan(xt::view(x_grad, 0))));
    CHECK(xt::all(xt::isnan(xt::view(x_grad, 1))));
    // PyTorch's own gradients have the same NaNs (1.13, float32 and float64 alike)
    CHECK(xt::all(xt::isnan(fx(dir, "in_proj_weight.grad.npy"))));
    CHECK_FALSE(xt::any(xt::isnan(fx(dir, "out_proj.bias.grad64.npy"))));
    CHECK_FALSE(xt::any(xt::isnan(xt::view(fx(dir, "query.grad64.npy"), 0))));
}

TEST_CASE("backward: mha_backward's input checks reject shapes that do not fit", "[backward]") {
    attn::Random rng(2106);
    const MhaParams p = attn::random_mha_params(4, 2, rng);
    const Matrix x = rng.normal_matrix(3, 4);
    CHECK_THROWS_WITH(
            attn::check_backward_sequence(p, x, x, x, rng.normal_matrix(2, 4)),
            Catch::Contains("dO") && Catch::Contains("(2, 4)") && Catch::Contains("(3, 4)"));
    CHECK_THROWS_AS(attn::check_backward_sequence(p, x, rng.normal_matrix(3, 5), x, x),
                    attn::InputError);
    const Matrix bad_mask = xt::zeros<double>({3, 2});
    CHECK_THROWS_WITH(attn::check_backward_sequence(p, x, x, x, x, &bad_mask),
                      Catch::Contains("(3, 2)"));
    const Tensor3 q = random_stack(rng, 2, 3, 4);
    CHECK_THROWS_AS(attn::check_backward_batch(p, q, q, q, random_stack(rng, 1, 3, 4)),
                    attn::InputError);
    CHECK_THROWS_WITH(attn::check_backward_batch(p, q, q, q, q, std::nullopt,
                                                 Array(xt::zeros<double>({2, 5}))),
                      Catch::Contains("key_padding_mask"));
}

// ---------------------------------------------------------------------------------------
// The checking helpers themselves

TEST_CASE("backward: numerical_gradient and relative_error", "[backward]") {
    // f(X) = Σ X² + 3·X(0, 1): ∂f/∂X = 2X + 3 at (0, 1); central differences are exact on
    // a quadratic up to rounding.
    const Array X = Matrix{{1, -2}, {0.5, 4}};
    const auto f = [](const Array& z) { return double(xt::sum(z * z)()) + 3 * z(0, 1); };
    CHECK_THAT(attn::numerical_gradient(f, X), Near(Matrix{{2, -1}, {1, 8}}, 1e-9));
    CHECK(attn::numerical_gradient(f, X).shape() == X.shape());
    CHECK(attn::relative_error(Vector{1, 2}, Vector{1, 4}) == 0.5);
    CHECK(attn::relative_error(Vector{0, 0}, Vector{0, 0}) == 0.0);
    CHECK(attn::relative_error(Vector{NAN, 1}, Vector{NAN, 1}) == 0.0);
    CHECK(std::isinf(attn::relative_error(Vector{NAN, 1}, Vector{1, 1})));
    CHECK_THROWS_AS(attn::relative_error(Vector{1}, Vector{1, 2}), std::logic_error);
}
