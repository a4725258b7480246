/// \file tasks.hpp
/// \brief Part VI's tasks: the generated data chapters 22-24 train on, and the training loop.
///
/// Every task draws its batches from a Random, so its random seed fixes every batch. Each task says
/// its model's sizes (small enough to train in seconds on one core) and its Adam settings;
/// `./workbook bench --training` times these same loops against PyTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attention/training.hpp"

namespace attn {

/// A batch: tokens (B, L) and targets (B, L), kNoTarget where a position has none.
struct TaskBatch {
    Tokens tokens;   ///< (B, L) token ids
    Tokens targets;  ///< (B, L) class ids or kNoTarget
};

/// A task: its vocabulary, its answers, its model and how to draw its batches.
struct Task {
    std::string name;                  ///< e.g. "previous_token"
    std::vector<std::string> vocab;    ///< a name for every token id
    std::vector<std::string> classes;  ///< a name for every answer
    ModelSize size;                    ///< the model that learns it
    std::size_t batch = 16;            ///< sequences per training step
    std::size_t steps = 300;           ///< training steps built in
    double lr = 1e-2;                  ///< Adam's learning rate
    double weight_decay = 0.0;         ///< AdamW's weight decay (0: plain Adam)
    /// Draws B sequences; held_out: from the part of the data training never sees.
    std::function<TaskBatch(Random& rng, std::size_t B, bool held_out)> draw;
};

/// Chapter 22: L = 8 digits 0-7; at every position but the first, name the token before it.
Task previous_token_task();

/// Chapter 23: L = 8 digits 0-5; at every position i ≥ 1 name the pair (the token at i − 1,
/// the token at 0): the previous token and the first one, both read from the same digits.
/// heads: 2 heads, or 1 head of the same width E.
Task previous_and_first_task(std::size_t heads);

/// Chapter 23: "the [adjective] NOUN VERB the [adjective] NOUN" from a small grammar; at the
/// verb, name (subject, object). Adjectives are optional, so the nouns' positions vary.
Task subject_verb_object_task(std::size_t heads);

/// Chapter 24: "she didn't want to eat the FOOD from the CONTAINER because it was too ADJ",
/// "... take the CONTAINER with the FOOD ...", the explainer's one-noun sentence, and "she
/// couldn't fit the THING in the CONTAINER because it was too big / small" (the thing a food
/// or a container, so the nouns' kinds do not decide): at "it", name the noun the adjective
/// fits. Held-out sentences pair nouns with adjectives, and nouns with each other in an
/// order, that training never shows.
Task referent_task(std::size_t layers = 2);

/// A language model's targets: at every position the token after it, kNoTarget at the last
/// position and wherever the next token is `pad` (or the token itself is). tokens (B, L).
Tokens next_word_targets(const Tokens& tokens, long pad);

/// Chapter 25: "the NOUN near the [ADJ [ADJ]] NOUN VERB ." with the verb ("is" or "are")
/// agreeing with the first noun, whose number is drawn apart from the second's. A causal
/// model predicts every next word (next_word_targets); the deciding positions are those whose
/// next word is the verb. Held-out sentences pair the two noun stems in ways training never
/// shows (a third of the 36 pairs).
Task agreement_task();

/// Chapter 25: the targets of a batch kept only where the next word is "is" or "are" (the
/// deciding positions), kNoTarget elsewhere.
Tokens deciding_targets(const Task& task, const Tokens& targets);

/// The token ids of words (every word must be in task.vocab; an unknown one throws
/// std::invalid_argument naming it).
std::vector<long> encode(const Task& task, const std::vector<std::string>& words);

/// A head's role score: the mean weight head h of layer `layer` puts on the key that
/// `key_of(b, i)` names, over the rows (sequence b, query i) for which it names one (≥ 0).
/// A score of 1 means the head always looks exactly there (the role templates of head
/// detectors: previous token, a matching word, itself).
double role_score(const ModelForward& f, std::size_t layer, std::size_t head,
                  const std::function<long(std::size_t b, std::size_t i)>& key_of, std::size_t L);

/// Over the same rows as role_score, the share in which head h of layer `layer` puts at least
/// `at_least` of its weight on the key that `key_of(b, i)` names: 1 means the head always
/// points there (chapter 24: "it" at its referent).
double role_share(const ModelForward& f, std::size_t layer, std::size_t head,
                  const std::function<long(std::size_t b, std::size_t i)>& key_of, std::size_t L,
                  double at_least = 0.5);

/// What train() records.
struct TrainLog {
    std::vector<double> loss;  ///< the training loss of every step, before its update
};

/// The optimiser train() uses for the task: Adam at the task's learning rate, AdamW with the
/// task's weight decay when it is not 0.
Adam task_adam(const Task& task);

/// Adam on the task's batches for `steps` steps: each step draws a batch from rng, runs the
/// forward and backward passes and updates m. on_step(step, loss) is called after every
/// step (for progress and checkpoints), if given.
TrainLog train(Model& m, const Task& task, std::size_t steps, Random& rng,
               const std::function<void(std::size_t, double)>& on_step = {});

/// The loop of Part VII's models, whose batches and optimisers differ: `steps` times
/// one_step() (draw a batch, forward, backward, update; it returns the batch's loss before
/// the update), each loss logged and passed to on_step(step, loss) if given.
TrainLog train_steps(std::size_t steps, const std::function<double()>& one_step,
                     const std::function<void(std::size_t, double)>& on_step);

/// A model of the task's sizes drawn from Random(seed), then trained `steps` steps on batches
/// drawn from the same generator, without printing.
Model train_quietly(const Task& task, std::size_t steps, std::uint64_t seed);

/// Accuracy on n held-out sequences drawn from rng (the forward pass of held-out batches).
double held_out_accuracy(const Model& m, const Task& task, std::size_t n, Random& rng);

}  // namespace attn
