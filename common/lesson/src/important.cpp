// Part VII, chapter 27: a question's query over a document's sentences (see important.hpp).
#include "attention/important.hpp"

#include <algorithm>
#include <cmath>

#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

#include "attention/backward.hpp"
#include "attention/random.hpp"

namespace attn {

namespace {
const std::vector<std::string> kNames = {"anna", "ben",  "carl", "dora",
                                         "eve",  "finn", "gus",  "hana"};
const std::vector<std::string> kPlaces = {"kitchen", "garden", "office", "park", "attic", "cellar"};
// A (name, place) pair training never shows in any sentence: a third of the 48.
bool held_out_pair(std::size_t name, std::size_t place) {
    return (name + 2 * place) % 3 == 0;
}
}  // namespace

DocTask important_sentence_task() {
    DocTask t;
    t.words = kNames;
    t.words.insert(t.words.end(), kPlaces.begin(), kPlaces.end());
    t.places = kPlaces;
    t.draw = [K = t.K](Random& rng, std::size_t B, bool held_out) {
        DocBatch d{xt::empty<long>({B, K}), xt::empty<long>({B, K}),
                   xt::empty<long>({B, std::size_t{1}}), xt::empty<long>({B, std::size_t{1}}),
                   xt::empty<long>({B, std::size_t{1}})};
        const long N = long(kNames.size());
        for (std::size_t b = 0; b < B; ++b) {
            const std::size_t asked = rng.integer(0, K - 1);
            std::vector<std::size_t> used;
            for (std::size_t k = 0; k < K; ++k) {
                std::size_t name = 0, place = 0;
                bool ok = false;
                while (!ok) {  // distinct names; only the asked sentence may hold a held-out pair
                    name = rng.integer(0, kNames.size() - 1),
                    place = rng.integer(0, kPlaces.size() - 1);
                    ok = std::find(used.begin(), used.end(), name) == used.end() &&
                         held_out_pair(name, place) == (held_out && k == asked);
                }
                used.push_back(name);
                d.names(b, k) = long(name), d.places(b, k) = N + long(place);
            }
            d.question(b, 0) = d.names(b, asked), d.answer(b, 0) = d.places(b, asked) - N,
                          d.sentence(b, 0) = long(asked);
        }
        return d;
    };
    return t;
}

Model init_doc_model(const DocTask& task, Random& rng) {
    return init_model({task.words.size(), task.places.size(), 0, task.E, 1, 1}, rng);
}

Matrix sentence_vectors(const Model& m, const DocBatch& batch, std::size_t b) {
    const std::size_t K = batch.names.shape(1);
    Matrix s = xt::empty<double>({K, m.size.E});
    for (std::size_t k = 0; k < K; ++k)
        xt::row(s, k) = xt::row(m.embedding, std::size_t(batch.names(b, k))) +
                        xt::row(m.embedding, std::size_t(batch.places(b, k)));
    return s;
}

//! [doc_forward]
DocForward doc_forward(const Model& m, const DocBatch& batch) {
    const std::size_t B = batch.names.shape(0), K = batch.names.shape(1), C = m.size.classes;
    DocForward f;
    f.weights = xt::empty<double>({B, K});
    f.probs = xt::empty<double>({B, C});
    for (std::size_t b = 0; b < B; ++b) {
        // 1) embed: the question u (1, E), the sentences s (K, E)
        Matrix u = xt::view(m.embedding, xt::range(batch.question(b, 0), batch.question(b, 0) + 1),
                            xt::all());
        Matrix s = sentence_vectors(m, batch, b);
        // 2) attend: one query over the K sentences
        const MhaForward a = mha_forward(m.layers[0], u, s, s);
        xt::row(f.weights, b) = xt::view(a.heads.weights, 0, 0, xt::all());
        // 3) read out, then softmax over the places
        Vector logits = m.readout_bias;  // (C,) = readout.weight·o + readout.bias
        for (std::size_t c = 0; c < C; ++c)
            logits(c) += xt::sum(xt::row(m.readout_weight, c) * xt::row(a.output, 0))();
        const double mx = xt::amax(logits)();
        Vector p = xt::exp(logits - mx);
        p /= double(xt::sum(p)());
        xt::row(f.probs, b) = p;
        f.loss -= std::log(p(std::size_t(batch.answer(b, 0)))) / double(B);
        f.u.push_back(std::move(u)), f.s.push_back(std::move(s)), f.o.push_back(a.output);
    }
    return f;
}
//! [doc_forward]

//! [doc_backward]
Model doc_backward(const Model& m, const DocForward& f, const DocBatch& batch) {
    const std::size_t B = batch.names.shape(0), K = batch.names.shape(1), C = m.size.classes,
                      E = m.size.E;
    Model g = zeros_like(m);
    for (std::size_t b = 0; b < B; ++b) {
        // 3) read out: dlogits = (p − one_hot(answer)) / B; d readout; do (1, E) = dlogits·readout.weight
        Vector dl = xt::row(f.probs, b) / double(B);
        dl(std::size_t(batch.answer(b, 0))) -= 1.0 / double(B);
        Matrix dO = xt::zeros<double>({std::size_t{1}, E});
        for (std::size_t c = 0; c < C; ++c) {
            xt::row(g.readout_weight, c) += dl(c) * xt::row(f.o[b], 0);
            g.readout_bias(c) += dl(c);
            xt::row(dO, 0) += dl(c) * xt::row(m.readout_weight, c);
        }
        // 2) attend reversed (chapter 21): the sentences were key and value, so both gradients add
        const MhaGrads a = mha_backward(m.layers[0], f.u[b], f.s[b], f.s[b], dO);
        MhaParams& gp = g.layers[0];
        gp.in_proj_weight += a.in_proj_weight, gp.in_proj_bias += a.in_proj_bias;
        gp.out_proj_weight += a.out_proj_weight, gp.out_proj_bias += a.out_proj_bias;
        const Matrix ds = a.key + a.value;  // (K, E)
        // 1) embed reversed: the question's row, and each sentence's gradient to both its words
        xt::row(g.embedding, std::size_t(batch.question(b, 0))) += xt::row(a.query, 0);
        for (std::size_t k = 0; k < K; ++k) {
            xt::row(g.embedding, std::size_t(batch.names(b, k))) += xt::row(ds, k);
            xt::row(g.embedding, std::size_t(batch.places(b, k))) += xt::row(ds, k);
        }
    }
    return g;
}
//! [doc_backward]

TrainLog train_doc(Model& m, const DocTask& task, std::size_t steps, Random& rng,
                   const std::function<void(std::size_t, double)>& on_step) {
    Adam adam;
    adam.lr = task.lr;
    return train_steps(
            steps,
            [&] {
                const DocBatch batch = task.draw(rng, task.batch, false);
                const DocForward f = doc_forward(m, batch);
                Model g = doc_backward(m, f, batch);
                adam.step(m, g);
                return f.loss;
            },
            on_step);
}

DocScore score(const DocForward& f, const DocBatch& batch) {
    const std::size_t B = batch.names.shape(0);
    DocScore s;
    for (std::size_t b = 0; b < B; ++b) {
        s.accuracy +=
                double(long(xt::argmax(xt::row(f.probs, b))()) == batch.answer(b, 0)) / double(B);
        s.weight += f.weights(b, std::size_t(batch.sentence(b, 0))) / double(B);
    }
    return s;
}

}  // namespace attn
