// The functions a learner writes, one exercise per chapter from 02 on.
// Each chapters/NN_slug/exercise.cpp defines its function(s) below; the checks in
// tests/exercises/exNN.cpp call them (./workbook check NN). Names follow the paper.
#pragma once

#include <cstddef>
#include <vector>

#include <attention/types.hpp>

namespace attn {
struct MhaParams;  // <attention/mha.hpp>: W_q, W_k, W_v, W_o and biases as PyTorch stores them
}

namespace ex {

using attn::Matrix;
using attn::Tensor3;
using attn::Vector;

/// Thrown by a function that is still the shipped stub: exercise `number` is not done yet.
struct NotDone {
    int number;
};

/// Marks a stub: throws NotDone{number}. The other arguments are the function's own
/// parameters, passed so that the stub compiles without unused-parameter warnings.
/// Delete the line that calls it when you write the function.
template <class... Args>
[[noreturn]] void todo(int number, const Args&...) {
    throw NotDone{number};
}

// Part I: scaled dot-product attention, one step per exercise.

/// Exercise 02: Q is (L, d_k), K is (S, d_k); returns the scores (L, S),
/// scores(i, j) = q_i · k_j = Σ_c Q(i, c)·K(j, c).
Matrix scores(const Matrix& Q, const Matrix& K);

/// Exercise 03: scores is (L, S); returns (L, S), every score divided by √d_k.
Matrix scale(const Matrix& scores, std::size_t d_k);

/// Exercise 04: x is (L, S); returns (L, S), the stable softmax of each row
/// (subtract the row's max, exp, divide by the row's sum).
Matrix softmax(const Matrix& x);

/// Exercise 05: weights is (L, S), V is (S, d_v); returns (L, d_v),
/// out(i, c) = Σ_j weights(i, j)·V(j, c).
Matrix weighted_sum(const Matrix& weights, const Matrix& V);

/// Exercise 06: Q is (L, d_k), K is (S, d_k), V is (S, d_v); returns the output
/// (L, d_v) = softmax(Q·Kᵀ / √d_k)·V.
Matrix attention(const Matrix& Q, const Matrix& K, const Matrix& V);

// Part II: multi-head attention, one step per exercise.

/// Exercise 07: X is (n, E_in), W is (E_out, E_in) as PyTorch stores it, b is (E_out,) or
/// empty (no bias); returns X·Wᵀ + b (n, E_out), out(i, r) = Σ_c X(i, c)·W(r, c) + b(r).
Matrix project(const Matrix& X, const Matrix& W, const Vector& b);

/// Exercise 08: X is (L, E); returns (H, L, E/H): head h gets columns [h·d, (h+1)·d) of
/// every token, d = E/H, so heads(h, i, c) = X(i, h·d + c).
Tensor3 split_heads(const Matrix& X, std::size_t H);

/// Exercise 08: heads is (H, L, d); returns (L, H·d), the heads side by side:
/// out(i, h·d + c) = heads(h, i, c). The inverse of split_heads.
Matrix merge_heads(const Tensor3& heads);

/// Exercise 09: Qh is (H, L, d), Kh (H, S, d), Vh (H, S, d); returns the heads' outputs
/// (H, L, d): head h is softmax(Q_h·K_hᵀ / √d)·V_h, each head on its own.
Tensor3 attend_heads(const Tensor3& Qh, const Tensor3& Kh, const Tensor3& Vh);

/// Exercise 10: heads is (H, L, d), W_o (E, E) with E = H·d, b_o (E,) or empty; returns
/// the output (L, E) = concat·W_oᵀ + b_o, with concat = the heads merged (L, E).
Matrix output_projection(const Tensor3& heads, const Matrix& W_o, const Vector& b_o);

/// Exercise 11: the whole of nn.MultiheadAttention's forward pass on one sequence.
/// query is (L, E), key and value (S, E); returns the output (L, E).
Matrix mha_forward(const attn::MhaParams& p, const Matrix& query, const Matrix& key,
                   const Matrix& value);

/// Exercise 12: weights is (H, L, S), one attention map per head; returns (L, S), their
/// average over the heads (what PyTorch returns by default, average_attn_weights=True).
Matrix average_heads(const Tensor3& weights);

// Part III: what real models add.

/// Exercise 13: returns the additive causal mask (L, L): 0 where key j ≤ query i
/// (allowed), −∞ where j > i (a later token, blocked).
Matrix causal_mask(std::size_t L);

/// Exercise 14: target is (L, E_t), the sequence that asks (e.g. the French written so
/// far); source is (S, E_s), the one it reads (the English sentence). W_q is (d, E_t),
/// W_k (d, E_s), W_v (d_v, E_s). Returns (L, d_v) = softmax(Q·Kᵀ / √d)·V with
/// Q = target·W_qᵀ, K = source·W_kᵀ, V = source·W_vᵀ.
Matrix cross_attention(const Matrix& target, const Matrix& source, const Matrix& W_q,
                       const Matrix& W_k, const Matrix& W_v);

/// Exercise 15: returns the sinusoidal positional encodings (L, E):
/// PE(pos, 2i) = sin(pos / 10000^(2i/E)), PE(pos, 2i+1) = cos(pos / 10000^(2i/E)).
Matrix positional_encoding(std::size_t L, std::size_t E);

/// Exercise 16: lengths has B entries (sample b has lengths[b] real tokens, then padding
/// up to S); returns the additive key padding mask (B, S): 0 at j < lengths[b], −∞ after.
Matrix padding_mask(const std::vector<std::size_t>& lengths, std::size_t S);

/// Exercise 17: one step of generation with a KV cache. K_cache and V_cache are (t, E), the
/// projected keys and values of the t tokens so far; x is the new token (E,). Appends its
/// key and value (so the caches become (t+1, E)) and returns its output (E,): the new
/// query attending to every cached token, itself included, in every head.
Vector kv_cache_step(const attn::MhaParams& p, Matrix& K_cache, Matrix& V_cache, const Vector& x);

// Part V: the backward pass.

/// Exercise 19: y is (L, S), the softmax of each row of some scores x; dy is (L, S), the
/// upstream gradient ∂loss/∂y. Returns dx = ∂loss/∂x (L, S): in each row i,
/// dx(i, j) = y(i, j)·(dy(i, j) − Σ_k dy(i, k)·y(i, k)).
Matrix softmax_backward(const Matrix& y, const Matrix& dy);

/// What exercise 20 returns: the gradients of attention's three inputs.
struct AttentionGrads {
    Matrix dQ;  ///< (L, d_k) ∂loss/∂Q
    Matrix dK;  ///< (S, d_k) ∂loss/∂K
    Matrix dV;  ///< (S, d_v) ∂loss/∂V
};

/// Exercise 20: the backward pass of O = softmax(Q·Kᵀ / √d_k + mask)·V. Q is (L, d_k), K
/// (S, d_k), V (S, d_v); mask (L, S) is additive (0 allowed, −∞ blocked; all zeros = no
/// mask); dO (L, d_v) is the upstream gradient ∂loss/∂O. Returns dQ, dK, dV:
/// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ∘ (dP − rowsum(dO ∘ O)), dQ = dS·K / √d_k, dK = dSᵀ·Q / √d_k.
AttentionGrads attention_backward(const Matrix& Q, const Matrix& K, const Matrix& V,
                                  const Matrix& mask, const Matrix& dO);

/// What exercise 21 returns: the gradients of the output projection's inputs.
struct OutputProjectionGrads {
    Tensor3 d_heads;  ///< (H, L, d) ∂loss/∂heads
    Matrix dW_o;      ///< (E, E) out_proj.weight.grad
    Vector db_o;      ///< (E,) out_proj.bias.grad
};

/// Exercise 21: steps 5 and 4 of multi-head attention, reversed. heads is (H, L, d), the
/// heads' outputs; W_o (E, E) is out_proj.weight, E = H·d; dO (L, E) is the upstream gradient
/// of output = concat·W_oᵀ + b_o, where concat = merge_heads(heads) (L, E). Returns
/// d_heads = split_heads(dO·W_o), dW_o = dOᵀ·concat, db_o = the column sums of dO.
OutputProjectionGrads output_projection_backward(const Tensor3& heads, const Matrix& W_o,
                                                 const Matrix& dO);

/// Exercise 22: the gradient of the mean softmax cross-entropy with respect to the logits.
/// logits is (n, C), one row of scores per position; targets has n entries, each the right
/// answer's index or -100 (no target). loss = the mean over the rows with a target of
/// −log softmax(logits row)[target]. Returns dlogits (n, C): (softmax(row) − one_hot(target))
/// / (number of rows with a target) in those rows, 0 in the others.
Matrix cross_entropy_backward(const Matrix& logits, const std::vector<long>& targets);

/// Exercise 23: a head's role score. weights (n, L, S) is one head's attention weights on n
/// sequences; keys (n, L) names, for every query i of sequence b, the key its role template
/// points at (e.g. i − 1 for "the previous token"), or -1 to leave that row out. Returns the
/// mean of weights(b, i, keys(b, i)) over the rows with a key: 1 when the head always looks
/// exactly where the template says.
double role_score(const Tensor3& weights, const Matrix& keys);

/// Exercise 24: one step of torch.optim.Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8) on weights w
/// with gradient g, both (n,); m and v (n,) are the running means, updated in place; t is this
/// step's number (1 for the first). Returns the new weights:
/// m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², w − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε).
Vector adam_step(const Vector& w, const Vector& g, Vector& m, Vector& v, int t, double lr);

/// Exercise 25: a language model's targets. tokens (B, L) holds token ids (whole numbers),
/// pad is the id of padding. Returns (B, L): at (b, i) the next word, tokens(b, i + 1), or
/// -100 (no target) at the last position and wherever that token or the next one is pad.
Matrix next_word_targets(const Matrix& tokens, double pad);

/// Exercise 26: alignment accuracy. weights (n, L, S) is the cross-attention of n sentence
/// pairs (one head, or the mean of the heads): row i of pair b is target word i's weights over
/// the source words. aligned (n, L) names the source position target word i translates, or -1
/// (none). Returns the fraction of the rows with a source word whose largest weight is on it.
double alignment_accuracy(const Tensor3& weights, const Matrix& aligned);

/// Exercise 27: one token per sentence. embedding (V, E) holds a vector per word; words (K, 2)
/// holds each sentence's two word ids (its name and its place). Returns (K, E): row k the sum
/// of the embedding rows of sentence k's two words.
Matrix sentence_vectors(const Matrix& embedding, const Matrix& words);

/// Exercise 28: cut an image (H, W) into patches of P×P pixels, as vision transformers do.
/// Returns (H/P · W/P, P·P): patch n = i·(W/P) + j is grid row i, column j (row-major over the
/// grid), and its P·P pixels are read row by row.
Matrix patchify(const Matrix& image, std::size_t P);

}  // namespace ex
