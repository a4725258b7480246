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
#include <memory>
#include <stdexcept>
#include <thread>

#include <xsimd/xsimd.hpp>
#include <xtensor-blas/xlinalg.hpp>  // also declares cblas_sgemm (xflens's copy of cblas.h)
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xview.hpp>

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
    Charge(MemoryMeter& meter, std::size_t bytes) : meter_(meter), bytes_(bytes) {
        meter_.allocate(bytes_);
    }
    template <class T>
    Charge(MemoryMeter& meter, const T& tensor)
        : Charge(meter, tensor.size() * sizeof(typename T::value_type)) {}
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

// While it lives, OpenBLAS runs on one thread: the batched and tiled methods split their work
// over their own threads (gemm() below, parallel_for), so that OpenBLAS's threads, idle but
// spinning for a while after each product they share, never compete with ours for the cores.
class OneBlasThread {
public:
    OneBlasThread() : n_(threads_now()) {
        if (n_ > 1) openblas_set_num_threads(1);
    }
    ~OneBlasThread() {
        if (n_ > 1) openblas_set_num_threads(static_cast<int>(n_));
    }

private:
    std::size_t n_;
};

// True on a thread while it works for parallel_for: what it calls runs on that thread alone.
thread_local bool t_in_worker = false;

// Calls f(item, worker) for every item in [0, n) on `workers` threads (worker < workers).
template <class F>
void parallel_for(std::size_t n, std::size_t workers, const F& f) {
    if (workers <= 1 || n <= 1) {
        for (std::size_t i = 0; i < n; ++i) f(i, 0);
        return;
    }
    std::atomic<std::size_t> next{0};
    auto work = [&](std::size_t w) {
        const bool was = t_in_worker;
        t_in_worker = true;
        for (std::size_t i; (i = next++) < n;) f(i, w);
        t_in_worker = was;
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
        for (j = kLanes; j + kLanes <= n; j += kLanes)
            bm = xsimd::max(bm, Batch::load_unaligned(x + j));
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

// C (m, n) = α·op(A)·op(B) + β·C, row-major, op(X) = Xᵀ where asked: one cblas_sgemm with
// the sizes as size_t, on the calling thread.
void blas_gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
               const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
               float* C, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb),
                beta, C, static_cast<int>(ldc));
}

// The same product, its rows of C split over the threads (set_fast_threads) when it is
// large and not already inside a worker: rows [i0, i0 + r) of C need rows [i0, i0 + r) of
// op(A) (A + i0·lda, or columns A + i0 when op(A) = Aᵀ) and all of op(B). Each share is a
// multiple of 16 rows, the height of OpenBLAS's kernel.
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
          std::size_t ldc) {
    constexpr double kSplitFlops = 1 << 24;  // below ~16 Mflop a thread costs more than it saves
    const std::size_t threads = t_in_worker ? 1 : threads_now();  // threads_now() >= 1
    const std::size_t share = (m / threads + 15) / 16 * 16;       // 0 when m < threads
    if (threads == 1 || share == 0 || 2.0 * double(m) * double(n) * double(k) < kSplitFlops) {
        blas_gemm(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    const std::size_t parts = (m + share - 1) / share;
    parallel_for(parts, parts, [&](std::size_t part, std::size_t) {
        const std::size_t i0 = part * share, rows = std::min(share, m - i0);
        blas_gemm(trans_a, trans_b, rows, n, k, alpha, trans_a ? A + i0 : A + i0 * lda, lda, B, ldb,
                  beta, C + i0 * ldc, ldc);
    });
}

// C (n, m) = X (n, k)·Wᵀ + b: X row-major with row stride ldx, W (m, k) with stride ldw,
// b (m,) or null, C with row stride ldc. One product; W is never transposed in memory.
void gemm_xwt(std::size_t n, std::size_t m, std::size_t k, const float* X, std::size_t ldx,
              const float* W, std::size_t ldw, const float* b, float* C, std::size_t ldc) {
    if (b != nullptr) {
        for (std::size_t i = 0; i < n; ++i) std::copy(b, b + m, C + i * ldc);
    }
    gemm(false, true, n, m, k, 1.0f, X, ldx, W, ldw, b != nullptr ? 1.0f : 0.0f, C, ldc);
}

// Which inputs are one and the same matrix: that decides how the projections are fused.
enum class Sharing { none, key_value, all };

Sharing sharing_of(const MatrixF& query, const MatrixF& key, const MatrixF& value) {
    if (query.data() == key.data() && key.data() == value.data()) return Sharing::all;
    return key.data() == value.data() ? Sharing::key_value : Sharing::none;
}

// The projections Q, K, V in one buffer of (L + 2S)·E floats, each addressed as a pointer
// and a row stride (head h's columns start at + h·d), laid out as project_fused() writes
// them: self-attention [Q K V] (L, 3E); key = value Q (L, E) then [K V] (S, 2E); else Q,
// K, V one after the other. The backward pass keeps dQ, dK, dV the same way.
struct Projected {
    Projected(MemoryMeter& meter, std::size_t L, std::size_t S, std::size_t E, Sharing how)
        : buffer(meter, (L + 2 * S) * E), sharing(how) {
        float* buf = buffer.data();
        q = buf;
        switch (how) {
            case Sharing::all:
                k = buf + E, v = buf + 2 * E, ld_q = ld_k = ld_v = 3 * E;
                break;
            case Sharing::key_value:
                k = buf + L * E, v = k + E, ld_q = E, ld_k = ld_v = 2 * E;
                break;
            case Sharing::none:
                k = buf + L * E, v = k + S * E, ld_q = ld_k = ld_v = E;
                break;
        }
    }
    Buffer buffer;
    Sharing sharing;
    float* q =
            nullptr;  // (L, E) with row stride ld_q; the forward-only methods overwrite it with the heads' outputs
    std::size_t ld_q = 0;
    float* k = nullptr;  // (S, E) with row stride ld_k
    std::size_t ld_k = 0;
    float* v = nullptr;  // (S, E) with row stride ld_v
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
    switch (r.sharing) {
        case Sharing::all:  // [Q K V] (L, 3E)
            gemm_xwt(L, 3 * E, E, query.data(), E, W, E, b, r.q, r.ld_q);
            break;
        case Sharing::key_value:  // Q (L, E), [K V] (S, 2E)
            gemm_xwt(L, E, E, query.data(), E, W, E, b, r.q, r.ld_q);
            gemm_xwt(S, 2 * E, E, key.data(), E, W + E * E, E, b_at(1), r.k, r.ld_k);
            break;
        case Sharing::none:  // Q (L, E), K (S, E), V (S, E)
            gemm_xwt(L, E, E, query.data(), E, W, E, b, r.q, r.ld_q);
            gemm_xwt(S, E, E, key.data(), E, W + E * E, E, b_at(1), r.k, r.ld_k);
            gemm_xwt(S, E, E, value.data(), E, W + 2 * E * E, E, b_at(2), r.v, r.ld_v);
            break;
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
MatrixF project_loops(const MatrixF& X, const MatrixF& W, const VectorF& b, std::size_t r0,
                      std::size_t m) {
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
MatrixF project_xtensor(const MatrixF& X, const MatrixF& W, const VectorF& b, std::size_t r0,
                        std::size_t m) {
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
        {  // softmax in place; the row max and sum are named tensors (xtensor 0.24.3
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

// 2) split + 3) attend, all heads at once: P (H, L, S) ← every head's weights
// softmax(Q_h·K_hᵀ/√d) (kept: the backward pass reads them), and head h's output P_h·V_h
// into out + h·d, row stride ld_out (4) merge, in place).
void attend_batched(const Projected& pr, std::size_t L, std::size_t S, std::size_t H, std::size_t d,
                    float* P, float* out, std::size_t ld_out) {
    // Scores are scaled by log2(e)/√d inside sgemm, so that softmax can use 2^x.
    const float alpha = kLog2e / std::sqrt(static_cast<float>(d));
    // every head's scores: head h from its slice of Q and K (pointer + h·d, row stride ld):
    // no copy, no transpose
    for (std::size_t h = 0; h < H; ++h) {
        gemm(false, true, L, S, d, alpha, pr.q + h * d, pr.ld_q, pr.k + h * d, pr.ld_k, 0.0f,
             P + h * L * S, S);
    }
    // softmax over all H·L rows (vectorised exp)
    parallel_for(H * L, threads_now(), [&](std::size_t r, std::size_t) {
        float* row = P + r * S;
        scale_row(row, S, 1.0f / exp2_shifted(row, S, max_of(row, S)));
    });
    // weights·V per head, into head h's columns of out
    for (std::size_t h = 0; h < H; ++h) {
        gemm(false, false, L, d, S, 1.0f, P + h * L * S, S, pr.v + h * d, pr.ld_v, 0.0f,
             out + h * d, ld_out);
    }
}

MatrixF mha_batched(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                    const MatrixF& value, MemoryMeter& meter) {
    const std::size_t L = query.shape(0), S = key.shape(0), H = p.H, d = p.d_head();
    // 1) project: one product for Q, K and V
    Projected pr(meter, L, S, p.E, sharing_of(query, key, value));
    project_fused(p, query, key, value, pr);
    // 2) split + 3) attend + 4) merge: every head's (L, S) weights at once; the heads' outputs
    //    are written into their columns of the Q buffer: Q is no longer needed by then.
    Buffer P(meter, H * L * S);
    attend_batched(pr, L, S, H, d, P.data(), pr.q, pr.ld_q);
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
// holding more than (nq, bk) scores. Writes softmax(Q·Kᵀ/√d)·V for these rows into `out`
// (nq, d), row stride ld_out (the forward pass alone passes the tile's own queries: they are
// no longer needed once the tile is done), and, when lse is not null, each row's
// log-sum-exp lse[r] = log2 Σ_j 2^(s_j) of its scaled scores s = Q·Kᵀ·log2(e)/√d: all the
// backward pass needs to make the row's weights again, P_j = 2^(s_j − lse).
void attend_tile(const Projected& pr, std::size_t S, std::size_t d, std::size_t h, std::size_t i0,
                 std::size_t nq, std::size_t bk, float alpha, TileScratch& t, float* out,
                 std::size_t ld_out, float* lse) {
    const float* Qb = pr.q + i0 * pr.ld_q + h * d;  // (nq, d), row stride ld_q
    float* St = t.S.data();                         // (nq, bk), row stride bk
    float* O = t.O.data();                          // (nq, d), row stride d
    float* m = t.m.data();
    float* l = t.l.data();
    std::fill(m, m + nq, -kInfF);
    std::fill(l, l + nq, 0.0f);
    //! [tiled]
    for (std::size_t j0 = 0; j0 < S; j0 += bk) {
        const std::size_t nk = std::min(bk, S - j0);
        // a) this block's scores, times log2(e)/√d: (nq, nk) = Q_tile·K_blockᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nq),
                    static_cast<int>(nk), static_cast<int>(d), alpha, Qb, static_cast<int>(pr.ld_q),
                    pr.k + j0 * pr.ld_k + h * d, static_cast<int>(pr.ld_k), 0.0f, St,
                    static_cast<int>(bk));
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
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nq),
                    static_cast<int>(d), static_cast<int>(nk), 1.0f, St, static_cast<int>(bk),
                    pr.v + j0 * pr.ld_v + h * d, static_cast<int>(pr.ld_v), j0 > 0 ? 1.0f : 0.0f, O,
                    static_cast<int>(d));
    }
    // d) divide by the sums once at the end
    for (std::size_t r = 0; r < nq; ++r) {
        const float inv = 1.0f / l[r];
        for (std::size_t x = 0; x < d; ++x) out[r * ld_out + x] = O[r * d + x] * inv;
    }
    //! [tiled]
    // e) for the backward pass: log2 Σ_j 2^(s_j) = m + log2 l
    if (lse != nullptr) {
        for (std::size_t r = 0; r < nq; ++r) lse[r] = m[r] + std::log2(l[r]);
    }
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
    Projected pr(meter, L, S, p.E, sharing_of(query, key, value));
    project_fused(p, query, key, value, pr);
    // 2) split + 3) attend + 4) merge: every (head, query tile) on its own, as many at once as there are threads
    const std::size_t q_tiles = (L + bq - 1) / bq;
    const std::size_t workers = tile_workers(L, H, bq, threads_now());
    std::vector<std::unique_ptr<TileScratch>> scratch;
    for (std::size_t w = 0; w < workers; ++w)
        scratch.push_back(std::make_unique<TileScratch>(meter, bq, bk, d));
    parallel_for(H * q_tiles, workers, [&](std::size_t item, std::size_t w) {
        const std::size_t h = item / q_tiles, i0 = (item % q_tiles) * bq;
        float* own = pr.q + i0 * pr.ld_q + h * d;  // the tile's queries, read before written
        attend_tile(pr, S, d, h, i0, std::min(bq, L - i0), bk, alpha, *scratch[w], own, pr.ld_q,
                    nullptr);
    });
    // 5) output projection, from the heads' outputs in the Q buffer
    return project_out(p, pr.q, L, pr.ld_q);
}

// ---- the backward pass: batched and tiled -------------------------------------------------
//
// Chapter 20's five products and chapter 21's five steps, in float32 on the buffers of the
// forward pass above. Each step is named after its forward twin and undoes it:
//   5) output     d_concat = dO·W_o, dW_o = dOᵀ·concat, db_o = column sums of dO
//   4) merge      nothing to do: head h's gradient is columns [h·d, (h+1)·d) of d_concat
//   3) attend     in every head: dV = Pᵀ·dO_h, dP = dO_h·Vᵀ, dS = P ∘ (dP − D),
//                 dQ = dS·K/√d, dK = dSᵀ·Q/√d, with D = rowsum(dO_h ∘ O_h)
//   2) split      nothing to do: head h writes its dQ, dK, dV into its own columns
//   1) project    dW_in = dQKVᵀ·X, db_in = column sums of dQKV, dX = dQKV·W_in
// where dQKV is laid out as the forward pass's Q, K, V (Projected), so that self-attention's
// three input projections are undone by one product each, as they were done by one.
//
// What did not pay off (measured on the 2-core machine these were written on, CPU time with
// `perf stat -e task-clock`, since wall time there varied 2× from run to run):
//   - other tiles for the backward pass: 64×256, 128×256, 128×512 and 256×512 took the same
//     CPU time within ±5% at L = 2048, so it uses the forward pass's tiles;
//   - at L = 512, the tiled backward's extra Q·Kᵀ and exponentials did not show: the same
//     CPU time as batched within the noise (perf record: 12K against 13K samples);
// and what is left: about 80% of the time is inside OpenBLAS's sgemm kernel and 10% in its
// packing copies, so the rest (softmax, D, dS, column sums) is not where time goes.
// Threads split the heads (one head, one thread: nobody adds into another's dQ, dK, dV);
// with fewer heads than threads, some threads would idle.

// The backward pass of Y = X·Wᵀ + b on n rows: dY (n, m) with row stride ldy, X (n, k) with
// row stride ldx, W (m, k) with row stride ldw → dW (m, k) = dYᵀ·X and dX (n, k) = dY·W,
// both contiguous, and db (m,) = the column sums of dY (db null: no bias). Two sgemm.
void linear_backward(std::size_t n, std::size_t m, std::size_t k, const float* dY, std::size_t ldy,
                     const float* X, std::size_t ldx, const float* W, std::size_t ldw, float* dW,
                     float* dX, float* db) {
    gemm(true, false, m, k, n, 1.0f, dY, ldy, X, ldx, 0.0f, dW, k);   // (m, n)·(n, k)
    gemm(false, false, n, k, m, 1.0f, dY, ldy, W, ldw, 0.0f, dX, k);  // (n, m)·(m, k)
    if (db != nullptr) {
        std::fill(db, db + m, 0.0f);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t c = 0; c < m; ++c) db[c] += dY[i * ldy + c];
    }
}

// Σ_x a[x]·b[x] for x in [0, n): D of one row, rowsum(dO ∘ O).
float dot(const float* a, const float* b, std::size_t n) {
    float sum = 0.0f;
    for (std::size_t x = 0; x < n; ++x) sum += a[x] * b[x];
    return sum;
}

// The softmax's backward on one row of n weights: ds[j] = p[j]·(dp[j] − D); ds may be p or dp.
void softmax_backward_row(const float* p, const float* dp, float* ds, std::size_t n, float D) {
    for (std::size_t j = 0; j < n; ++j) ds[j] = p[j] * (dp[j] - D);
}

// What the forward pass keeps for the backward one, beyond Q, K, V.
struct Kept {
    const float* concat;  // (L, E) the heads' outputs side by side, O_h at + h·d (row stride E)
    const float* lse;     // (H, L) tiled: every row's log-sum-exp (attend_tile); batched: null
    float* P;             // (H, L, S) batched: every head's weights; tiled: null
};

// 3) attend, backwards, head h of the batched method, from its kept weights P_h (L, S),
// which become dS in place; dP (L, S) is the worker's scratch. Contract: d_concat (L, E) is
// ∂loss/∂concat; writes head h's columns of g's dQ, dK, dV (nobody else writes them).
void head_backward_batched(const Projected& pr, const Kept& kept, const float* d_concat,
                           std::size_t L, std::size_t S, std::size_t E, std::size_t d,
                           std::size_t h, float* dP, Projected& g) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    float* P = kept.P + h * L * S;         // (L, S)
    const float* O = kept.concat + h * d;  // (L, d), row stride E
    const float* dO = d_concat + h * d;    // (L, d), row stride E
    const float *Q = pr.q + h * d, *K = pr.k + h * d, *V = pr.v + h * d;
    //! [batched_backward]
    // c) the weighted sum O = P·V: dV = Pᵀ·dO (S, d), dP = dO·Vᵀ (L, S)
    gemm(true, false, S, d, L, 1.0f, P, S, dO, E, 0.0f, g.v + h * d, g.ld_v);
    gemm(false, true, L, S, d, 1.0f, dO, E, V, pr.ld_v, 0.0f, dP, S);
    // b) the softmax: dS = P ∘ (dP − D), D = rowsum(dO ∘ O) one number per row; into P's place
    for (std::size_t i = 0; i < L; ++i) {
        const float D = dot(dO + i * E, O + i * E, d);
        softmax_backward_row(P + i * S, dP + i * S, P + i * S, S, D);
    }
    // a) the scores S = Q·Kᵀ/√d: dQ = dS·K/√d (L, d), dK = dSᵀ·Q/√d (S, d)
    gemm(false, false, L, d, S, scale, P, S, K, pr.ld_k, 0.0f, g.q + h * d, g.ld_q);
    gemm(true, false, S, d, L, scale, P, S, Q, pr.ld_q, 0.0f, g.k + h * d, g.ld_k);
    //! [batched_backward]
}

// One worker's tiles for the tiled backward pass: the weights P and their gradient dP/dS,
// (bq, bk) each.
struct BackwardScratch {
    BackwardScratch(MemoryMeter& meter, std::size_t bq, std::size_t bk)
        : P(meter, bq * bk), dP(meter, bq * bk) {}
    Buffer P, dP;
};

// 3) attend, backwards, head h of the tiled method: FlashAttention-2's backward pass on a
// CPU. Contract: from Q, K, V, the kept outputs and log-sum-exps, and d_concat (L, E), writes
// head h's columns of g's dQ, dK, dV, never holding more than two (bq, bk) tiles; D (L) is
// this head's row of the (H, L) buffer. Key blocks outside, query tiles inside: a block's
// dK and dV are summed over every query tile while they are in cache; dQ of a tile is summed
// over the key blocks in g, which only this head's worker writes.
void head_backward_tiled(const Projected& pr, const Kept& kept, const float* d_concat,
                         std::size_t L, std::size_t S, std::size_t E, std::size_t d, std::size_t h,
                         std::size_t bq, std::size_t bk, float* D, BackwardScratch& t,
                         Projected& g) {
    const float alpha = kLog2e / std::sqrt(static_cast<float>(d));  // as in the forward pass
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    const float* O = kept.concat + h * d;  // (L, d), row stride E
    const float* dO = d_concat + h * d;    // (L, d), row stride E
    const float* lse = kept.lse + h * L;   // (L,)
    const float *Q = pr.q + h * d, *K = pr.k + h * d, *V = pr.v + h * d;
    float *dQ = g.q + h * d, *dK = g.k + h * d, *dV = g.v + h * d;
    float *P = t.P.data(), *dP = t.dP.data();  // (nq, nk) tiles, row stride bk
    //! [tiled_backward]
    // D = rowsum(dO ∘ O), one number per query row, the same for every key block
    for (std::size_t i = 0; i < L; ++i) D[i] = dot(dO + i * E, O + i * E, d);
    for (std::size_t j0 = 0; j0 < S; j0 += bk) {
        const std::size_t nk = std::min(bk, S - j0);
        const float *Kj = K + j0 * pr.ld_k, *Vj = V + j0 * pr.ld_v;  // (nk, d)
        for (std::size_t i0 = 0; i0 < L; i0 += bq) {
            const std::size_t nq = std::min(bq, L - i0);
            const float *Qi = Q + i0 * pr.ld_q, *dOi = dO + i0 * E;  // (nq, d)
            // a) the scores again, times log2(e)/√d, as forward a): (nq, nk) = Q_i·K_jᵀ
            gemm(false, true, nq, nk, d, alpha, Qi, pr.ld_q, Kj, pr.ld_k, 0.0f, P, bk);
            // b) the weights from the kept log-sum-exp, as forward b) but final at once:
            //    P = 2^(s − lse), no running max, no rescaling
            for (std::size_t r = 0; r < nq; ++r) exp2_shifted(P + r * bk, nk, lse[i0 + r]);
            // c) the weighted sum, as forward c): dV_j += Pᵀ·dO_i (nk, d); dP = dO_i·V_jᵀ (nq, nk)
            gemm(true, false, nk, d, nq, 1.0f, P, bk, dOi, E, i0 > 0 ? 1.0f : 0.0f,
                 dV + j0 * g.ld_v, g.ld_v);
            gemm(false, true, nq, nk, d, 1.0f, dOi, E, Vj, pr.ld_v, 0.0f, dP, bk);
            // b') the softmax: dS = P ∘ (dP − D), in dP's place
            for (std::size_t r = 0; r < nq; ++r)
                softmax_backward_row(P + r * bk, dP + r * bk, dP + r * bk, nk, D[i0 + r]);
            // a') the scores: dQ_i += dS·K_j/√d (nq, d); dK_j += dSᵀ·Q_i/√d (nk, d)
            gemm(false, false, nq, d, nk, scale, dP, bk, Kj, pr.ld_k, j0 > 0 ? 1.0f : 0.0f,
                 dQ + i0 * g.ld_q, g.ld_q);
            gemm(true, false, nk, d, nq, scale, dP, bk, Qi, pr.ld_q, i0 > 0 ? 1.0f : 0.0f,
                 dK + j0 * g.ld_k, g.ld_k);
        }
    }
    //! [tiled_backward]
}

// 1) project, backwards: the input projections undone as project_fused() did them, one
// linear_backward per product; writes in_proj_weight's and in_proj_bias's gradients, and
// one gradient per distinct input (FastGrads).
void project_fused_backward(const MhaParamsF& p, const MatrixF& query, const MatrixF& key,
                            const MatrixF& value, const Projected& g, FastGrads& grads) {
    const std::size_t L = query.shape(0), S = key.shape(0), E = p.E;
    const float* W = p.in_proj_weight.data();
    float* dW = grads.in_proj_weight.data();
    float* db = grads.in_proj_bias.size() != 0 ? grads.in_proj_bias.data() : nullptr;
    auto db_at = [&](std::size_t i) { return db != nullptr ? db + i * E : nullptr; };
    switch (g.sharing) {
        case Sharing::
                all:  // dX = [dQ dK dV]·[W_q; W_k; W_v]: the three roles summed by the product
            linear_backward(L, 3 * E, E, g.q, g.ld_q, query.data(), E, W, E, dW, grads.query.data(),
                            db);
            break;
        case Sharing::key_value:
            linear_backward(L, E, E, g.q, g.ld_q, query.data(), E, W, E, dW, grads.query.data(),
                            db);
            linear_backward(S, 2 * E, E, g.k, g.ld_k, key.data(), E, W + E * E, E, dW + E * E,
                            grads.key.data(), db_at(1));
            break;
        case Sharing::none:
            linear_backward(L, E, E, g.q, g.ld_q, query.data(), E, W, E, dW, grads.query.data(),
                            db);
            linear_backward(S, E, E, g.k, g.ld_k, key.data(), E, W + E * E, E, dW + E * E,
                            grads.key.data(), db_at(1));
            linear_backward(S, E, E, g.v, g.ld_v, value.data(), E, W + 2 * E * E, E, dW + 2 * E * E,
                            grads.value.data(), db_at(2));
            break;
    }
}

std::size_t backward_workers(std::size_t H, std::size_t threads) {
    return std::max<std::size_t>(1, std::min(threads, H));
}

FastBackward mha_backward_fast(FastMethod method, const MhaParamsF& p, const MatrixF& query,
                               const MatrixF& key, const MatrixF& value, const MatrixF& dO,
                               const Tiles& tiles, MemoryMeter& meter) {
    const std::size_t L = query.shape(0), S = key.shape(0), E = p.E, H = p.H, d = p.d_head();
    const std::size_t bq = std::min(tiles.block_q, L), bk = std::min(tiles.block_k, S);
    const bool tiled = method == FastMethod::tiled;
    FastBackward r;
    // ---- the forward pass, keeping Q, K, V, the heads' outputs and (tiled) the log-sum-exps
    //      or (batched) the weights
    // 1) project
    Projected pr(meter, L, S, E, sharing_of(query, key, value));
    project_fused(p, query, key, value, pr);
    // 2) split + 3) attend + 4) merge, into concat (L, E)
    Buffer concat(meter, L * E);
    Buffer lse(meter, tiled ? H * L : 0);
    Buffer P(meter, tiled ? 0 : H * L * S);
    const std::size_t threads = threads_now();
    if (tiled) {
        const std::size_t q_tiles = (L + bq - 1) / bq;
        const std::size_t workers = tile_workers(L, H, bq, threads);
        std::vector<std::unique_ptr<TileScratch>> scratch;
        for (std::size_t w = 0; w < workers; ++w)
            scratch.push_back(std::make_unique<TileScratch>(meter, bq, bk, d));
        const float alpha = kLog2e / std::sqrt(static_cast<float>(d));
        parallel_for(H * q_tiles, workers, [&](std::size_t item, std::size_t w) {
            const std::size_t h = item / q_tiles, i0 = (item % q_tiles) * bq;
            attend_tile(pr, S, d, h, i0, std::min(bq, L - i0), bk, alpha, *scratch[w],
                        concat.data() + i0 * E + h * d, E, lse.data() + h * L + i0);
        });
    } else {
        attend_batched(pr, L, S, H, d, P.data(), concat.data(), E);
    }
    // 5) output projection
    r.output = project_out(p, concat.data(), L, E);

    // ---- the backward pass, steps 5) to 1)
    r.grads.in_proj_weight = xt::empty<float>({3 * E, E});
    r.grads.out_proj_weight = xt::empty<float>({E, E});
    if (p.in_proj_bias.size() != 0) r.grads.in_proj_bias = xt::empty<float>({3 * E});
    if (p.out_proj_bias.size() != 0) r.grads.out_proj_bias = xt::empty<float>({E});
    // 5) output projection: d_concat (L, E) = dO·W_o, dW_o = dOᵀ·concat, db_o = column sums of dO
    Buffer d_concat(meter, L * E);
    linear_backward(L, E, E, dO.data(), E, concat.data(), E, p.out_proj_weight.data(), E,
                    r.grads.out_proj_weight.data(), d_concat.data(),
                    p.out_proj_bias.size() != 0 ? r.grads.out_proj_bias.data() : nullptr);
    // 4) merge, 3) attend, 2) split: every head on its own, into dQ, dK, dV laid out as Q, K, V
    Projected g(meter, L, S, E, pr.sharing);
    Buffer D(meter, tiled ? H * L : 0);
    {
        const std::size_t workers = backward_workers(H, threads);
        std::vector<std::unique_ptr<BackwardScratch>> tiles_of;
        std::vector<std::unique_ptr<Buffer>> dP_of;
        for (std::size_t w = 0; w < workers; ++w) {
            if (tiled)
                tiles_of.push_back(std::make_unique<BackwardScratch>(meter, bq, bk));
            else
                dP_of.push_back(std::make_unique<Buffer>(meter, L * S));
        }
        parallel_for(H, workers, [&](std::size_t h, std::size_t w) {
            const Kept kept{concat.data(), tiled ? lse.data() : nullptr,
                            tiled ? nullptr : P.data()};
            if (tiled) {
                head_backward_tiled(pr, kept, d_concat.data(), L, S, E, d, h, bq, bk,
                                    D.data() + h * L, *tiles_of[w], g);
            } else {
                head_backward_batched(pr, kept, d_concat.data(), L, S, E, d, h, dP_of[w]->data(),
                                      g);
            }
        });
    }
    // 1) project
    r.grads.query = xt::empty<float>({L, E});
    if (g.sharing != Sharing::all) r.grads.key = xt::empty<float>({S, E});
    if (g.sharing == Sharing::none) r.grads.value = xt::empty<float>({S, E});
    project_fused_backward(p, query, key, value, g, r.grads);
    return r;
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

MhaParamsF to_float(const MhaParams& p) {
    return cast_params<MhaParamsF>(p);
}
MhaParams to_double(const MhaParamsF& p) {
    return cast_params<MhaParams>(p);
}
MatrixF to_float(const Matrix& m) {
    return xt::cast<float>(m);
}
Matrix to_double(const MatrixF& m) {
    return xt::cast<double>(m);
}

const std::vector<FastMethod>& fast_methods() {
    static const std::vector<FastMethod> all{FastMethod::loops, FastMethod::xtensor,
                                             FastMethod::blas, FastMethod::batched,
                                             FastMethod::tiled};
    return all;
}

std::string method_name(FastMethod m) {
    switch (m) {
        case FastMethod::loops:
            return "loops";
        case FastMethod::xtensor:
            return "xtensor";
        case FastMethod::blas:
            return "blas";
        case FastMethod::batched:
            return "batched";
        case FastMethod::tiled:
            return "tiled";
    }
    return "?";
}

void MemoryMeter::allocate(std::size_t bytes) {
    current_ += bytes;
    peak_ = std::max(peak_, current_);
}

void MemoryMeter::release(std::size_t bytes) {
    current_ -= std::min(bytes, current_);
}

FastResult fast_mha(FastMethod method, const MhaParamsF& p, const MatrixF& query,
                    const MatrixF& key, const MatrixF& value, const Tiles& tiles) {
    threads_now();
    MemoryMeter meter;
    FastResult r;
    switch (method) {
        case FastMethod::loops:
            r.output = mha_loops(p, query, key, value, meter);
            break;
        case FastMethod::xtensor:
            r.output = mha_xtensor(p, query, key, value, meter);
            break;
        case FastMethod::blas:
            r.output = mha_blas(p, query, key, value, meter);
            break;
        case FastMethod::batched: {
            const OneBlasThread one;
            r.output = mha_batched(p, query, key, value, meter);
            break;
        }
        case FastMethod::tiled: {
            const OneBlasThread one;
            r.output = mha_tiled(p, query, key, value, tiles, meter);
            break;
        }
    }
    r.peak_bytes = meter.peak();
    return r;
}

std::size_t fast_extra_bytes(FastMethod method, std::size_t L, std::size_t S, std::size_t E,
                             std::size_t H, const Tiles& tiles, std::size_t threads) {
    if (L == 0 || S == 0 || H == 0 || E % H != 0 || tiles.block_q == 0 || tiles.block_k == 0) {
        throw std::invalid_argument(
                "fast_extra_bytes: L, S, H and the tiles must be at least 1, and H must divide E");
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

std::size_t weights_bytes(std::size_t L, std::size_t S, std::size_t H) {
    return H * L * S * kFloat;
}

MhaFlops mha_flop_count(std::size_t L, std::size_t S, std::size_t E) {
    const double l = static_cast<double>(L), s = static_cast<double>(S), e = static_cast<double>(E);
    MhaFlops f;
    f.projections = 2.0 * (l + 2.0 * s) * e * e + 2.0 * l * e * e;
    f.attention = 2.0 * 2.0 * l * s * e;
    return f;
}

double mha_flops(std::size_t L, std::size_t S, std::size_t E) {
    return mha_flop_count(L, S, E).total();
}

void set_fast_threads(std::size_t n) {
    g_threads = std::max<std::size_t>(1, n);
    openblas_set_num_threads(static_cast<int>(g_threads));
}

std::size_t fast_threads() {
    return threads_now();
}

OnlineTrace online_softmax_trace(const Vector& scores, const Matrix& V, std::size_t block) {
    if (block == 0) throw std::invalid_argument("the block size must be at least 1");
    if (V.shape(0) != scores.size()) {
        throw std::invalid_argument("scores " + shape_str(scores.shape()) + " and V " +
                                    shape_str(V.shape()) + " must have one value row per score");
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

Matrix mha_reference(const MhaParams& p, const Matrix& query, const Matrix& key,
                     const Matrix& value, std::size_t rows) {
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

const std::vector<FastMethod>& backward_methods() {
    static const std::vector<FastMethod> both{FastMethod::batched, FastMethod::tiled};
    return both;
}

FastBackward fast_mha_backward(FastMethod method, const MhaParamsF& p, const MatrixF& query,
                               const MatrixF& key, const MatrixF& value, const MatrixF& dO,
                               const Tiles& tiles) {
    if (method != FastMethod::batched && method != FastMethod::tiled) {
        throw std::invalid_argument("fast_mha_backward: " + method_name(method) +
                                    " has no backward pass (batched and tiled have)");
    }
    if (dO.shape(0) != query.shape(0) || dO.shape(1) != p.E) {
        throw std::invalid_argument(
                "fast_mha_backward: dO " + shape_str(dO.shape()) + " must be the output's shape (" +
                std::to_string(query.shape(0)) + ", " + std::to_string(p.E) + ")");
    }
    const OneBlasThread one;
    MemoryMeter meter;
    FastBackward r = mha_backward_fast(method, p, query, key, value, dO, tiles, meter);
    r.peak_bytes = meter.peak();
    return r;
}

std::size_t fast_backward_extra_bytes(FastMethod method, std::size_t L, std::size_t S,
                                      std::size_t E, std::size_t H, const Tiles& tiles,
                                      std::size_t threads) {
    if (method != FastMethod::batched && method != FastMethod::tiled) {
        throw std::invalid_argument("fast_backward_extra_bytes: " + method_name(method) +
                                    " has no backward pass");
    }
    if (L == 0 || S == 0 || H == 0 || E % H != 0 || tiles.block_q == 0 || tiles.block_k == 0) {
        throw std::invalid_argument(
                "fast_backward_extra_bytes: L, S, H and the tiles must be at least 1, and H must "
                "divide E");
    }
    const std::size_t d = E / H;
    const std::size_t qkv = (L + 2 * S) * E;  // Q, K, V; later dQ, dK, dV as much again
    const std::size_t workers = backward_workers(H, threads);
    std::size_t floats = 0;
    if (method == FastMethod::batched) {
        // kept: Q K V, concat, every head's weights; then d_concat, dQ dK dV, (L, S) per worker
        floats = qkv + L * E + H * L * S + L * E + qkv + workers * L * S;
    } else {
        const std::size_t bq = std::min(tiles.block_q, L), bk = std::min(tiles.block_k, S);
        // kept: Q K V, concat, the log-sum-exps; while the forward runs, each of its workers'
        // tiles; then d_concat, dQ dK dV, D and two (bq, bk) tiles per worker
        const std::size_t forward_tiles =
                tile_workers(L, H, bq, threads) * (bq * bk + bq * d + 2 * bq);
        const std::size_t backward = L * E + qkv + H * L + workers * 2 * bq * bk;
        floats = qkv + L * E + H * L + std::max(forward_tiles, backward);
    }
    return floats * kFloat;
}

double mha_backward_flops(std::size_t L, std::size_t S, std::size_t E) {
    return 2.0 * mha_flops(L, S, E);
}

MhaGrads mha_backward_reference(const MhaParams& p, const Matrix& query, const Matrix& key,
                                const Matrix& value, const Matrix& dO, std::size_t rows) {
    if (rows == 0) rows = 1;
    const std::size_t L = query.shape(0), S = key.shape(0), E = p.E, H = p.H, d = p.d_head();
    // The forward pass's keys and values, whole: every chunk of queries meets all of them.
    const Tensor3 Kh = split_heads(project(key, p.W_k(), p.b_k()), H);
    const Tensor3 Vh = split_heads(project(value, p.W_v(), p.b_v()), H);
    const Matrix W_q = p.W_q();
    const Vector b_q = p.b_q();
    MhaGrads g;
    g.out_proj_weight = xt::zeros<double>({E, E});
    Matrix dQ = xt::empty<double>({L, E});
    Tensor3 dKh = xt::zeros<double>({H, S, d}), dVh = xt::zeros<double>({H, S, d});
    for (std::size_t i0 = 0; i0 < L; i0 += rows) {
        auto r = xt::range(i0, std::min(L, i0 + rows));
        const Matrix q = xt::view(query, r, xt::all()), dO_rows = xt::view(dO, r, xt::all());
        // forward 1) to 4) for these rows
        const Tensor3 Qh = split_heads(project(q, W_q, b_q), H);
        const Matrix concat = merge_heads(attend_heads(Qh, Kh, Vh).output);
        // backward 5): dW_o sums over rows, d_concat is row by row
        const ProjectGrads out = project_backward(concat, p.out_proj_weight, dO_rows);
        g.out_proj_weight += out.dW;
        const Tensor3 d_heads = split_heads(out.dX, H);
        // backward 3) in every head: dQ of these rows; dK and dV sum over rows
        Tensor3 dQh = xt::empty<double>({H, q.shape(0), d});
        for (std::size_t h = 0; h < H; ++h) {
            const AttentionGrads a = attention_backward(xt::view(Qh, h), xt::view(Kh, h),
                                                        xt::view(Vh, h), xt::view(d_heads, h));
            xt::view(dQh, h) = a.dQ;
            xt::view(dKh, h) += a.dK;
            xt::view(dVh, h) += a.dV;
        }
        xt::view(dQ, r, xt::all()) = merge_heads(dQh);
    }
    // backward 1): the three input projections, whole
    const ProjectGrads gq = project_backward(query, W_q, dQ);
    const ProjectGrads gk = project_backward(key, p.W_k(), merge_heads(dKh));
    const ProjectGrads gv = project_backward(value, p.W_v(), merge_heads(dVh));
    g.in_proj_weight = xt::concatenate(xt::xtuple(gq.dW, gk.dW, gv.dW), 0);
    if (p.in_proj_bias.size() != 0)
        g.in_proj_bias = xt::concatenate(xt::xtuple(gq.db, gk.db, gv.db), 0);
    if (p.out_proj_bias.size() != 0) g.out_proj_bias = xt::sum(dO, {0});
    g.query = gq.dX;
    g.key = gk.dX;
    g.value = gv.dX;
    return g;
}

}  // namespace attn
