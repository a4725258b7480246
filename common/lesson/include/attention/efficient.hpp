/// \file efficient.hpp
/// \brief Part IV: the same multi-head attention computed five ways in float32, from plain
/// loops to tiled attention with an online softmax, each counted (flops, memory) and timed.
///
/// Every method computes exactly what `mha_forward()` computes (no mask, no dropout):
///   1) project   Q = query·W_qᵀ + b_q, K = key·W_kᵀ + b_k, V = value·W_vᵀ + b_v
///   2) split     head h is columns [h·d_head, (h+1)·d_head) of Q, K and V
///   3) attend    softmax(Q_h·K_hᵀ / √d_head)·V_h in every head h
///   4) merge     the heads side by side, (L, E)
///   5) output    output = concat·W_oᵀ + b_o
/// (the five steps of mha.hpp, numbered the same; a method may do two of them in one pass)
/// in float32, as PyTorch does, and differs from the float64 reference by float32 rounding
/// only (tests/test_ch18.cpp: 1e-5). They differ in how the work is arranged:
///
/// | method    | how                                                        | extra memory |
/// | --------- | ---------------------------------------------------------- | ------------ |
/// | `loops`   | three nested loops for every product                        | (L, S) per head |
/// | `xtensor` | broadcasting xtensor expressions and reductions, no BLAS    | (L, S) per head |
/// | `blas`    | `xt::linalg::dot` (OpenBLAS sgemm) on contiguous copies     | (L, S) per head |
/// | `batched` | one fused projection, all heads' (H, L, S) at once, sgemm on head slices | (H, L, S) |
/// | `tiled`   | key/value blocks with an online softmax, as FlashAttention   | grows with L, not L² |
///
/// `batched` and `tiled` also have a float32 backward pass (fast_mha_backward(), below):
/// batched keeps every head's weights for it, tiled only each row's log-sum-exp, and makes
/// the weights again tile by tile (FlashAttention-2's backward pass).
///
/// xtensor-blas stays inside common/lesson/src/efficient.cpp: a chapter including this
/// header compiles in seconds.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "attention/backward.hpp"
#include "attention/mha.hpp"
#include "attention/types.hpp"

namespace attn {

/// A float32 matrix, what PyTorch computes with: (rows, cols), row-major.
using MatrixF = xt::xtensor<float, 2>;
/// A float32 vector.
using VectorF = xt::xtensor<float, 1>;

/// nn.MultiheadAttention's parameters in float32, laid out as in `state_dict()` (see MhaParams).
struct MhaParamsF {
    std::size_t E = 0;                            ///< embed_dim
    std::size_t H = 0;                            ///< num_heads
    MatrixF in_proj_weight;                       ///< (3E, E) [W_q; W_k; W_v]
    VectorF in_proj_bias;                         ///< (3E,) or empty
    MatrixF out_proj_weight;                      ///< (E, E) W_o
    VectorF out_proj_bias;                        ///< (E,) or empty
    std::size_t d_head() const { return E / H; }  ///< E / H
};

/// The parameters rounded to float32.
MhaParamsF to_float(const MhaParams& p);
/// float32 parameters widened to float64 (exactly): the reference for the same numbers.
MhaParams to_double(const MhaParamsF& p);
/// A matrix rounded to float32.
MatrixF to_float(const Matrix& m);
/// A float32 matrix widened to float64 (exactly).
Matrix to_double(const MatrixF& m);

/// The five ways, slowest first.
enum class FastMethod { loops, xtensor, blas, batched, tiled };

/// All five, in order.
const std::vector<FastMethod>& fast_methods();
/// "loops", "xtensor", "blas", "batched" or "tiled".
std::string method_name(FastMethod m);

/// The tile sizes of the `tiled` method: `block_q` query rows against `block_k` keys at a
/// time. Neither has to divide L or S (the last block is smaller).
struct Tiles {
    std::size_t block_q = 256;  ///< query rows per tile
    std::size_t block_k = 512;  ///< keys (and values) per tile
};

/// Bytes of the buffers a computation holds at once: every method reports each buffer
/// it allocates beyond its inputs and its output, and the meter keeps the high-water mark.
class MemoryMeter {
public:
    /// A buffer of `bytes` is allocated.
    void allocate(std::size_t bytes);
    /// A buffer of `bytes` is freed.
    void release(std::size_t bytes);
    /// Bytes held now.
    std::size_t current() const { return current_; }
    /// The most bytes held at once so far.
    std::size_t peak() const { return peak_; }

private:
    std::size_t current_ = 0;
    std::size_t peak_ = 0;
};

/// What one method returns.
struct FastResult {
    MatrixF output;              ///< (L, E) the module's output
    std::size_t peak_bytes = 0;  ///< the most extra memory held at once (MemoryMeter)
};

/// Multi-head attention on one sequence, the way `method` computes it, in float32:
/// query (L, E), key (S, E), value (S, E); returns the output (L, E) and its peak extra
/// memory. No mask. Uses fast_threads() threads. The inputs must fit and be finite
/// (check_fast_inputs() in workbook/validation.hpp checks a user's).
FastResult fast_mha(FastMethod method, const MhaParamsF& p, const MatrixF& query,
                    const MatrixF& key, const MatrixF& value, const Tiles& tiles = {});

/// The peak extra bytes `method` holds for L queries, S keys, width E and H heads, from the
/// formula its buffers add up to (fast_mha() measures the same number; the tests check
/// they agree). `threads`: the tiled method keeps one set of tiles per thread.
std::size_t fast_extra_bytes(FastMethod method, std::size_t L, std::size_t S, std::size_t E,
                             std::size_t H, const Tiles& tiles = {}, std::size_t threads = 1);

// ---- the backward pass, fast (Part V's gradients at chapter 18's speed) -------------------

/// The gradients of one float32 forward pass, named as PyTorch names the `.grad` of
/// nn.MultiheadAttention's parameters and inputs (as MhaGrads, without the intermediates).
/// An input passed in several roles (self-attention: query = key = value, the same
/// matrix; or key = value) gets ONE gradient, the sum of its roles', in the first role's
/// field, and the later fields stay empty: PyTorch's x.grad after mha(x, x, x).
struct FastGrads {
    MatrixF in_proj_weight;   ///< (3E, E) in_proj_weight.grad
    VectorF in_proj_bias;     ///< (3E,) in_proj_bias.grad; empty without bias
    MatrixF out_proj_weight;  ///< (E, E) out_proj.weight.grad
    VectorF out_proj_bias;    ///< (E,) out_proj.bias.grad; empty without bias
    MatrixF query;            ///< (L, E) query.grad (with key's and value's if they are query)
    MatrixF key;    ///< (S, E) key.grad (with value's if value is key); empty if key is query
    MatrixF value;  ///< (S, E) value.grad; empty if value is key (or query)
};

/// What one forward + backward pass returns.
struct FastBackward {
    MatrixF output;              ///< (L, E) the forward pass's output
    FastGrads grads;             ///< every gradient, for the upstream gradient dO
    std::size_t peak_bytes = 0;  ///< the most extra memory held at once (MemoryMeter)
};

/// The methods with a backward pass: `batched` and `tiled`.
const std::vector<FastMethod>& backward_methods();

/// One training step's worth of multi-head attention in float32, the way `method`
/// (batched or tiled) computes it: the forward pass on query (L, E), key (S, E), value
/// (S, E), keeping what the backward pass needs, then the backward pass for dO (L, E),
/// the upstream gradient ∂loss/∂output. No mask. Uses fast_threads() threads.
///   batched  keeps every head's weights P (H, L, S) from the forward pass and runs
///            chapter 20's five products on them, one sgemm each (memory grows with L²);
///   tiled    keeps only each query row's log-sum-exp (H, L) and recomputes P one tile at a
///            time from it, as FlashAttention-2 does (memory grows with L).
/// Throws std::invalid_argument for another method. The inputs must fit and be finite
/// (check_fast_inputs(), and dO (L, E)).
FastBackward fast_mha_backward(FastMethod method, const MhaParamsF& p, const MatrixF& query,
                               const MatrixF& key, const MatrixF& value, const MatrixF& dO,
                               const Tiles& tiles = {});

/// The peak extra bytes fast_mha_backward() holds for L queries, S keys, width E, H heads:
/// the formula its buffers add up to (the tests check it against the meter). `threads`: the
/// tiled method keeps one set of tiles per thread, the batched one (L, S) per thread.
std::size_t fast_backward_extra_bytes(FastMethod method, std::size_t L, std::size_t S,
                                      std::size_t E, std::size_t H, const Tiles& tiles = {},
                                      std::size_t threads = 1);

/// The float64 reference gradients of mha_backward() (no mask), computed `rows` query rows
/// at a time: dQ of a row needs only that row, and dK, dV, the weights' gradients are sums
/// over rows, added up chunk by chunk; never more than H·rows·S weights at once. The check
/// for the benchmark's large sizes, field for field as MhaGrads (intermediates left empty).
MhaGrads mha_backward_reference(const MhaParams& p, const Matrix& query, const Matrix& key,
                                const Matrix& value, const Matrix& dO, std::size_t rows = 512);

/// Floating-point operations of one backward pass, as the benchmark counts them: twice the
/// forward's (mha_flops). The products the methods here do come to a little more (the
/// tiled one recomputes Q·Kᵀ: 2.5× the forward's attention flops, 2× its projections').
double mha_backward_flops(std::size_t L, std::size_t S, std::size_t E);

/// Bytes of the attention weights of every head, H·L·S floats: what PyTorch holds at once.
std::size_t weights_bytes(std::size_t L, std::size_t S, std::size_t H);

/// Floating-point operations of one forward pass, counting the products only (a multiply
/// and an add are 2), in its two parts.
struct MhaFlops {
    double projections = 0;  ///< 2·(L + 2S)·E² for Q, K, V, + 2·L·E² for W_o
    double attention = 0;    ///< 2·2·L·S·E: Q·Kᵀ and weights·V in all heads
    double total() const { return projections + attention; }  ///< both
};
/// The flops of one forward pass on L queries and S keys of width E, in parts.
MhaFlops mha_flop_count(std::size_t L, std::size_t S, std::size_t E);
/// Their total: mha_flop_count(L, S, E).total().
double mha_flops(std::size_t L, std::size_t S, std::size_t E);

/// Sets the threads (1 = one thread, the default): the batched and tiled methods split their
/// products and tiles over their own threads, with OpenBLAS on one; the blas method runs on
/// OpenBLAS's threads.
void set_fast_threads(std::size_t n);
/// The threads set by set_fast_threads().
std::size_t fast_threads();

/// One query row through the online softmax, block by block, in float64: what the tiled
/// method does for each row. scores (S,) are the row's scaled scores, V (S, d_v).
/// After each block of `block` keys: the running max m, the running sum l of exp(s − m),
/// and the running output o = Σ exp(s − m)·v (not yet divided by l).
struct OnlineTrace {
    std::vector<double> max;  ///< m after each block
    std::vector<double> sum;  ///< l after each block
    Matrix acc;               ///< (blocks, d_v): o after each block
    Vector output;            ///< (d_v,) o / l at the end: softmax(scores)·V
};

/// Runs the online softmax on one row (see OnlineTrace); block ≥ 1.
OnlineTrace online_softmax_trace(const Vector& scores, const Matrix& V, std::size_t block);

/// The float64 reference output (L, E) of mha_forward(), computed `rows` query rows at a
/// time (each row of attention needs only its own query), so a long sequence never holds
/// more than H·rows·S weights: the check for the benchmark's large sizes.
Matrix mha_reference(const MhaParams& p, const Matrix& query, const Matrix& key,
                     const Matrix& value, std::size_t rows = 512);

}  // namespace attn
