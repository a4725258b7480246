// Part VI's tasks and the training loop (see tasks.hpp).
#include "attention/tasks.hpp"

#include <stdexcept>

#include "attention/random.hpp"

namespace attn {

namespace {

std::vector<std::string> digits(std::size_t n) {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(std::to_string(i));
    return v;
}

// Which part of the data a sequence belongs to: a fixed rule on its tokens, so training
// (rule false) never sees a held-out sequence (rule true), whatever the seed.
bool in_held_out_part(const Tokens& t, std::size_t b) {
    std::size_t h = 0;
    for (std::size_t i = 0; i < t.shape(1); ++i) h = h * 31 + std::size_t(t(b, i) + 1);
    return h % 5 == 0;  // one sequence in five
}

// Draws sequences with `one` until each lands in the part asked for.
TaskBatch draw_part(Random& rng, std::size_t B, std::size_t L, bool held_out,
                    const std::function<void(Random&, Tokens&, Tokens&, std::size_t)>& one) {
    TaskBatch t{xt::empty<long>({B, L}), xt::empty<long>({B, L})};
    for (std::size_t b = 0; b < B; ++b) {
        do one(rng, t.tokens, t.targets, b);
        while (in_held_out_part(t.tokens, b) != held_out);
    }
    return t;
}

}  // namespace

// ---- chapter 22 ------------------------------------------------------------------------

Task previous_token_task() {
    Task t;
    t.name = "previous_token";
    t.vocab = t.classes = digits(8);
    t.size = {8, 8, 8, 16, 2, 1};
    t.batch = 16;
    t.steps = 300;
    t.lr = 1e-2;
    t.draw = [](Random& rng, std::size_t B, bool held_out) {
        return draw_part(rng, B, 8, held_out,
                         [](Random& r, Tokens& tok, Tokens& tgt, std::size_t b) {
                             for (std::size_t i = 0; i < 8; ++i) tok(b, i) = long(r.integer(0, 7));
                             tgt(b, 0) = kNoTarget;  // the first token has no token before it
                             for (std::size_t i = 1; i < 8; ++i) tgt(b, i) = tok(b, i - 1);
                         });
    };
    return t;
}

// ---- chapter 23 ------------------------------------------------------------------------

Task previous_and_first_task(std::size_t heads) {
    constexpr std::size_t V = 6, L = 8;
    Task t;
    t.name = "previous_and_first";
    t.vocab = digits(V);
    for (std::size_t p = 0; p < V; ++p)
        for (std::size_t f = 0; f < V; ++f)
            t.classes.push_back(std::to_string(p) + "," + std::to_string(f));
    t.size = {V, V * V, L, 24, heads, 1};
    t.batch = 16;
    t.steps = 150;
    t.lr = 1e-2;
    t.draw = [](Random& rng, std::size_t B, bool held_out) {
        return draw_part(rng, B, L, held_out,
                         [](Random& r, Tokens& tok, Tokens& tgt, std::size_t b) {
                             for (std::size_t i = 0; i < L; ++i)
                                 tok(b, i) = long(r.integer(0, V - 1));
                             tgt(b, 0) = kNoTarget;
                             for (std::size_t i = 1; i < L; ++i)
                                 tgt(b, i) = tok(b, i - 1) * long(V) + tok(b, 0);  // "prev,first"
                         });
    };
    return t;
}

namespace {
const std::vector<std::string> kAnimals = {"cat", "dog", "mouse", "bird", "fox", "owl"};
const std::vector<std::string> kVerbs = {"chased", "saw", "bit", "fed"};
const std::vector<std::string> kSizes = {"big", "small", "old", "young"};
}  // namespace

Task subject_verb_object_task(std::size_t heads) {
    // vocab: <pad> the adjectives nouns verbs
    Task t;
    t.name = "subject_verb_object";
    t.vocab = {"<pad>", "the"};
    for (const auto* group : {&kSizes, &kAnimals, &kVerbs})
        t.vocab.insert(t.vocab.end(), group->begin(), group->end());
    for (const std::string& s : kAnimals)
        for (const std::string& o : kAnimals) t.classes.push_back(s + "->" + o);
    const std::size_t N = kAnimals.size(), L = 7;
    t.size = {t.vocab.size(), N * N, L, 24, heads, 1, 0};
    t.batch = 16;
    t.steps = 400;
    t.lr = 1e-2;
    t.draw = [N](Random& rng, std::size_t B, bool held_out) {
        return draw_part(rng, B, L, held_out,
                         [N](Random& r, Tokens& tok, Tokens& tgt, std::size_t b) {
                             const long the = 1, adj0 = 2, noun0 = adj0 + long(kSizes.size()),
                                        verb0 = noun0 + long(N);
                             const std::size_t s = r.integer(0, N - 1);
                             std::size_t o = r.integer(0, N - 2);
                             o += o >= s;  // the object is another animal
                             std::vector<long> w{the};
                             if (r.uniform() < 0.5)
                                 w.push_back(adj0 + long(r.integer(0, kSizes.size() - 1)));
                             w.push_back(noun0 + long(s));
                             const std::size_t verb_at = w.size();
                             w.push_back(verb0 + long(r.integer(0, kVerbs.size() - 1)));
                             w.push_back(the);
                             if (r.uniform() < 0.5)
                                 w.push_back(adj0 + long(r.integer(0, kSizes.size() - 1)));
                             w.push_back(noun0 + long(o));
                             for (std::size_t i = 0; i < L; ++i) {
                                 tok(b, i) = i < w.size() ? w[i] : 0;  // <pad> after the sentence
                                 tgt(b, i) = i == verb_at ? long(s * N + o) : kNoTarget;
                             }
                         });
    };
    return t;
}

// ---- chapter 24 ------------------------------------------------------------------------

namespace {
const std::vector<std::string> kFoods = {"cake", "soup", "bread", "pie", "apple", "cookie"};
const std::vector<std::string> kBoxes = {"box", "bag", "bowl", "plate", "basket", "jar"};
const std::vector<std::string> kTastes = {"sweet", "salty", "sour", "spicy",
                                          "stale"};  // fit a food
const std::vector<std::string> kShapes = {"small", "heavy", "full", "narrow",
                                          "dirty"};  // fit a container
const std::vector<std::string> kBigs = {"big", "wide", "tall", "long",
                                        "large"};      // fit the thing put in
const std::vector<std::size_t> kTooSmall = {0, 2, 3};  // small, full, narrow: fit the container
const std::vector<std::string> kFrame = {"<pad>", "she", "didn't",   "want", "to",      "eat",
                                         "take",  "the", "from",     "with", "because", "it",
                                         "was",   "too", "couldn't", "fit",  "in"};
using Words = std::vector<std::string>;
// A (referent, adjective) pair training never shows: about one in three.
bool held_out_pair(std::size_t noun, std::size_t adj) {
    return (noun + 2 * adj) % 3 == 0;
}
// A (first noun, second noun) order training never shows: about one in three.
bool held_out_order(std::size_t first, std::size_t second) {
    return (2 * first + second) % 3 == 1;
}
// Nouns are numbered foods 0..F−1, then containers F..F+C−1 (the classes' order).
const std::string& noun_name(std::size_t n) {
    return n < kFoods.size() ? kFoods[n] : kBoxes[n - kFoods.size()];
}

// "she couldn't fit the X in the Y because it was too ADJ": X a food or a container, Y
// another container; a size (big ...) fits X, small/full/narrow fit Y. Both nouns may be
// containers, so which noun the adjective fits is the role, not the kind. false: the
// sentence drawn is not in the part asked for.
bool fit_sentence(Random& rng, bool held_out, Words& w, std::size_t& referent) {
    const std::size_t F = kFoods.size(), C = kBoxes.size(), A = kTastes.size();
    const std::size_t x = rng.integer(0, F + C - 1);
    std::size_t y = F + rng.integer(0, C - 2);
    if (y >= x && x >= F) ++y;  // Y is another container than X
    const bool big = rng.uniform() < 0.5;
    const std::size_t a = big ? rng.integer(0, kBigs.size() - 1)
                              : kTooSmall[rng.integer(0, kTooSmall.size() - 1)];
    referent = big ? x : y;
    const bool pair_unseen = held_out_pair(referent, big ? 2 * A + a : A + a);  // sizes: 2A..
    const bool order_unseen = held_out_order(x, y);
    if (held_out ? !(pair_unseen && order_unseen) : (pair_unseen || order_unseen)) return false;
    w = {"she", "couldn't", "fit", "the", noun_name(x), "in", "the", noun_name(y)};
    for (const char* word : {"because", "it", "was", "too"}) w.push_back(word);
    w.push_back(big ? kBigs[a] : kShapes[a]);
    return true;
}

// "she didn't want to eat the FOOD from the CONTAINER because it was too ADJ" (forms 0-1),
// "... take the CONTAINER with the FOOD ..." (2-3), "... eat the FOOD because ..." (4): a
// taste fits the food, a shape the container. false: not in the part asked for.
bool eat_sentence(Random& rng, bool held_out, Words& w, std::size_t& referent) {
    const std::size_t F = kFoods.size(), C = kBoxes.size(), A = kTastes.size();
    const std::size_t form = rng.integer(0, 4);
    const std::size_t f = rng.integer(0, F - 1), c = rng.integer(0, C - 1),
                      a = rng.integer(0, A - 1);
    const bool taste = form == 4 || rng.uniform() < 0.5;  // the adjective fits the food
    referent = taste ? f : F + c;
    const bool pair_unseen = held_out_pair(referent, taste ? a : A + a);
    const bool order_unseen = form < 2 ? held_out_order(f, F + c) : held_out_order(F + c, f);
    if (held_out ? !(pair_unseen && (form == 4 || order_unseen)) : (pair_unseen || order_unseen))
        return false;
    if (form < 2)
        w = {"she", "didn't", "want", "to", "eat", "the", kFoods[f], "from", "the", kBoxes[c]};
    else if (form < 4)
        w = {"she", "didn't", "want", "to", "take", "the", kBoxes[c], "with", "the", kFoods[f]};
    else
        w = {"she", "didn't", "want", "to", "eat", "the", kFoods[f]};
    for (const char* x : {"because", "it", "was", "too"}) w.push_back(x);
    w.push_back(taste ? kTastes[a] : kShapes[a]);
    return true;
}
}  // namespace

Task referent_task(std::size_t layers) {
    Task t;
    t.name = "referent";
    t.vocab = kFrame;
    for (const auto* group : {&kFoods, &kBoxes, &kTastes, &kShapes, &kBigs})
        t.vocab.insert(t.vocab.end(), group->begin(), group->end());
    t.classes = kFoods;
    t.classes.insert(t.classes.end(), kBoxes.begin(), kBoxes.end());
    const std::size_t L = 15;
    t.size = {t.vocab.size(), t.classes.size(), L, 24, 2, layers, 0};
    t.batch = 16;
    t.steps = 1000;
    t.lr = 5e-3;
    t.weight_decay = 1.0;
    t.draw = [t](Random& rng, std::size_t B, bool held_out) {
        TaskBatch out{xt::zeros<long>({B, L}), xt::empty<long>({B, L})};
        for (std::size_t b = 0; b < B; ++b) {
            Words w;
            std::size_t referent = 0;
            // two in five draws are "fit" sentences; each is redrawn until in its part
            while (!(rng.uniform() < 0.4 ? fit_sentence(rng, held_out, w, referent)
                                         : eat_sentence(rng, held_out, w, referent))) {
            }
            const std::vector<long> ids = encode(t, w);
            for (std::size_t i = 0; i < L; ++i) {
                out.tokens(b, i) = i < ids.size() ? ids[i] : 0;
                out.targets(b, i) = w.size() > i && w[i] == "it" ? long(referent) : kNoTarget;
            }
        }
        return out;
    };
    return t;
}

// ---- chapter 25 ------------------------------------------------------------------------

//! [next_word_targets]
Tokens next_word_targets(const Tokens& tokens, long pad) {
    const std::size_t B = tokens.shape(0), L = tokens.shape(1);
    Tokens targets = xt::empty<long>({B, L});
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            const bool next_is_word = i + 1 < L && tokens(b, i) != pad && tokens(b, i + 1) != pad;
            targets(b, i) =
                    next_is_word ? tokens(b, i + 1) : kNoTarget;  // predict the word after i
        }
    return targets;
}
//! [next_word_targets]

namespace {
const std::vector<std::string> kSingular = {"key", "door", "book", "lamp", "box", "cabinet"};
const std::vector<std::string> kPlural = {"keys", "doors", "books", "lamps", "boxes", "cabinets"};
const std::vector<std::string> kColours = {"old", "red", "small", "new"};
// A pair of noun stems (first, second) training never shows: a third of the 36.
bool held_out_stems(std::size_t first, std::size_t second) {
    return (first + 2 * second) % 3 == 0;
}
}  // namespace

Task agreement_task() {
    Task t;
    t.name = "agreement";
    t.vocab = {"<pad>", "the", "near", "is", "are", "."};
    for (const auto* group : {&kSingular, &kPlural, &kColours})
        t.vocab.insert(t.vocab.end(), group->begin(), group->end());
    t.classes = t.vocab;  // the answer at every position is the next word
    const std::size_t L = 9, N = kSingular.size();
    t.size = {t.vocab.size(), t.classes.size(), L, 24, 2, 1, 0, true};
    t.batch = 32;
    t.steps = 400;
    t.lr = 1e-2;
    t.draw = [t, L, N](Random& rng, std::size_t B, bool held_out) {
        TaskBatch out{xt::zeros<long>({B, L}), {}};
        for (std::size_t b = 0; b < B; ++b) {
            std::size_t first = 0, second = 0;
            do first = rng.integer(0, N - 1), second = rng.integer(0, N - 1);
            while (held_out_stems(first, second) != held_out);
            const bool plural1 = rng.uniform() < 0.5, plural2 = rng.uniform() < 0.5;  // drawn apart
            std::vector<std::string> w = {"the", (plural1 ? kPlural : kSingular)[first], "near",
                                          "the"};
            for (std::size_t a = rng.integer(0, 2); a > 0; --a)
                w.push_back(kColours[rng.integer(0, kColours.size() - 1)]);
            w.push_back((plural2 ? kPlural : kSingular)[second]);
            w.push_back(plural1 ? "are" : "is");  // the verb agrees with the first noun
            w.push_back(".");
            const std::vector<long> ids = encode(t, w);
            for (std::size_t i = 0; i < ids.size(); ++i) out.tokens(b, i) = ids[i];
        }
        out.targets = next_word_targets(out.tokens, 0);
        return out;
    };
    return t;
}

Tokens deciding_targets(const Task& task, const Tokens& targets) {
    const long is = encode(task, {"is"})[0], are = encode(task, {"are"})[0];
    Tokens d = targets;
    for (long& x : d)
        if (x != is && x != are) x = kNoTarget;
    return d;
}

std::vector<long> encode(const Task& task, const std::vector<std::string>& words) {
    std::vector<long> ids;
    for (const std::string& w : words) {
        std::size_t k = 0;
        while (k < task.vocab.size() && task.vocab[k] != w) ++k;
        if (k == task.vocab.size())
            throw std::invalid_argument("\"" + w + "\" is not a word of the task " + task.name);
        ids.push_back(long(k));
    }
    return ids;
}

// ---- the loop ----------------------------------------------------------------------------

Adam task_adam(const Task& task) {
    Adam adam;
    adam.lr = task.lr;
    adam.weight_decay = task.weight_decay;
    return adam;
}

//! [train]
TrainLog train(Model& m, const Task& task, std::size_t steps, Random& rng,
               const std::function<void(std::size_t, double)>& on_step) {
    Adam adam = task_adam(task);
    TrainLog log;
    for (std::size_t step = 1; step <= steps; ++step) {
        const TaskBatch batch = task.draw(rng, task.batch, false);             // a) a batch
        const ModelForward f = model_forward(m, batch.tokens, batch.targets);  // b) forward, loss
        Model grad = model_backward(m, f, batch.tokens, batch.targets);        // c) backward
        adam.step(m, grad);                                                    // d) update
        log.loss.push_back(f.loss);
        if (on_step) on_step(step, f.loss);
    }
    return log;
}
//! [train]

TrainLog train_steps(std::size_t steps, const std::function<double()>& one_step,
                     const std::function<void(std::size_t, double)>& on_step) {
    TrainLog log;
    for (std::size_t step = 1; step <= steps; ++step) {
        log.loss.push_back(one_step());
        if (on_step) on_step(step, log.loss.back());
    }
    return log;
}

Model train_quietly(const Task& task, std::size_t steps, std::uint64_t seed) {
    Random rng(seed);
    Model m = init_model(task.size, rng);
    train(m, task, steps, rng);
    return m;
}

double role_score(const ModelForward& f, std::size_t layer, std::size_t head,
                  const std::function<long(std::size_t b, std::size_t i)>& key_of, std::size_t L) {
    double total = 0.0;
    std::size_t rows = 0;
    for (std::size_t b = 0; b < f.B; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            const long key = key_of(b, i);
            if (key < 0) continue;
            total += f.layers[layer].weights(b, head, i, std::size_t(key));
            ++rows;
        }
    return rows ? total / double(rows) : 0.0;
}

double role_share(const ModelForward& f, std::size_t layer, std::size_t head,
                  const std::function<long(std::size_t b, std::size_t i)>& key_of, std::size_t L,
                  double at_least) {
    std::size_t rows = 0, hits = 0;
    for (std::size_t b = 0; b < f.B; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            const long key = key_of(b, i);
            if (key < 0) continue;
            hits += f.layers[layer].weights(b, head, i, std::size_t(key)) >= at_least;
            ++rows;
        }
    return rows ? double(hits) / double(rows) : 0.0;
}

double held_out_accuracy(const Model& m, const Task& task, std::size_t n, Random& rng) {
    const TaskBatch batch = task.draw(rng, n, true);
    return accuracy(model_forward(m, batch.tokens, batch.targets), batch.targets);
}

}  // namespace attn
