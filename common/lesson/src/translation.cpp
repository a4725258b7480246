// Part VII, chapter 26: the encoder–decoder with one cross-attention (see translation.hpp).
#include "attention/translation.hpp"

#include <cmath>
#include <limits>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

#include "attention/backward.hpp"
#include "attention/random.hpp"

namespace attn {

namespace {

const std::vector<std::string> kNouns = {"cat", "dog", "bird", "horse", "mouse", "fish"};
const std::vector<std::string> kNoms = {"chat", "chien", "oiseau", "cheval", "souris", "poisson"};
const std::vector<std::string> kAdjectives = {"black", "white", "small", "big", "old", "red"};
const std::vector<std::string> kAdjectifs = {"noir", "blanc", "petit", "grand", "vieux", "rouge"};
const std::vector<std::string> kVerbs = {"sleeps", "runs", "eats", "sings"};
const std::vector<std::string> kVerbes = {"dort", "court", "mange", "chante"};

long id_of(const std::vector<std::string>& vocab, const std::string& w) {
    std::size_t k = 0;
    while (vocab[k] != w) ++k;
    return long(k);
}

// The additive mask (L, S) that blocks the source's padding (id 0) for every query.
Matrix source_mask(const Tokens& source, std::size_t b, std::size_t L) {
    Matrix mask = xt::zeros<double>({L, source.shape(1)});
    for (std::size_t j = 0; j < source.shape(1); ++j)
        if (source(b, j) == 0)
            xt::view(mask, xt::all(), j) = -std::numeric_limits<double>::infinity();
    return mask;
}

constexpr std::size_t kNone = std::size_t(-1);

// Sentence pair b of p: "the|a [ADJ] NOUN VERB" → "le|un NOUN' [ADJ'] VERB' </s>", with its alignment.
void fill_pair(const PairTask& t, PairBatch& p, std::size_t b, bool definite, std::size_t n,
               std::size_t a, std::size_t v) {
    const bool adjective = a != kNone;
    std::vector<std::string> src = {definite ? "the" : "a"},
                             tgt = {definite ? "le" : "un", kNoms[n]};
    std::vector<long> align = {0, adjective ? 2 : 1};  // le ↔ the (un ↔ a), NOUN' ↔ NOUN
    if (adjective)
        src.push_back(kAdjectives[a]), tgt.push_back(kAdjectifs[a]),
                align.push_back(1);  // after the noun
    src.push_back(kNouns[n]);
    src.push_back(kVerbs[v]), tgt.push_back(kVerbes[v]), align.push_back(long(src.size()) - 1);
    tgt.push_back("</s>"), align.push_back(-1);
    for (std::size_t j = 0; j < src.size(); ++j) p.source(b, j) = id_of(t.source_vocab, src[j]);
    for (std::size_t i = 0; i < tgt.size(); ++i) {
        p.input(b, i) = i == 0 ? id_of(t.target_vocab, "<s>") : id_of(t.target_vocab, tgt[i - 1]);
        p.targets(b, i) = id_of(t.target_vocab, tgt[i]);
        p.aligned(b, i) = align[i];
    }
}

}  // namespace

PairTask reordering_task() {
    PairTask t;
    t.source_vocab = {"<pad>", "the", "a"};
    t.target_vocab = {"<pad>", "<s>", "</s>", "le", "un"};
    for (const auto* g : {&kNouns, &kAdjectives, &kVerbs})
        t.source_vocab.insert(t.source_vocab.end(), g->begin(), g->end());
    for (const auto* g : {&kNoms, &kAdjectifs, &kVerbes})
        t.target_vocab.insert(t.target_vocab.end(), g->begin(), g->end());
    t.S = 4, t.L = 5, t.E = 32, t.H = 2;
    t.batch = 32, t.steps = 300, t.lr = 1e-2;
    t.draw = [t](Random& rng, std::size_t B, bool held_out) {
        PairBatch p{xt::zeros<long>({B, t.S}), xt::zeros<long>({B, t.L}), xt::empty<long>({B, t.L}),
                    xt::empty<long>({B, t.L})};
        p.targets.fill(kNoTarget);
        p.aligned.fill(-1);
        for (std::size_t b = 0; b < B; ++b) {
            std::size_t n = 0, a = 0, v = 0;
            bool adjective = false;
            // held out: a sentence with an adjective, whose (noun, adjective) pair is one of the
            // third training never shows; training: any other sentence (a quarter are drawn without an
            // adjective; as a third of the others are redrawn, a third of those kept have none)
            do
                n = rng.integer(0, kNouns.size() - 1), a = rng.integer(0, kAdjectives.size() - 1),
                v = rng.integer(0, kVerbs.size() - 1), adjective = held_out || rng.uniform() < 0.75;
            while (adjective && ((n + 2 * a) % 3 == 0) != held_out);
            fill_pair(t, p, b, rng.uniform() < 0.5, n, adjective ? a : kNone, v);
        }
        return p;
    };
    return t;
}

PairBatch reordering_pair(const PairTask& task, const std::string& article, const std::string& noun,
                          const std::string& adjective, const std::string& verb) {
    PairBatch p{
            xt::zeros<long>({std::size_t{1}, task.S}), xt::zeros<long>({std::size_t{1}, task.L}),
            xt::empty<long>({std::size_t{1}, task.L}), xt::empty<long>({std::size_t{1}, task.L})};
    p.targets.fill(kNoTarget);
    p.aligned.fill(-1);
    fill_pair(task, p, 0, article == "the", std::size_t(id_of(kNouns, noun)),
              adjective.empty() ? kNone : std::size_t(id_of(kAdjectives, adjective)),
              std::size_t(id_of(kVerbs, verb)));
    return p;
}

Seq2Seq init_seq2seq(const PairTask& task, Random& rng) {
    const std::size_t C = task.target_vocab.size();
    Seq2Seq m{init_model({task.source_vocab.size(), 0, task.S, task.E, task.H, 0}, rng),
              init_model({C, C, task.L, task.E, task.H, 1}, rng)};
    for (Model* part : {&m.encoder, &m.decoder})  // N(0, 1) scaled: N(0, init_std²)
        part->embedding *= task.init_std, part->position *= task.init_std;
    return m;
}

//! [seq2seq_forward]
Seq2SeqForward seq2seq_forward(const Seq2Seq& m, const PairBatch& batch) {
    const std::size_t B = batch.source.shape(0), S = batch.source.shape(1),
                      L = batch.input.shape(1);
    const std::size_t E = m.decoder.size.E, C = m.decoder.size.classes;
    const MhaParams& cross = m.decoder.layers[0];
    Seq2SeqForward f;
    f.logits = xt::empty<double>({B * L, C});
    for (std::size_t b = 0; b < B; ++b) {
        // 1) encode: e (S, E);  2) embed: x (L, E)
        Matrix e = xt::empty<double>({S, E}), x = xt::empty<double>({L, E});
        for (std::size_t j = 0; j < S; ++j)
            xt::row(e, j) = xt::row(m.encoder.embedding, std::size_t(batch.source(b, j))) +
                            xt::row(m.encoder.position, j);
        for (std::size_t i = 0; i < L; ++i)
            xt::row(x, i) = xt::row(m.decoder.embedding, std::size_t(batch.input(b, i))) +
                            xt::row(m.decoder.position, i);
        // 3) attend: queries from the target side, keys and values from the source
        const Matrix mask = source_mask(batch.source, b, L);
        const MhaForward a = mha_forward(cross, x, e, e, &mask);
        Matrix h = x + a.output;
        // 4) read out: logits (L, C)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t k = 0; k < C; ++k)
                f.logits(b * L + i, k) =
                        m.decoder.readout_bias(k) +
                        xt::sum(xt::row(h, i) * xt::row(m.decoder.readout_weight, k))();
        f.e.push_back(std::move(e)), f.x.push_back(std::move(x)), f.h.push_back(std::move(h));
        f.weights.push_back(a.heads.weights);
    }
    // the loss: softmax of every row, mean −log p[target] over the rows with a target
    f.probs = xt::empty<double>(f.logits.shape());
    std::size_t n = 0;
    for (std::size_t r = 0; r < B * L; ++r) {
        const double mx = xt::amax(xt::row(f.logits, r))();
        xt::row(f.probs, r) = xt::exp(xt::row(f.logits, r) - mx);
        const double sum = xt::sum(xt::row(f.probs, r))();
        xt::row(f.probs, r) /= sum;
        const long t = batch.targets(r / L, r % L);
        if (t == kNoTarget) continue;
        f.loss += -std::log(f.probs(r, std::size_t(t)));
        ++n;
    }
    f.loss /= double(n);
    return f;
}
//! [seq2seq_forward]

//! [seq2seq_backward]
Seq2Seq seq2seq_backward(const Seq2Seq& m, const Seq2SeqForward& f, const PairBatch& batch) {
    const std::size_t B = batch.source.shape(0), S = batch.source.shape(1),
                      L = batch.input.shape(1);
    const std::size_t E = m.decoder.size.E, C = m.decoder.size.classes;
    Seq2Seq g{zeros_like(m.encoder), zeros_like(m.decoder)};
    MhaParams& gc = g.decoder.layers[0];
    // 4) the loss and the read-out: dlogits (B·L, C), chapter 22's
    const Matrix dlogits = cross_entropy_backward(
            f.probs, std::vector<long>(batch.targets.begin(), batch.targets.end()));
    for (std::size_t b = 0; b < B; ++b) {
        const Matrix dl = xt::view(dlogits, xt::range(b * L, (b + 1) * L), xt::all());  // (L, C)
        g.decoder.readout_weight += xt::linalg::dot(xt::transpose(dl), f.h[b]);
        g.decoder.readout_bias += xt::sum(dl, {0});
        const Matrix dh = xt::linalg::dot(dl, m.decoder.readout_weight);  // (L, E)
        // 3) the cross-attention reversed (chapter 21), plus the residual: dx = dh + ∂query
        const Matrix mask = source_mask(batch.source, b, L);
        const MhaGrads a = mha_backward(m.decoder.layers[0], f.x[b], f.e[b], f.e[b], dh, &mask);
        gc.in_proj_weight += a.in_proj_weight, gc.in_proj_bias += a.in_proj_bias;
        gc.out_proj_weight += a.out_proj_weight, gc.out_proj_bias += a.out_proj_bias;
        const Matrix dx = dh + a.query, de = a.key + a.value;  // the source was key and value
        // 2) and 1) each row back to its word's embedding and its position
        for (std::size_t i = 0; i < L; ++i) {
            xt::row(g.decoder.embedding, std::size_t(batch.input(b, i))) += xt::row(dx, i);
            xt::row(g.decoder.position, i) += xt::row(dx, i);
        }
        for (std::size_t j = 0; j < S; ++j) {
            xt::row(g.encoder.embedding, std::size_t(batch.source(b, j))) += xt::row(de, j);
            xt::row(g.encoder.position, j) += xt::row(de, j);
        }
    }
    (void)E, (void)C;
    return g;
}
//! [seq2seq_backward]

TrainLog train_seq2seq(Seq2Seq& m, const PairTask& task, std::size_t steps, Random& rng,
                       const std::function<void(std::size_t, double)>& on_step) {
    Adam enc, dec;  // Adam works number by number: one per Model is one over both
    enc.lr = dec.lr = task.lr;
    return train_steps(
            steps,
            [&] {
                const PairBatch batch = task.draw(rng, task.batch, false);
                const Seq2SeqForward f = seq2seq_forward(m, batch);
                Seq2Seq g = seq2seq_backward(m, f, batch);
                enc.step(m.encoder, g.encoder), dec.step(m.decoder, g.decoder);
                return f.loss;
            },
            on_step);
}

TranslationScore score(const Seq2SeqForward& f, const PairBatch& batch) {
    const std::size_t B = batch.source.shape(0), L = batch.input.shape(1);
    std::size_t words = 0, right = 0, aligned = 0, found = 0;
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            if (batch.targets(b, i) == kNoTarget) continue;
            const std::size_t r = b * L + i;
            right += long(xt::argmax(xt::row(f.logits, r))()) == batch.targets(b, i);
            ++words;
            if (batch.aligned(b, i) < 0) continue;
            const Matrix heads = xt::view(f.weights[b], xt::all(), i, xt::all());  // (H, S)
            const Vector mean = xt::mean(heads, {0});
            found += long(xt::argmax(mean)()) == batch.aligned(b, i);
            ++aligned;
        }
    return {double(right) / double(words), double(found) / double(aligned)};
}

}  // namespace attn
