// Part VI: a tiny attention model, its backward pass and its optimisers (see training.hpp).
// Every matrix is a batch's rows stacked: row b·L + i is token i of sequence b.
#include "attention/training.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <xtensor-blas/xlinalg.hpp>  // declares cblas_dgemm (xflens's copy of cblas.h)
#include <xtensor/xview.hpp>

#include "attention/random.hpp"

namespace attn {

namespace {

// ---- three matrix products, one BLAS call each --------------------------------------------
// Transposed operands are read in place (BLAS's flags), never copied.

// C (n, m) += A (n, k) · B (m, k)ᵀ         e.g. x·Wᵀ, a linear layer
void add_ABt(const double* A, const double* B, double* C, std::size_t n, std::size_t m,
             std::size_t k) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(m), int(k), 1.0, A, int(k), B,
                int(k), 1.0, C, int(m));
}
// C (n, m) += A (n, k) · B (k, m)          e.g. dY·W, a linear layer's input gradient
void add_AB(const double* A, const double* B, double* C, std::size_t n, std::size_t m,
            std::size_t k) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(m), int(k), 1.0, A, int(k),
                B, int(m), 1.0, C, int(m));
}
// C (n, m) += A (k, n)ᵀ · B (k, m)         e.g. dYᵀ·X, a linear layer's weight gradient
void add_AtB(const double* A, const double* B, double* C, std::size_t n, std::size_t m,
             std::size_t k) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(n), int(m), int(k), 1.0, A, int(n), B,
                int(m), 1.0, C, int(m));
}

// C = alpha·op(A)·op(B) + beta·C on blocks inside larger row-major matrices: op is the
// matrix itself or its transpose (ta, tb), ld* the row strides of the matrices the blocks
// live in. One head of one sequence is such a block: rows b·L.., columns h·d.. of [Q | K | V].
void block_product(bool ta, bool tb, std::size_t n, std::size_t m, std::size_t k, double alpha,
                   const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
                   double* C, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                int(n), int(m), int(k), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}

// out (m,) += the column sums of A (n, m): a bias's gradient.
void add_column_sums(const Matrix& A, Vector& out) {
    const std::size_t n = A.shape(0), m = A.shape(1);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < m; ++c) out(c) += A(r, c);
}

// Every row of A (n, m) plus v (m,).
void add_to_rows(Matrix& A, const Vector& v) {
    for (std::size_t r = 0; r < A.shape(0); ++r)
        for (std::size_t c = 0; c < A.shape(1); ++c) A(r, c) += v(c);
}

}  // namespace

std::size_t NamedArray::size() const {
    std::size_t n = 1;
    for (std::size_t s : shape) n *= s;
    return n;
}

std::vector<NamedArray> named_parameters(Model& m) {
    const auto named = [](std::string name, auto& a) {
        return NamedArray{std::move(name), a.data(),
                          std::vector<std::size_t>(a.shape().begin(), a.shape().end())};
    };
    std::vector<NamedArray> out{named("embedding.weight", m.embedding),
                                named("position.weight", m.position)};
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
        const std::string pre = "layers." + std::to_string(i) + ".self_attn.";
        out.push_back(named(pre + "in_proj_weight", m.layers[i].in_proj_weight));
        out.push_back(named(pre + "in_proj_bias", m.layers[i].in_proj_bias));
        out.push_back(named(pre + "out_proj.weight", m.layers[i].out_proj_weight));
        out.push_back(named(pre + "out_proj.bias", m.layers[i].out_proj_bias));
    }
    out.push_back(named("readout.weight", m.readout_weight));
    out.push_back(named("readout.bias", m.readout_bias));
    return out;
}

Model init_model(const ModelSize& size, Random& rng) {
    Model m;
    m.size = size;
    m.embedding = rng.normal_matrix(size.vocab, size.E);
    m.position = rng.normal_matrix(size.L, size.E);
    for (std::size_t i = 0; i < size.layers; ++i)
        m.layers.push_back(random_mha_params(size.E, size.H, rng));
    const double bound = 1.0 / std::sqrt(static_cast<double>(size.E));
    m.readout_weight = xt::empty<double>({size.classes, size.E});
    m.readout_bias = xt::empty<double>({size.classes});
    for (double& x : m.readout_weight) x = bound * (2.0 * rng.uniform() - 1.0);
    for (double& x : m.readout_bias) x = bound * (2.0 * rng.uniform() - 1.0);
    return m;
}

Model zeros_like(const Model& m) {
    Model z = m;
    for (NamedArray& a : named_parameters(z)) std::fill(a.data, a.data + a.size(), 0.0);
    return z;
}

// ---- the forward pass --------------------------------------------------------------------

//! [model_forward]
ModelForward model_forward(const Model& m, const Tokens& tokens, const Tokens& targets) {
    const std::size_t B = tokens.shape(0), L = tokens.shape(1), E = m.size.E, H = m.size.H;
    const std::size_t C = m.size.classes, d = E / H, n = B * L;
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    ModelForward f;
    f.B = B;

    // 1) embed: x (B·L, E) = embedding.weight[token] + position.weight[i]
    Matrix x = xt::empty<double>({n, E});
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t e = 0; e < E; ++e)
                x(b * L + i, e) = m.embedding(std::size_t(tokens(b, i)), e) + m.position(i, e);

    // 2) attend: every layer, x = x + MultiheadAttention(x, x, x)
    for (const MhaParams& p : m.layers) {
        LayerCache c;
        c.x = x;
        // step 1, project: [Q | K | V] (B·L, 3E) = x·in_proj_weightᵀ + in_proj_bias
        c.qkv = xt::zeros<double>({n, 3 * E});
        add_ABt(x.data(), p.in_proj_weight.data(), c.qkv.data(), n, 3 * E, E);
        add_to_rows(c.qkv, p.in_proj_bias);
        // steps 2-4, split, attend, merge: head h of Q, K, V is columns h·d.. of each third;
        // its output goes to columns h·d.. of concat
        c.weights = xt::empty<double>({B, H, L, L});
        c.concat = xt::zeros<double>({n, E});
        for (std::size_t b = 0; b < B; ++b) {
            for (std::size_t h = 0; h < H; ++h) {
                const double* Q = &c.qkv(b * L, h * d);          // Q_h (L, d), rows of stride 3E
                const double* K = &c.qkv(b * L, E + h * d);      // K_h (L, d)
                const double* V = &c.qkv(b * L, 2 * E + h * d);  // V_h (L, d)
                double* P = &c.weights(b, h, 0, 0);              // (L, L)
                // scores S = Q_h·K_hᵀ / √d, then P = softmax of each row (minus its max first)
                block_product(false, true, L, L, d, scale, Q, 3 * E, K, 3 * E, 0.0, P, L);
                for (std::size_t i = 0; i < L; ++i) {
                    // a padding key, or (causal) a later one, is blocked: weight 0, no exp
                    const auto blocked = [&](std::size_t j) {
                        return tokens(b, j) == m.size.pad || (m.size.causal && j > i);
                    };
                    double* row = P + i * L;
                    double mx = -std::numeric_limits<double>::infinity();
                    for (std::size_t j = 0; j < L; ++j)
                        if (!blocked(j)) mx = std::max(mx, row[j]);
                    double sum = 0.0;
                    for (std::size_t j = 0; j < L; ++j)
                        sum += (row[j] = blocked(j) ? 0.0 : std::exp(row[j] - mx));
                    for (std::size_t j = 0; j < L; ++j) row[j] /= sum;
                }
                // output O_h = P·V_h, written into head h's columns of concat
                block_product(false, false, L, d, L, 1.0, P, L, V, 3 * E, 0.0,
                              &c.concat(b * L, h * d), E);
            }
        }
        // step 5, output projection, and the residual: x = x + concat·W_oᵀ + b_o
        add_ABt(c.concat.data(), p.out_proj_weight.data(), x.data(), n, E, E);
        add_to_rows(x, p.out_proj_bias);
        f.layers.push_back(std::move(c));
    }
    f.x = x;

    // 3) read out: logits (B·L, C) = x·readout.weightᵀ + readout.bias
    f.logits = xt::zeros<double>({n, C});
    add_ABt(x.data(), m.readout_weight.data(), f.logits.data(), n, C, E);
    add_to_rows(f.logits, m.readout_bias);

    // 4) loss: probs = softmax of each row; loss = mean of −log probs[target] over the targets
    f.probs = xt::empty<double>({n, C});
    double total = 0.0;
    for (std::size_t r = 0; r < n; ++r) {
        double mx = -std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < C; ++k) mx = std::max(mx, f.logits(r, k));
        double sum = 0.0;
        for (std::size_t k = 0; k < C; ++k) sum += (f.probs(r, k) = std::exp(f.logits(r, k) - mx));
        for (std::size_t k = 0; k < C; ++k) f.probs(r, k) /= sum;
        const long t = targets.size() ? targets(r / L, r % L) : kNoTarget;
        if (t == kNoTarget) continue;
        total += -(f.logits(r, std::size_t(t)) - mx -
                   std::log(sum));  // −log softmax, computed stably
        ++f.n_targets;
    }
    f.loss = f.n_targets ? total / static_cast<double>(f.n_targets) : 0.0;
    return f;
}
//! [model_forward]

double model_loss(const Model& m, const Tokens& tokens, const Tokens& targets) {
    return model_forward(m, tokens, targets).loss;
}

// ---- the backward pass -------------------------------------------------------------------

//! [cross_entropy_backward]
Matrix cross_entropy_backward(const Matrix& probs, const std::vector<long>& targets) {
    std::size_t n_targets = 0;
    for (long t : targets) n_targets += t != kNoTarget;
    Matrix d = xt::zeros<double>(probs.shape());
    for (std::size_t r = 0; r < targets.size(); ++r) {
        if (targets[r] == kNoTarget) continue;
        for (std::size_t k = 0; k < probs.shape(1); ++k) d(r, k) = probs(r, k) / double(n_targets);
        d(r, std::size_t(targets[r])) -=
                1.0 / double(n_targets);  // ∂(−log p_t)/∂logit = p − one_hot(t)
    }
    return d;
}
//! [cross_entropy_backward]

//! [model_backward]
Model model_backward(const Model& m, const ModelForward& f, const Tokens& tokens,
                     const Tokens& targets) {
    const std::size_t B = f.B, L = tokens.shape(1), E = m.size.E, H = m.size.H;
    const std::size_t C = m.size.classes, d = E / H, n = B * L;
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    Model g = zeros_like(m);

    // 4) loss: dlogits (B·L, C) = (probs − one_hot(target)) / n_targets
    const std::vector<long> flat(targets.begin(), targets.end());
    const Matrix dlogits = cross_entropy_backward(f.probs, flat);

    // 3) read out: d readout.weight = dlogitsᵀ·x, d readout.bias = column sums, dx = dlogits·W
    add_AtB(dlogits.data(), f.x.data(), g.readout_weight.data(), C, E, n);
    add_column_sums(dlogits, g.readout_bias);
    Matrix dx = xt::zeros<double>({n, E});  // ∂loss/∂x, the gradient of the residual stream
    add_AB(dlogits.data(), m.readout_weight.data(), dx.data(), n, E, C);

    // 2) attend, last layer first. x_out = x + attention(x): dx passes straight through the
    //    residual, and attention's input gradient is added to it.
    for (std::size_t l = m.layers.size(); l-- > 0;) {
        const MhaParams& p = m.layers[l];
        const LayerCache& c = f.layers[l];
        MhaParams& gp = g.layers[l];
        // step 5 reversed: dW_o = dxᵀ·concat, db_o = column sums of dx, d_concat = dx·W_o
        add_AtB(dx.data(), c.concat.data(), gp.out_proj_weight.data(), E, E, n);
        add_column_sums(dx, gp.out_proj_bias);
        Matrix d_concat = xt::zeros<double>({n, E});
        add_AB(dx.data(), p.out_proj_weight.data(), d_concat.data(), n, E, E);
        // steps 4-2 reversed, head by head (chapter 20): into dqkv (B·L, 3E) = [dQ | dK | dV]
        Matrix dqkv = xt::zeros<double>({n, 3 * E});
        std::vector<double> dS(L * L);
        for (std::size_t b = 0; b < B; ++b) {
            for (std::size_t h = 0; h < H; ++h) {
                const double* Q = &c.qkv(b * L, h * d);
                const double* K = &c.qkv(b * L, E + h * d);
                const double* V = &c.qkv(b * L, 2 * E + h * d);
                const double* P = &c.weights(b, h, 0, 0);
                const double* dO = &d_concat(b * L, h * d);  // head h's part of d_concat, stride E
                // dV_h = Pᵀ·dO_h;  dP = dO_h·V_hᵀ (into dS, then turned into dS in place)
                block_product(true, false, L, d, L, 1.0, P, L, dO, E, 0.0,
                              &dqkv(b * L, 2 * E + h * d), 3 * E);
                block_product(false, true, L, L, d, 1.0, dO, E, V, 3 * E, 0.0, dS.data(), L);
                // dS_i = P_i ∘ (dP_i − Σ_j P_ij dP_ij)
                for (std::size_t i = 0; i < L; ++i) {
                    double rowsum = 0.0;
                    for (std::size_t j = 0; j < L; ++j) rowsum += P[i * L + j] * dS[i * L + j];
                    for (std::size_t j = 0; j < L; ++j)
                        dS[i * L + j] = P[i * L + j] * (dS[i * L + j] - rowsum);
                }
                // dQ_h = dS·K_h / √d;  dK_h = dSᵀ·Q_h / √d
                block_product(false, false, L, d, L, scale, dS.data(), L, K, 3 * E, 0.0,
                              &dqkv(b * L, h * d), 3 * E);
                block_product(true, false, L, d, L, scale, dS.data(), L, Q, 3 * E, 0.0,
                              &dqkv(b * L, E + h * d), 3 * E);
            }
        }
        // step 1 reversed: d in_proj_weight = dqkvᵀ·x, d in_proj_bias = column sums,
        // and x was query, key and value at once: dx += dqkv·in_proj_weight (all three added)
        add_AtB(dqkv.data(), c.x.data(), gp.in_proj_weight.data(), 3 * E, E, n);
        add_column_sums(dqkv, gp.in_proj_bias);
        add_AB(dqkv.data(), p.in_proj_weight.data(), dx.data(), n, E, 3 * E);
    }

    // 1) embed: each row of dx goes to its token's row of embedding.weight and its
    //    position's row of position.weight (a token used twice gets both gradients, added)
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t e = 0; e < E; ++e) {
                g.embedding(std::size_t(tokens(b, i)), e) += dx(b * L + i, e);
                g.position(i, e) += dx(b * L + i, e);
            }
    return g;
}
//! [model_backward]

// ---- the optimisers ----------------------------------------------------------------------

void sgd_step(Model& m, Model& grad, double lr) {
    std::vector<NamedArray> p = named_parameters(m), g = named_parameters(grad);
    for (std::size_t a = 0; a < p.size(); ++a)
        for (std::size_t i = 0; i < p[a].size(); ++i) p[a].data[i] -= lr * g[a].data[i];
}

//! [adam]
void Adam::step(Model& params, Model& grad) {
    if (t == 0) m = zeros_like(params), v = zeros_like(params);
    ++t;
    const double bias_correction1 = 1.0 - std::pow(beta1, double(t));
    const double bias_correction2 = 1.0 - std::pow(beta2, double(t));
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    const double decay = 1.0 - lr * weight_decay;  // AdamW: p *= 1 − lr·λ first (1 for Adam)
    std::vector<NamedArray> p = named_parameters(params), g = named_parameters(grad);
    std::vector<NamedArray> mm = named_parameters(m), vv = named_parameters(v);
    for (std::size_t a = 0; a < p.size(); ++a) {
        // one parameter's numbers, its gradient and its two means: four arrays that never
        // overlap (__restrict__ lets the compiler use vector instructions)
        double* __restrict__ w = p[a].data;
        const double* __restrict__ grad_w = g[a].data;
        double* __restrict__ exp_avg = mm[a].data;
        double* __restrict__ exp_avg_sq = vv[a].data;
        for (std::size_t i = 0, n = p[a].size(); i < n; ++i) {
            exp_avg[i] = beta1 * exp_avg[i] + (1.0 - beta1) * grad_w[i];
            exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0 - beta2) * grad_w[i] * grad_w[i];
            const double denom = std::sqrt(exp_avg_sq[i]) / bias_correction2_sqrt + eps;
            w[i] = decay * w[i] - step_size * exp_avg[i] / denom;
        }
    }
}
//! [adam]

// ---- reading a forward pass ----------------------------------------------------------------

Tensor3 head_weights(const ModelForward& f, std::size_t layer, std::size_t b) {
    return xt::view(f.layers[layer].weights, b, xt::all(), xt::all(), xt::all());
}

Matrix layer_input(const ModelForward& f, std::size_t layer, std::size_t b, std::size_t L) {
    const Matrix& x = layer < f.layers.size() ? f.layers[layer].x : f.x;
    return xt::view(x, xt::range(b * L, (b + 1) * L), xt::all());
}

double accuracy(const ModelForward& f, const Tokens& targets) {
    std::size_t right = 0, total = 0;
    const std::size_t C = f.logits.shape(1);
    for (std::size_t r = 0; r < f.logits.shape(0); ++r) {
        const long t = targets.data()[r];
        if (t == kNoTarget) continue;
        std::size_t best = 0;
        for (std::size_t k = 1; k < C; ++k)
            if (f.logits(r, k) > f.logits(r, best)) best = k;
        right += long(best) == t;
        ++total;
    }
    return total ? double(right) / double(total) : 0.0;
}

// ---- generating one token at a time (chapter 25) -------------------------------------------

CachedModel::CachedModel(const Model& m) : m_(m) {
    for (const MhaParams& p : m.layers) caches_.emplace_back(p);
}

//! [cached_step]
Vector CachedModel::step(long token) {
    const std::size_t E = m_.size.E, C = m_.size.classes;
    // 1) embed the new token at position t: x (E,)
    Vector x = xt::view(m_.embedding, std::size_t(token), xt::all());
    x += xt::view(m_.position, t_, xt::all());
    ++t_;
    // 2) every layer: x = x + attention from x's query to every key kept so far (itself included)
    for (KVCache& cache : caches_) x += cache.step(x);
    // 3) read out, then softmax: probabilities of the next word (C,)
    Vector p = xt::empty<double>({C});
    double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
    for (std::size_t k = 0; k < C; ++k) {
        p(k) = m_.readout_bias(k);
        for (std::size_t e = 0; e < E; ++e) p(k) += m_.readout_weight(k, e) * x(e);
        mx = std::max(mx, p(k));
    }
    for (std::size_t k = 0; k < C; ++k) sum += (p(k) = std::exp(p(k) - mx));
    return p / sum;
}
//! [cached_step]

}  // namespace attn
