// Part IV: multi-head attention five ways, in float32 (see efficient.hpp).
//
// Every method takes query (L, E), key (S, E), value (S, E) and returns the output (L, E);
// d = E / H is one head's width. The buffers each method allocates are reported to a
// MemoryMeter, and fast_extra_bytes() adds up the same buffers from the sizes alone: the
// tests check the two agree, so the memory the chapter and the benchmark print is what the
// code holds.
#include "attention/efficient.hpp"

// g++ 12 at -O3 -march=native reports -Wmaybe-uninitialized inside its own AVX-512
// intrinsics (avx512fintrin.h, through xsimd): a false positive, silenced for this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <memory>
#include <thread>

#include <xsimd/xsimd.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xview.hpp>
#include <xtensor-blas/xlinalg.hpp>  // also declares cblas_sgemm (xflens's copy of cblas.h)

#include "attention/attention.hpp"
#include "attention/mha.hpp"

// OpenBLAS's own setting (in its cblas.h, which clashes with xflens's declarations).
extern "C" void openblas_set_num_threads(int num_threads);

namespace attn {

namespace {

constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr float kLog2e = 1.44269504088896340736f;  // log2(e): e^x = 2^(x·log2 e)
constexpr std::size_t kFloat = sizeof(float);


// ---- memory accounting -------------------------------------------------------------------

// Reports `bytes` to the meter for as long as it lives (a buffer kept by someone else).
class Charge {
public:
    Charge(MemoryMeter& meter, std::size_t bytes) : meter_(meter), bytes_(bytes) { meter_.allocate(bytes_); }
    template <class T>
    Charge(MemoryMeter& meter, const T& tensor) : Charge(meter, tensor.size() * sizeof(typename T::value_type)) {}
    ~Charge() { meter_.release(bytes_); }
    Charge(const Charge&) = delete;
    Charge& operator=(const Charge&) = delete;

private:
    MemoryMeter& meter_;
    std::size_t bytes_;
};

// n floats, uninitialised (a 2 GB buffer is not zeroed for nothing), reported to the meter.
class Buffer {
public:
    Buffer(MemoryMeter& meter, std::size_t n) : data_(new float[n]), charge_(meter, n * kFloat) {}
    float* data() { return data_.get(); }

private:
    std::unique_ptr<float[]> data_;
    Charge charge_;
};

// ---- threads --------------------------------------------------------------------------------

std::size_t g_threads = 0;  // 0: not set yet, means 1

// OpenBLAS starts with one thread per core: the workbook's default is one thread in all.
std::size_t threads_now() {
    if (g_threads == 0) set_fast_threads(1);
    return g_threads;
}

// While it lives, OpenBLAS runs on one thread (our own threads each call it).
class OneBlasThread {
public:
    OneBlasThread() : n_(threads_now()) { if (n_ > 1) openblas_set_num_threads(1); }
    ~OneBlasThread() { if (n_ > 1) openblas_set_num_threads(static_cast<int>(n_)); }

private:
    std::size_t n_;
};

// Calls f(item, worker) for every item in [0, n) on `workers` threads (worker < workers).
template <class F>
void parallel_for(std::size_t n, std::size_t workers, const F& f) {
    if (workers <= 1 || n <= 1) {
        for (std::size_t i = 0; i < n; ++i) f(i, 0);
        return;
    }
    std::atomic<std::size_t> next{0};
    auto work = [&](std::size_t w) {
        for (std::size_t i; (i = next++) < n;) f(i, w);
    };
    std::vector<std::thread> pool;
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
}

// ---- the vectorised pieces of softmax -------------------------------------------------------

// xsimd picks the widest registers the compiler may use: 16 floats with AVX-512
// (-march=native in the release preset here), 4 with the baseline SSE2.
using Batch = xsimd::batch<float>;
constexpr std::size_t kLanes = Batch::size;

// The largest of x[0..n).
float max_of(const float* x, std::size_t n) {
    float m = -kInfF;
    std::size_t j = 0;
    if (n >= kLanes) {
        Batch bm = Batch::load_unaligned(x);
        for (j = kLanes; j + kLanes <= n; j += kLanes) bm = xsimd::max(bm, Batch::load_unaligned(x + j));
        alignas(64) float lanes[kLanes];
        bm.store_aligned(lanes);
        m = *std::max_element(lanes, lanes + kLanes);
    }
    for (; j < n; ++j) m = std::max(m, x[j]);
    return m;
}

// x[j] ← 2^(x[j] − m) for j in [0, n); returns their sum. The scores were multiplied by
// log2(e) already, so this is e^(s − max): a whole register of exponentials at a time
// (xsimd's exp2: 2^x = 2^round(x) · 2^r, a polynomial for 2^r with |r| ≤ 1/2, the integer
// part put straight into the float's exponent bits).
float exp2_shifted(float* x, std::size_t n, float m) {
    const Batch bm(m);
    Batch sum(0.0f);
    std::size_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
        const Batch e = xsimd::exp2(Batch::load_unaligned(x + j) - bm);
        e.store_unaligned(x + j);
        sum += e;
    }
    if (j < n) {  // the tail, padded with −∞ (2^−∞ = 0)
        alignas(64) float tail[kLanes];
        std::fill(tail, tail + kLanes, -kInfF);
        std::copy(x + j, x + n, tail);
        const Batch e = xsimd::exp2(Batch::load_aligned(tail) - bm);
        e.store_aligned(tail);
        std::copy(tail, tail + (n - j), x + j);
        sum += e;
    }
    return xsimd::hadd(sum);
}

// x[j] ← x[j]·c for j in [0, n).
void scale_row(float* x, std::size_t n, float c) {
    for (std::size_t j = 0; j < n; ++j) x[j] *= c;
}

// ---- products with OpenBLAS's sgemm, addressing slices through leading dimensions ---------

// C (n, m) = X (n, k)·Wᵀ + b: X row-major with row stride ldx, W (m, k) with stride ldw,
// b (m,) or null, C with row stride ldc. One sgemm; W is never transposed in memory.
void gemm_xwt(std::size_t n, std::size_t m, std::size_t k, const float* X, std::size_t ldx,
              const float* W, std::size_t ldw, const float* b, float* C, std::size_t ldc) {
    if (b != nullptr) {
        for (std::size_t i = 0; i < n; ++i) std::copy(b, b + m, C + i * ldc);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(m),
                static_cast<int>(k), 1.0f, X, static_cast<int>(ldx), W, static_cast<int>(ldw),
                b != nullptr ? 1.0f : 0.0f, C, static_cast<int>(ldc));
}

// The projections Q, K, V in one buffer of (L + 2S)·E floats, each addressed as a pointer
// and a row stride (head h's columns start at + h·d).
struct Projected {
    Projected(MemoryMeter& meter, std::size_t L, std::size_t S, std::size_t E)
        : buffer(meter, (L + 2 * S) * E) {}
    Buffer buffer;
    float* q = nullptr;        // (L, E) with row stride ld_q; later overwritten by the heads' outputs
    std::size_t ld_q = 0;
    const float* k = nullptr;  // (S, E) with row stride ld_k
    std::size_t ld_k = 0;
    const float* v = nullptr;  // (S, E) with row stride ld_v
    std::size_t ld_v = 0;
};

// Step 1) project, fused: self-attention (query, key and value the same matrix) is ONE
// product X·[W_q; W_k; W_v]ᵀ → (L, 3E); key = value is one product for K and V together.
void project_fused(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                   const MatrixF& value, Projected& r) {
    const std::size_t L = query.shape(0), S = key.shape(0), E = p.E;
    const float* W = p.in_proj_weight.data();
    const float* b = p.in_proj_bias.size() != 0 ? p.in_proj_bias.data() : nullptr;
    auto b_at = [&](std::size_t i) { return b != nullptr ? b + i * E : nullptr; };
    float* buf = r.buffer.data();
    if (query.data() == key.data() && key.data() == value.data()) {
        gemm_xwt(L, 3 * E, E, query.data(), E, W, E, b, buf, 3 * E);  // [Q K V] (L, 3E)
        r.q = buf, r.k = buf + E, r.v = buf + 2 * E;
        r.ld_q = r.ld_k = r.ld_v = 3 * E;
        return;
    }
    r.q = buf, r.ld_q = E;
    gemm_xwt(L, E, E, query.data(), E, W, E, b, r.q, E);  // Q (L, E)
    float* kv = buf + L * E;
    if (key.data() == value.data()) {
        gemm_xwt(S, 2 * E, E, key.data(), E, W + E * E, E, b_at(1), kv, 2 * E);  // [K V] (S, 2E)
        r.k = kv, r.v = kv + E, r.ld_k = r.ld_v = 2 * E;
    } else {
        gemm_xwt(S, E, E, key.data(), E, W + E * E, E, b_at(1), kv, E);                // K (S, E)
        gemm_xwt(S, E, E, value.data(), E, W + 2 * E * E, E, b_at(2), kv + S * E, E);  // V (S, E)
        r.k = kv, r.v = kv + S * E, r.ld_k = r.ld_v = E;
    }
}

// Step 5) output = concat·W_oᵀ + b_o, concat (L, E) with row stride ld.
MatrixF project_out(const MhaParamsF& p, const float* concat, std::size_t L, std::size_t ld) {
    MatrixF out = xt::empty<float>({L, p.E});
    gemm_xwt(L, p.E, p.E, concat, ld, p.out_proj_weight.data(), p.E,
             p.out_proj_bias.size() != 0 ? p.out_proj_bias.data() : nullptr, out.data(), p.E);
    return out;
}

// ---- 1) loops -------------------------------------------------------------------------------

// X (n, E)·W[rows r0..r0+m)ᵀ + b → (n, m), three nested loops.
MatrixF project_loops(const MatrixF& X, const MatrixF& W, const VectorF& b, std::size_t r0, std::size_t m) {
    const std::size_t n = X.shape(0), E = X.shape(1);
    MatrixF Y = xt::empty<float>({n, m});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t o = 0; o < m; ++o) {
            float sum = b.size() != 0 ? b(r0 + o) : 0.0f;
            for (std::size_t e = 0; e < E; ++e) sum += X(i, e) * W(r0 + o, e);
            Y(i, o) = sum;
        }
    }
    return Y;
}

MatrixF mha_loops(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                  const MatrixF& value, MemoryMeter& meter) {
    const std::size_t L = query.shape(0), S = key.shape(0), E = p.E, H = p.H, d = p.d_head();
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    // 1) project
    const MatrixF Q = project_loops(query, p.in_proj_weight, p.in_proj_bias, 0, E);
    const MatrixF K = project_loops(key, p.in_proj_weight, p.in_proj_bias, E, E);
    const MatrixF V = project_loops(value, p.in_proj_weight, p.in_proj_bias, 2 * E, E);
    const Charge q(meter, Q), k(meter, K), v(meter, V);
    MatrixF concat = xt::empty<float>({L, E});
    MatrixF weights = xt::empty<float>({L, S});  // one head's (L, S), reused
    const Charge c(meter, concat), w(meter, weights);
    for (std::size_t h = 0; h < H; ++h) {
        const std::size_t c0 = h * d;
        // 2) split + 3) attend, head h read from its own columns: scores, softmax, weighted sum, each with nested loops
        for (std::size_t i = 0; i < L; ++i) {
            for (std::size_t j = 0; j < S; ++j) {
                float s = 0.0f;
                for (std::size_t x = 0; x < d; ++x) s += Q(i, c0 + x) * K(j, c0 + x);
                weights(i, j) = s * scale;
            }
        }
        for (std::size_t i = 0; i < L; ++i) {
            float m = -kInfF, sum = 0.0f;
            for (std::size_t j = 0; j < S; ++j) m = std::max(m, weights(i, j));
            for (std::size_t j = 0; j < S; ++j) sum += weights(i, j) = std::exp(weights(i, j) - m);
            for (std::size_t j = 0; j < S; ++j) weights(i, j) /= sum;
        }
        // 4) merge: head h's output goes to its own columns of concat
        for (std::size_t i = 0; i < L; ++i) {
            for (std::size_t x = 0; x < d; ++x) {
                float o = 0.0f;
                for (std::size_t j = 0; j < S; ++j) o += weights(i, j) * V(j, c0 + x);
                concat(i, c0 + x) = o;
            }
        }
    }
    // 5) output projection
    return project_loops(concat, p.out_proj_weight, p.out_proj_bias, 0, E);
}

// ---- 2) xtensor expressions -----------------------------------------------------------------

// X (n, E)·W[rows r0..r0+m)ᵀ + b as one broadcasting expression: (n, 1, E) * (1, m, E),
// summed over the last axis. Lazy: the (n, m, E) product is never stored.
MatrixF project_xtensor(const MatrixF& X, const MatrixF& W, const VectorF& b, std::size_t r0, std::size_t m) {
    auto rows = xt::range(r0, r0 + m);
    MatrixF Y = xt::sum(xt::view(X, xt::all(), xt::newaxis(), xt::all()) *
                            xt::view(W, xt::newaxis(), rows, xt::all()),
                        {2});
    if (b.size() != 0) xt::noalias(Y) += xt::view(b, rows);
    return Y;
}

MatrixF mha_xtensor(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                    const MatrixF& value, MemoryMeter& meter) {
    const std::size_t L = query.shape(0), E = p.E, H = p.H, d = p.d_head();
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    // 1) project
    const MatrixF Q = project_xtensor(query, p.in_proj_weight, p.in_proj_bias, 0, E);
    const MatrixF K = project_xtensor(key, p.in_proj_weight, p.in_proj_bias, E, E);
    const MatrixF V = project_xtensor(value, p.in_proj_weight, p.in_proj_bias, 2 * E, E);
    const Charge q(meter, Q), k(meter, K), v(meter, V);
    MatrixF concat = xt::empty<float>({L, E});
    const Charge c(meter, concat);
    for (std::size_t h = 0; h < H; ++h) {
        auto cols = xt::range(h * d, (h + 1) * d);
        // 2) split + 3) attend, on views of head h's columns. Scores: (L, 1, d) * (1, S, d) summed over d, on views (no copies).
        MatrixF weights = scale * xt::sum(xt::view(Q, xt::all(), xt::newaxis(), cols) *
                                              xt::view(K, xt::newaxis(), xt::all(), cols),
                                          {2});
        const Charge w(meter, weights);
        {   // softmax in place; the row max and sum are named tensors (xtensor 0.24.3
            // misreads a lazy keep_dims reduction: docs/maintainers.dox)
            const MatrixF row_max = xt::amax(weights, {1}, xt::keep_dims);
            const Charge rm(meter, row_max);
            xt::noalias(weights) = xt::exp(weights - row_max);
            const MatrixF row_sum = xt::sum(weights, {1}, xt::keep_dims);
            const Charge rs(meter, row_sum);
            xt::noalias(weights) /= row_sum;
        }
        // 3) attend (weights·V) + 4) merge: (L, S, 1) * (1, S, d) summed over S, straight into head h's columns
        xt::noalias(xt::view(concat, xt::all(), cols)) =
            xt::sum(xt::view(weights, xt::all(), xt::all(), xt::newaxis()) *
                        xt::view(V, xt::newaxis(), xt::all(), cols),
                    {1});
    }
    // 5) output projection
    return project_xtensor(concat, p.out_proj_weight, p.out_proj_bias, 0, E);
}

// ---- 3) BLAS products with xt::linalg::dot ------------------------------------------------

MatrixF mha_blas(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                 const MatrixF& value, MemoryMeter& meter) {
    const std::size_t L = query.shape(0), E = p.E, H = p.H, d = p.d_head();
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    // 0) the weights transposed once, as contiguous (E, E) matrices: dot() hands a
    //    contiguous operand straight to sgemm, and silently copies a transposed view.
    auto block_T = [&](std::size_t i) -> MatrixF {
        return xt::transpose(xt::view(p.in_proj_weight, xt::range(i * E, (i + 1) * E), xt::all()));
    };
    const MatrixF W_qT = block_T(0), W_kT = block_T(1), W_vT = block_T(2);
    const MatrixF W_oT = xt::transpose(p.out_proj_weight);
    const Charge wq(meter, W_qT), wk(meter, W_kT), wv(meter, W_vT), wo(meter, W_oT);
    const bool bias = p.in_proj_bias.size() != 0;
    MatrixF concat = xt::empty<float>({L, E});
    const Charge c(meter, concat);
    {
        // 1) project: one sgemm each. dot() returns an xarray; keeping it as one moves it
        //    instead of copying it into an xtensor.
        xt::xarray<float> Q = xt::linalg::dot(query, W_qT);
        xt::xarray<float> K = xt::linalg::dot(key, W_kT);
        xt::xarray<float> V = xt::linalg::dot(value, W_vT);
        const Charge q(meter, Q), k(meter, K), v(meter, V);
        if (bias) {
            xt::noalias(Q) += xt::view(p.in_proj_bias, xt::range(0, E));
            xt::noalias(K) += xt::view(p.in_proj_bias, xt::range(E, 2 * E));
            xt::noalias(V) += xt::view(p.in_proj_bias, xt::range(2 * E, 3 * E));
        }
        for (std::size_t h = 0; h < H; ++h) {
            auto cols = xt::range(h * d, (h + 1) * d);
            // 2) split: the head's columns copied once into contiguous matrices
            //    (a column slice is not contiguous: dot() would copy it anyway, unseen)
            const MatrixF Qh = xt::view(Q, xt::all(), cols);
            const MatrixF KhT = xt::transpose(xt::view(K, xt::all(), cols));  // (d, S)
            const MatrixF Vh = xt::view(V, xt::all(), cols);
            const Charge qh(meter, Qh), kh(meter, KhT), vh(meter, Vh);
            // 3) attend: scores (L, S) = one sgemm, softmax in place, weights·V one sgemm
            xt::xarray<float> weights = xt::linalg::dot(Qh, KhT);
            const Charge w(meter, weights);
            const MatrixF row_max = scale * xt::amax(weights, {1}, xt::keep_dims);
            const Charge rm(meter, row_max);
            xt::noalias(weights) = xt::exp(scale * weights - row_max);
            const MatrixF row_sum = xt::sum(weights, {1}, xt::keep_dims);
            const Charge rs(meter, row_sum);
            xt::noalias(weights) /= row_sum;
            const xt::xarray<float> out_h = xt::linalg::dot(weights, Vh);
            const Charge oh(meter, out_h);
            xt::noalias(xt::view(concat, xt::all(), cols)) = out_h;
        }
    }
    // 4) merge done in place; 5) output projection (Q, K and V are gone by now)
    xt::xarray<float> out = xt::linalg::dot(concat, W_oT);
    const Charge o(meter, out);
    if (p.out_proj_bias.size() != 0) xt::noalias(out) += p.out_proj_bias;
    return out;  // copied into the (L, E) result
}

// ---- 4) all heads batched, projections fused ------------------------------------------------

MatrixF mha_batched(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                    const MatrixF& value, MemoryMeter& meter) {
    const std::size_t L = query.shape(0), S = key.shape(0), H = p.H, d = p.d_head();
    // Scores are scaled by log2(e)/√d inside sgemm, so that softmax can use 2^x.
    const float alpha = kLog2e / std::sqrt(static_cast<float>(d));
    // 1) project: one product for Q, K and V
    Projected pr(meter, L, S, p.E);
    project_fused(p, query, key, value, pr);
    // 2) split + 3) attend: every head's scores at once: (H, L, S), head h from its slice of Q and K
    //    (pointer + h·d, row stride ld): no copy, no transpose.
    Buffer P(meter, H * L * S);
    for (std::size_t h = 0; h < H; ++h) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(L), static_cast<int>(S),
                    static_cast<int>(d), alpha, pr.q + h * d, static_cast<int>(pr.ld_q),
                    pr.k + h * d, static_cast<int>(pr.ld_k), 0.0f, P.data() + h * L * S, static_cast<int>(S));
    }
    // 3) (attend) softmax over all H·L rows (vectorised exp)
    {
        const OneBlasThread one;
        parallel_for(H * L, threads_now(), [&](std::size_t r, std::size_t) {
            float* row = P.data() + r * S;
            scale_row(row, S, 1.0f / exp2_shifted(row, S, max_of(row, S)));
        });
    }
    // 3) (attend) weights·V per head + 4) merge: written into head h's columns of the Q buffer: Q is no longer
    //    needed, so the concatenated heads take its place.
    for (std::size_t h = 0; h < H; ++h) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(L), static_cast<int>(d),
                    static_cast<int>(S), 1.0f, P.data() + h * L * S, static_cast<int>(S), pr.v + h * d,
                    static_cast<int>(pr.ld_v), 0.0f, pr.q + h * d, static_cast<int>(pr.ld_q));
    }
    // 5) output projection
    return project_out(p, pr.q, L, pr.ld_q);
}

// ---- 5) tiled, online softmax ---------------------------------------------------------------

// One worker's tiles: scores (bq, bk), output (bq, d), running max m and sum l (bq).
struct TileScratch {
    TileScratch(MemoryMeter& meter, std::size_t bq, std::size_t bk, std::size_t d)
        : S(meter, bq * bk), O(meter, bq * d), m(meter, bq), l(meter, bq) {}
    Buffer S, O, m, l;
};

// Head h, query rows [i0, i0 + nq): attention over every key, bk keys at a time, never
// holding more than (nq, bk) scores. Writes softmax(Q·Kᵀ/√d)·V for these rows into head
// h's columns of the Q buffer (its queries are no longer needed once the tile is done).
void attend_tile(const Projected& pr, std::size_t S, std::size_t d, std::size_t h, std::size_t i0,
                 std::size_t nq, std::size_t bk, float alpha, TileScratch& t) {
    float* Qb = pr.q + i0 * pr.ld_q + h * d;  // (nq, d), row stride ld_q
    float* St = t.S.data();                   // (nq, bk), row stride bk
    float* O = t.O.data();                    // (nq, d), row stride d
    float* m = t.m.data();
    float* l = t.l.data();
    std::fill(m, m + nq, -kInfF);
    std::fill(l, l + nq, 0.0f);
    //! [tiled]
    for (std::size_t j0 = 0; j0 < S; j0 += bk) {
        const std::size_t nk = std::min(bk, S - j0);
        // a) this block's scores, times log2(e)/√d: (nq, nk) = Q_tile·K_blockᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nq), static_cast<int>(nk),
                    static_cast<int>(d), alpha, Qb, static_cast<int>(pr.ld_q),
                    pr.k + j0 * pr.ld_k + h * d, static_cast<int>(pr.ld_k), 0.0f, St, static_cast<int>(bk));
        // b) online softmax: a new max rescales what was summed so far by 2^(m_old − m_new)
        for (std::size_t r = 0; r < nq; ++r) {
            float* row = St + r * bk;
            const float m_new = std::max(m[r], max_of(row, nk));
            const float sum = exp2_shifted(row, nk, m_new);
            const float correction = std::exp2(m[r] - m_new);  // 0 for the first block
            l[r] = l[r] * correction + sum;
            m[r] = m_new;
            if (j0 > 0 && correction != 1.0f) scale_row(O + r * d, d, correction);
        }
        // c) o += p·V_block: (nq, d) += (nq, nk)·(nk, d)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nq), static_cast<int>(d),
                    static_cast<int>(nk), 1.0f, St, static_cast<int>(bk), pr.v + j0 * pr.ld_v + h * d,
                    static_cast<int>(pr.ld_v), j0 > 0 ? 1.0f : 0.0f, O, static_cast<int>(d));
    }
    // d) divide by the sums once at the end, into the queries' place
    for (std::size_t r = 0; r < nq; ++r) {
        const float inv = 1.0f / l[r];
        for (std::size_t x = 0; x < d; ++x) Qb[r * pr.ld_q + x] = O[r * d + x] * inv;
    }
    //! [tiled]
}

std::size_t tile_workers(std::size_t L, std::size_t H, std::size_t bq, std::size_t threads) {
    return std::max<std::size_t>(1, std::min(threads, H * ((L + bq - 1) / bq)));
}

MatrixF mha_tiled(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                  const MatrixF& value, const Tiles& tiles, MemoryMeter& meter) {
    const std::size_t L = query.shape(0), S = key.shape(0), H = p.H, d = p.d_head();
    const std::size_t bq = std::min(tiles.block_q, L), bk = std::min(tiles.block_k, S);
    const float alpha = kLog2e / std::sqrt(static_cast<float>(d));
    // 1) project: one product for Q, K and V
    Projected pr(meter, L, S, p.E);
    project_fused(p, query, key, value, pr);
    // 2) split + 3) attend + 4) merge: every (head, query tile) on its own, as many at once as there are threads
    const std::size_t q_tiles = (L + bq - 1) / bq;
    const std::size_t workers = tile_workers(L, H, bq, threads_now());
    std::vector<std::unique_ptr<TileScratch>> scratch;
    for (std::size_t w = 0; w < workers; ++w) scratch.push_back(std::make_unique<TileScratch>(meter, bq, bk, d));
    {
        const OneBlasThread one;
        parallel_for(H * q_tiles, workers, [&](std::size_t item, std::size_t w) {
            const std::size_t h = item / q_tiles, i0 = (item % q_tiles) * bq;
            attend_tile(pr, S, d, h, i0, std::min(bq, L - i0), bk, alpha, *scratch[w]);
        });
    }
    // 5) output projection, from the heads' outputs in the Q buffer
    return project_out(p, pr.q, L, pr.ld_q);
}

}  // namespace

// ---- public functions -------------------------------------------------------------------------

namespace {
// The same parameters in another precision: E and H kept, every array cast.
template <class To, class From>
To cast_params(const From& p) {
    using T = typename decltype(To::in_proj_weight)::value_type;
    To out;
    out.E = p.E;
    out.H = p.H;
    out.in_proj_weight = xt::cast<T>(p.in_proj_weight);
    out.in_proj_bias = xt::cast<T>(p.in_proj_bias);
    out.out_proj_weight = xt::cast<T>(p.out_proj_weight);
    out.out_proj_bias = xt::cast<T>(p.out_proj_bias);
    return out;
}
}  // namespace

MhaParamsF to_float(const MhaParams& p) { return cast_params<MhaParamsF>(p); }
MhaParams to_double(const MhaParamsF& p) { return cast_params<MhaParams>(p); }
MatrixF to_float(const Matrix& m) { return xt::cast<float>(m); }
Matrix to_double(const MatrixF& m) { return xt::cast<double>(m); }

const std::vector<FastMethod>& fast_methods() {
    static const std::vector<FastMethod> all{FastMethod::loops, FastMethod::xtensor, FastMethod::blas,
                                             FastMethod::batched, FastMethod::tiled};
    return all;
}

std::string method_name(FastMethod m) {
    switch (m) {
        case FastMethod::loops: return "loops";
        case FastMethod::xtensor: return "xtensor";
        case FastMethod::blas: return "blas";
        case FastMethod::batched: return "batched";
        case FastMethod::tiled: return "tiled";
    }
    return "?";
}

void MemoryMeter::allocate(std::size_t bytes) {
    current_ += bytes;
    peak_ = std::max(peak_, current_);
}

void MemoryMeter::release(std::size_t bytes) { current_ -= std::min(bytes, current_); }

FastResult fast_mha(FastMethod method, const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                    const MatrixF& value, const Tiles& tiles) {
    threads_now();
    MemoryMeter meter;
    FastResult r;
    switch (method) {
        case FastMethod::loops: r.output = mha_loops(p, query, key, value, meter); break;
        case FastMethod::xtensor: r.output = mha_xtensor(p, query, key, value, meter); break;
        case FastMethod::blas: r.output = mha_blas(p, query, key, value, meter); break;
        case FastMethod::batched: r.output = mha_batched(p, query, key, value, meter); break;
        case FastMethod::tiled: r.output = mha_tiled(p, query, key, value, tiles, meter); break;
    }
    r.peak_bytes = meter.peak();
    return r;
}

std::size_t fast_extra_bytes(FastMethod method, std::size_t L, std::size_t S, std::size_t E,
                             std::size_t H, const Tiles& tiles, std::size_t threads) {
    if (L == 0 || S == 0 || H == 0 || E % H != 0 || tiles.block_q == 0 || tiles.block_k == 0) {
        throw std::invalid_argument("fast_extra_bytes: L, S, H and the tiles must be at least 1, and H must divide E");
    }
    const std::size_t d = E / H;
    const std::size_t qkv = (L + 2 * S) * E;  // the projections, every method
    std::size_t floats = 0;
    switch (method) {
        case FastMethod::loops:  // + concat and one head's weights
            floats = qkv + L * E + L * S;
            break;
        case FastMethod::xtensor:  // + concat, one head's weights, its row max and sum
            floats = qkv + L * E + L * S + 2 * L;
            break;
        case FastMethod::blas:  // + 4 transposed weights, concat, one head's copies and weights
            floats = 4 * E * E + qkv + L * E + (2 * L + 2 * S) * d + L * S + 2 * L;
            break;
        case FastMethod::batched:  // + every head's weights
            floats = qkv + H * L * S;
            break;
        case FastMethod::tiled: {  // + each worker's tiles
            const std::size_t bq = std::min(tiles.block_q, L), bk = std::min(tiles.block_k, S);
            floats = qkv + tile_workers(L, H, bq, threads) * (bq * bk + bq * d + 2 * bq);
            break;
        }
    }
    return floats * kFloat;
}

std::size_t weights_bytes(std::size_t L, std::size_t S, std::size_t H) { return H * L * S * kFloat; }

MhaFlops mha_flop_count(std::size_t L, std::size_t S, std::size_t E) {
    const double l = static_cast<double>(L), s = static_cast<double>(S), e = static_cast<double>(E);
    MhaFlops f;
    f.projections = 2.0 * (l + 2.0 * s) * e * e + 2.0 * l * e * e;
    f.attention = 2.0 * 2.0 * l * s * e;
    return f;
}

double mha_flops(std::size_t L, std::size_t S, std::size_t E) { return mha_flop_count(L, S, E).total(); }

void set_fast_threads(std::size_t n) {
    g_threads = std::max<std::size_t>(1, n);
    openblas_set_num_threads(static_cast<int>(g_threads));
}

std::size_t fast_threads() { return threads_now(); }

OnlineTrace online_softmax_trace(const Vector& scores, const Matrix& V, std::size_t block) {
    if (block == 0) throw std::invalid_argument("the block size must be at least 1");
    if (V.shape(0) != scores.size()) {
        throw std::invalid_argument("scores " + shape_str(scores.shape()) + " and V " + shape_str(V.shape()) +
                         " must have one value row per score");
    }
    if (scores.size() == 0) throw std::invalid_argument("the row of scores is empty");
    const std::size_t S = scores.size(), dv = V.shape(1), blocks = (S + block - 1) / block;
    const double minus_inf = -std::numeric_limits<double>::infinity();  // a masked key's score
    OnlineTrace t;
    t.acc = xt::zeros<double>({blocks, dv});
    double m = -std::numeric_limits<double>::infinity(), l = 0.0;
    Vector o = xt::zeros<double>({dv});
    for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t j0 = b * block, j1 = std::min(S, j0 + block);
        double m_new = m;  // 1) the block's max against the running max
        for (std::size_t j = j0; j < j1; ++j) m_new = std::max(m_new, scores(j));
        // 2) what was summed so far, rescaled (while every score so far is -inf, nothing was)
        const double correction = m_new == minus_inf ? 1.0 : std::exp(m - m_new);
        l *= correction;
        o *= correction;
        for (std::size_t j = j0; j < j1; ++j) {  // 3) this block's exp(s − m), summed and weighted
            const double e = m_new == minus_inf ? 0.0 : std::exp(scores(j) - m_new);
            l += e;
            o += e * xt::row(V, j);
        }
        m = m_new;
        t.max.push_back(m);
        t.sum.push_back(l);
        xt::row(t.acc, b) = o;
    }
    t.output = o / l;  // 4) divide once, at the end
    return t;
}

Matrix mha_reference(const MhaParams& p, const Matrix& query, const Matrix& key, const Matrix& value,
                     std::size_t rows) {
    if (rows == 0) rows = 1;
    const std::size_t L = query.shape(0), E = p.E;
    const Tensor3 Kh = split_heads(project(key, p.W_k(), p.b_k()), p.H);
    const Tensor3 Vh = split_heads(project(value, p.W_v(), p.b_v()), p.H);
    const Matrix W_q = p.W_q();
    const Vector b_q = p.b_q(), b_o = p.b_o();
    Matrix out = xt::empty<double>({L, E});
    for (std::size_t i0 = 0; i0 < L; i0 += rows) {
        auto r = xt::range(i0, std::min(L, i0 + rows));
        const Matrix q = xt::view(query, r, xt::all());
        const Tensor3 Qh = split_heads(project(q, W_q, b_q), p.H);
        const Matrix concat = merge_heads(attend_heads(Qh, Kh, Vh).output);
        xt::view(out, r, xt::all()) = project(concat, p.out_proj_weight, b_o);
    }
    return out;
}


}  // namespace attn
