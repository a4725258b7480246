/// \file important.hpp
/// \brief Part VII, chapter 27: one question's query attends over a document's sentences.
///
/// A document is K sentences "NAME is in the PLACE", each one token: its vector is the sum of
/// its two words' vectors. For a question "where is NAME?":
///   1) embed    u (1, E) = embedding.weight[NAME];  s (K, E) row k = embedding.weight[name_k]
///                                                              + embedding.weight[place_k]
///   2) attend   o (1, E) = MultiheadAttention(query = u, key = s, value = s), one head:
///               a single query over the sentences; its weights (1, K) say which it reads
///   3) read out logits (1, C) = o·readout.weightᵀ + readout.bias, C the places
/// There is no residual: the answer can only come from the sentences the query reads. The
/// parameters are one of chapter 22's Models (embedding, layers[0] the attention, read-out;
/// no positions: a document's sentences have no order), trained by its Adam.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "attention/tasks.hpp"
#include "attention/training.hpp"

namespace attn {

class Random;

/// A batch of documents and questions.
struct DocBatch {
    Tokens names;     ///< (B, K) the name of every sentence (word ids)
    Tokens places;    ///< (B, K) the place of every sentence (word ids)
    Tokens question;  ///< (B, 1) the name asked about
    Tokens answer;    ///< (B, 1) the place (class id) of the sentence that answers
    Tokens sentence;  ///< (B, 1) which sentence that is
};

/// Chapter 27's task: 8 names, 6 places, K = 4 sentences with distinct names. Held-out
/// documents answer with a (name, place) pair that training never shows in any sentence.
struct DocTask {
    std::vector<std::string> words;   ///< id → word: the names, then the places
    std::vector<std::string> places;  ///< class id → place
    std::size_t K = 4;                ///< sentences in a document
    std::size_t E = 32;               ///< embed_dim
    std::size_t batch = 32;           ///< documents per step
    std::size_t steps = 300;          ///< steps built in
    double lr = 1e-2;                 ///< Adam's learning rate
    /// Draws B documents; held_out: from those training never sees.
    std::function<DocBatch(Random& rng, std::size_t B, bool held_out)> draw;
};

/// The task chapter 27 trains on.
DocTask important_sentence_task();

/// Random weights as chapter 22's init_model draws them (one head, no positions).
Model init_doc_model(const DocTask& task, Random& rng);

/// What the forward pass keeps, document by document.
struct DocForward {
    std::vector<Matrix> u;  ///< (1, E) per document: the question's vector
    std::vector<Matrix> s;  ///< (K, E) per document: the sentence vectors
    std::vector<Matrix> o;  ///< (1, E) per document: what the query read
    Matrix weights;         ///< (B, K) the query's weights over the sentences
    Matrix probs;           ///< (B, C) softmax of the logits
    double loss = 0.0;      ///< mean cross-entropy
};

/// The sentence vectors (K, E) of document b: each the sum of its two words' rows.
Matrix sentence_vectors(const Model& m, const DocBatch& batch, std::size_t b);

/// Steps 1-3 on a batch.
DocForward doc_forward(const Model& m, const DocBatch& batch);

/// The gradient of the loss with respect to every parameter.
Model doc_backward(const Model& m, const DocForward& f, const DocBatch& batch);

/// Adam on the task's documents; on_step(step, loss) after every step, if given.
TrainLog train_doc(Model& m, const DocTask& task, std::size_t steps, Random& rng,
                   const std::function<void(std::size_t, double)>& on_step = {});

/// The fraction answered right, and the mean weight on the answering sentence.
struct DocScore {
    double accuracy = 0.0;  ///< argmax of the logits = the answer
    double weight = 0.0;    ///< mean weight the query puts on the sentence that answers
};

/// The figures of a forward pass f on batch.
DocScore score(const DocForward& f, const DocBatch& batch);

}  // namespace attn
