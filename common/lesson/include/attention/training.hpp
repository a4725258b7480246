/// \file training.hpp
/// \brief Part VI: a tiny attention model and the loop that trains it.
///
/// The model, for a batch of B sequences of L tokens (E wide, H heads, N layers):
///   1) embed     x = embedding.weight[token] + position.weight[position]   (B·L, E)
///   2) attend    N times: x = x + MultiheadAttention(x, x, x), the five steps of mha.hpp
///                with a residual connection (no mask: every token sees every token; or, with
///                ModelSize::causal, chapter 13's causal mask: token i sees tokens 0..i)
///   3) read out  logits = x·readout.weightᵀ + readout.bias                 (B·L, C)
///   4) loss      softmax cross-entropy, the mean over the positions that have a target
/// and its backward pass, each step reversed (Part V's gradients), then one optimiser step
/// (SGD or Adam, the same update as torch.optim.Adam; with weight decay, torch.optim.AdamW).
///
/// The positions are learned (an `nn.Embedding(L, E)` named `position`), not chapter 15's
/// fixed sinusoids: the relationships the chapters ask for ("the previous token", "the first
/// token") are then one learned vector per position away, and every parameter is of one kind
/// PyTorch has a layer for. There is no layer norm and no feed-forward block: what the
/// model learns is in its attention.
///
/// The passes work on the whole batch at once: the projections are one matrix product over
/// all B·L rows (BLAS), each head's attention in one sequence a few small products on its
/// block of [Q | K | V], read in place. The tests check them
/// against mha_forward and mha_backward, sequence by sequence, and against PyTorch.
#pragma once

#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "attention/kv_cache.hpp"
#include "attention/mha.hpp"
#include "attention/types.hpp"

namespace attn {

class Random;

/// Token ids (B, L); also the targets, where PyTorch's ignore_index −100 marks "no target".
using Tokens = xt::xtensor<long, 2>;
/// The target of a position that has none (cross_entropy's ignore_index).
constexpr long kNoTarget = -100;

/// The sizes of a model.
struct ModelSize {
    std::size_t vocab = 0;    ///< number of token ids
    std::size_t classes = 0;  ///< number of answers the read-out scores
    std::size_t L = 0;        ///< longest sequence (rows of position.weight)
    std::size_t E = 0;        ///< embed_dim
    std::size_t H = 0;        ///< num_heads in every layer
    std::size_t layers = 1;   ///< attention layers, one after another
    long pad = -1;            ///< a padding token id no query attends to (PyTorch's
                              ///< key_padding_mask = tokens == pad); −1: none
    bool causal = false;      ///< chapter 13's causal mask in every layer: query i sees
                              ///< keys 0..i only (a language model predicting the next word)
};

/// The parameters, named as in the PyTorch module's state_dict. The same struct holds
/// their gradients (each the shape of its parameter).
struct Model {
    ModelSize size;    ///< the sizes it was made with
    Matrix embedding;  ///< (vocab, E) embedding.weight
    Matrix position;   ///< (L, E) position.weight
    std::vector<MhaParams>
            layers;  ///< layers.i.self_attn.{in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias}
    Matrix readout_weight;  ///< (classes, E) readout.weight
    Vector readout_bias;    ///< (classes,) readout.bias
};

/// One parameter (or its gradient) as a flat run of doubles, with its state_dict name.
struct NamedArray {
    std::string name;                ///< e.g. "layers.0.self_attn.in_proj_weight"
    double* data;                    ///< its numbers, row-major
    std::vector<std::size_t> shape;  ///< its shape
    std::size_t size() const;        ///< the product of shape
};

/// Every parameter of m, in state_dict order.
std::vector<NamedArray> named_parameters(Model& m);

/// A model drawn as PyTorch initialises one: embeddings N(0, 1), attention as
/// random_mha_params, read-out uniform in ±1/√E.
Model init_model(const ModelSize& size, Random& rng);

/// A model of the same sizes with every number 0 (e.g. to add gradients into).
Model zeros_like(const Model& m);

/// What one layer's forward pass keeps for the backward pass.
struct LayerCache {
    Matrix x;         ///< (B·L, E) the layer's input
    Matrix qkv;       ///< (B·L, 3E) step 1: [Q | K | V] = x·in_proj_weightᵀ + in_proj_bias
    Tensor4 weights;  ///< (B, H, L, L) step 3: every head's attention weights
    Matrix concat;    ///< (B·L, E) step 4: the heads' outputs side by side
};

/// Every intermediate of one forward pass on a batch.
struct ModelForward {
    std::size_t B = 0;               ///< sequences in the batch
    std::vector<LayerCache> layers;  ///< one per attention layer
    Matrix x;                        ///< (B·L, E) the last layer's output
    Matrix logits;                   ///< (B·L, C) step 3
    Matrix probs;                    ///< (B·L, C) softmax of each row of logits
    double loss = 0.0;               ///< step 4: the mean cross-entropy over the targets
    std::size_t n_targets = 0;       ///< positions with a target (not kNoTarget)
};

/// The forward pass on tokens (B, L); targets (B, L) with kNoTarget where there is none
/// (targets may be empty: no loss). Every id must be in range (the chapters make their own).
/// Keys holding size.pad are blocked in every head (their weight is 0); with size.causal, so
/// are the keys after the query. A blocked weight is exactly 0, so the backward pass needs no
/// mask of its own: dS = P ∘ (dP − rowsum) is 0 wherever P is.
ModelForward model_forward(const Model& m, const Tokens& tokens, const Tokens& targets);

/// The mean cross-entropy of the model on a batch (model_forward(...).loss).
double model_loss(const Model& m, const Tokens& tokens, const Tokens& targets);

/// The gradient of the loss (the mean over the targets) of the softmax cross-entropy with
/// respect to the logits: (probs − one_hot(target)) / n_targets in rows with a target, 0 in
/// the others. probs (n, C), targets n ids or kNoTarget.
Matrix cross_entropy_backward(const Matrix& probs, const std::vector<long>& targets);

/// The backward pass: the gradient of f.loss with respect to every parameter.
Model model_backward(const Model& m, const ModelForward& f, const Tokens& tokens,
                     const Tokens& targets);

/// Plain gradient descent: every parameter p −= lr·grad.
void sgd_step(Model& m, Model& grad, double lr);

/// torch.optim.Adam (weight_decay 0, amsgrad off), its state and its update; with
/// weight_decay > 0, torch.optim.AdamW (decoupled weight decay).
struct Adam {
    double lr = 1e-3;           ///< learning rate
    double beta1 = 0.9;         ///< decay of the mean of the gradients
    double beta2 = 0.999;       ///< decay of the mean of their squares
    double eps = 1e-8;          ///< keeps the division finite
    double weight_decay = 0.0;  ///< AdamW's: every weight shrinks by lr·weight_decay of itself
    std::size_t t = 0;          ///< steps taken
    Model m;                    ///< first moment (exp_avg), one per parameter
    Model v;                    ///< second moment (exp_avg_sq)
    /// One step: t += 1, then for every number p with gradient g
    ///   p −= lr·weight_decay·p   (AdamW's decay, apart from the gradient; none when 0)
    ///   m = β1·m + (1 − β1)·g,   v = β2·v + (1 − β2)·g²
    ///   p −= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
    void step(Model& params, Model& grad);
};

/// The per-head attention weights (H, L, L) of sequence b in layer i of a forward pass.
Tensor3 head_weights(const ModelForward& f, std::size_t layer, std::size_t b);

/// The input (L, E) of layer i for sequence b (chapter 11's query.npy).
Matrix layer_input(const ModelForward& f, std::size_t layer, std::size_t b, std::size_t L);

/// The index of the largest logit in every row with a target; the fraction right.
double accuracy(const ModelForward& f, const Tokens& targets);

/// Chapter 25: a causal model run one token at a time, each layer with chapter 17's KVCache.
/// Fed tokens t_0, t_1, … it returns, after each, the softmax of the read-out at that
/// position: the same numbers as row i of model_forward(...).probs, with each earlier token's
/// keys and values kept instead of recomputed.
class CachedModel {
public:
    /// An empty cache for every layer of m (a causal model; m is copied).
    explicit CachedModel(const Model& m);
    /// Feeds the token at the next position (≤ size.L tokens in all); returns (classes,).
    Vector step(long token);
    /// Tokens fed so far.
    std::size_t length() const { return t_; }

private:
    Model m_;
    std::vector<KVCache> caches_;  // one per layer
    std::size_t t_ = 0;
};

}  // namespace attn
