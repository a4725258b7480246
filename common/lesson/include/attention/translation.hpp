/// \file translation.hpp
/// \brief Part VII, chapter 26: a tiny encoder–decoder whose only attention is cross-attention.
///
/// For one sentence pair, source tokens (S,) and the target's words so far (L,):
///   1) encode   e (S, E) = encoder.embedding.weight[source word] + encoder.position.weight[j]
///   2) embed    x (L, E) = decoder.embedding.weight[previous target word] + decoder.position.weight[i]
///   3) attend   h = x + MultiheadAttention(query = x, key = e, value = e): chapter 14's
///               cross-attention (L ≠ S), source padding blocked
///   4) read out logits (L, C) = h·readout.weightᵀ + readout.bias; cross-entropy as chapter 22
/// Position i is fed the target word before it (position 0 a start word) and is scored on
/// the target word at i, so its query asks the source for the word to translate next.
///
/// The parameters are kept as two of chapter 22's Models: `encoder` (its embedding and
/// positions; no layers, an empty read-out) and `decoder` (its embedding, its positions, one
/// layer — here a cross-attention — and the read-out); Adam is chapter 22's, one per Model.
#pragma once

#include <string>
#include <vector>

#include "attention/tasks.hpp"
#include "attention/training.hpp"

namespace attn {

/// The encoder–decoder's parameters.
struct Seq2Seq {
    Model encoder;  ///< embedding (V_src, E), position (S, E); no layers, no read-out
    Model decoder;  ///< embedding (V_tgt, E), position (L, E), layers[0] the cross-attention, read-out (C, E)
};

/// A batch of sentence pairs.
struct PairBatch {
    Tokens source;   ///< (B, S) source word ids, padded with the source's pad id
    Tokens input;    ///< (B, L) the previous target word at every position (a start word first)
    Tokens targets;  ///< (B, L) the target word at every position, kNoTarget after the end
    Tokens aligned;  ///< (B, L) the source position each target word translates, -1 for none
};

/// A translation task: two vocabularies, the sizes, and how to draw pairs.
struct PairTask {
    std::vector<std::string> source_vocab;  ///< id → source word (id 0 pads)
    std::vector<std::string> target_vocab;  ///< id → target word (also the answers)
    std::size_t S = 0;                      ///< source length
    std::size_t L = 0;                      ///< target length
    std::size_t E = 0;                      ///< embed_dim
    std::size_t H = 0;                      ///< heads of the cross-attention
    std::size_t batch = 32;                 ///< sentence pairs per step
    std::size_t steps = 300;                ///< steps built in
    double lr = 1e-2;                       ///< Adam's learning rate
    /// The standard deviation of the embedding and position tables at init: 0.02, GPT-2's
    /// initializer_range (nn.Embedding draws 1; chapter 26's page says why not here).
    double init_std = 0.02;
    /// Draws B pairs; held_out: from the pairs training never sees.
    std::function<PairBatch(Random& rng, std::size_t B, bool held_out)> draw;
};

/// Chapter 26: "the|a [ADJ] NOUN VERB" → "le|un NOUN' [ADJ'] VERB'": the adjective comes after the
/// noun in the target. Held-out pairs combine a noun with an adjective (or, without one, a
/// verb) in a way training never shows.
PairTask reordering_task();

/// The pair the reordering task makes of "article [adjective] noun verb" (article "the" or "a",
/// adjective "" for none).
PairBatch reordering_pair(const PairTask& task, const std::string& article, const std::string& noun,
                          const std::string& adjective, const std::string& verb);

/// Random weights as chapter 22's init_model draws them, except the embedding and position
/// tables: N(0, task.init_std²), not N(0, 1). Large random vectors start rows sharp on
/// arbitrary words, where a softmax passes back little gradient, and give each word pair a
/// random score that training corrects only for the pairs it shows: rows then translate right
/// while looking at the wrong word (chapter 26's page explains it).
Seq2Seq init_seq2seq(const PairTask& task, Random& rng);

/// What the forward pass keeps, sentence by sentence.
struct Seq2SeqForward {
    std::vector<Matrix> e;         ///< (S, E) per sentence: the encoded source
    std::vector<Matrix> x;         ///< (L, E) per sentence: the decoder's input
    std::vector<Matrix> h;         ///< (L, E) per sentence: after the cross-attention
    std::vector<Tensor3> weights;  ///< (H, L, S) per sentence: the cross-attention weights
    Matrix probs;                  ///< (B·L, C) softmax of the logits
    Matrix logits;                 ///< (B·L, C)
    double loss = 0.0;             ///< mean cross-entropy over the targets
};

/// Steps 1-4 on a batch.
Seq2SeqForward seq2seq_forward(const Seq2Seq& m, const PairBatch& batch);

/// The gradient of the loss with respect to every parameter (each step reversed; the
/// source's vectors get the key's and the value's gradients, added).
Seq2Seq seq2seq_backward(const Seq2Seq& m, const Seq2SeqForward& f, const PairBatch& batch);

/// Adam on the task's pairs; on_step(step, loss) after every step, if given.
TrainLog train_seq2seq(Seq2Seq& m, const PairTask& task, std::size_t steps, Random& rng,
                       const std::function<void(std::size_t, double)>& on_step = {});

/// The figures of a forward pass on a batch.
struct TranslationScore {
    double words = 0.0;      ///< fraction of target words the argmax of the logits gets right
    double alignment = 0.0;  ///< fraction of aligned target words whose attention (mean over
                             ///< heads) is largest on the source word they translate
};
/// The word and alignment accuracies of a forward pass f on batch.
TranslationScore score(const Seq2SeqForward& f, const PairBatch& batch);

}  // namespace attn
