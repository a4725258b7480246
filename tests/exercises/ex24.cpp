// Exercise 24's checks: adam_step(w, g, m, v, t, lr), against the reference attn::Adam (itself
// checked against torch.optim.Adam over 20 steps, tests/test_ch22.cpp).
#include <cmath>

#include <attention/random.hpp>
#include <attention/training.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Vector;
using namespace ex::check;

namespace {

// The reference: attn::Adam on a model whose only numbers are w (as readout.bias).
Vector reference(const Vector& w, const Vector& g, const Vector& m, const Vector& v, int t,
                 double lr) {
    attn::Model p, grad;
    p.readout_bias = w;
    grad.readout_bias = g;
    attn::Adam adam;
    adam.lr = lr;
    adam.t = std::size_t(t - 1);
    adam.m = attn::zeros_like(p);
    adam.v = attn::zeros_like(p);
    adam.m.readout_bias = m;
    adam.v.readout_bias = v;
    if (t == 1) adam.t = 0;  // a first step starts from m = v = 0, as these are
    adam.step(p, grad);
    return p.readout_bias;
}

// The known mistakes: 0 no bias correction, 1 the old m and v used, 2 g instead of g² in v,
// 3 the opposite sign.
Vector variant(const Vector& w, const Vector& g, Vector m, Vector v, int t, double lr, int which) {
    const double c1 = which == 0 ? 1 : 1 - std::pow(0.9, t),
                 c2 = which == 0 ? 1 : 1 - std::pow(0.999, t);
    Vector out = w;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double m_old = m(i), v_old = v(i);
        m(i) = 0.9 * m(i) + 0.1 * g(i);
        v(i) = 0.999 * v(i) + 0.001 * (which == 2 ? std::abs(g(i)) : g(i) * g(i));
        const double mm = which == 1 ? m_old : m(i), vv = which == 1 ? v_old : v(i);
        out(i) += (which == 3 ? 1 : -1) * lr / c1 * mm / (std::sqrt(vv) / std::sqrt(c2) + 1e-8);
    }
    return out;
}

std::vector<Mistake> mistakes(const Vector& w, const Vector& g, const Vector& m, const Vector& v,
                              int t, double lr) {
    return {
            gives(variant(w, g, m, v, t, lr, 0),
                  "no bias correction: m and v start at 0, so early on they are too "
                  "small; divide the step by (1 − β1ᵗ) and √v by √(1 − β2ᵗ)."),
            gives(variant(w, g, m, v, t, lr, 1),
                  "you moved w with the old m and v: update them with this step's "
                  "gradient first, then use them."),
            gives(variant(w, g, m, v, t, lr, 2),
                  "v is the running mean of the squared gradients: (1 − β2)·g², not |g|."),
            gives(variant(w, g, m, v, t, lr, 3),
                  "your step goes up the gradient: w − …, not w + …"),
    };
}

void compare(const Vector& w, const Vector& g, const Vector& m, const Vector& v, int t, double lr) {
    Vector mm = m, vv = v;
    const Vector got = ex::adam_step(w, g, mm, vv, t, lr);
    expect({"adam_step(w, g, m, v, t = " + std::to_string(t) + ", lr)",
            {{"w", w}, {"g", g}, {"m", m}, {"v", v}},
            [&] { return mistakes(w, g, m, v, t, lr); },
            "entry by entry: m, then v, then w − lr/(1 − 0.9ᵗ) · m / (√v/√(1 − 0.999ᵗ) + 1e-8)."},
           got, reference(w, g, m, v, t, lr));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(24, "24_it_refers_to_cake", "adam_step(w, g, m, v, t, lr)");

    e.check("by hand: the first step moves every weight by lr against the sign of its gradient",
            [] {
                const Vector w = {1.0, -2.0, 0.5}, g = {0.3, -4.0, 1e-3}, zero = {0.0, 0.0, 0.0};
                const Vector hand = {1.0 - 0.01 * 0.3 / (0.3 + 1e-8),
                                     -2.0 + 0.01 * 4.0 / (4.0 + 1e-8),
                                     0.5 - 0.01 * 1e-3 / (1e-3 + 1e-8)};
                reference_agrees("adam_step", reference(w, g, zero, zero, 1, 0.01), hand, 1e-15);
                compare(w, g, zero, zero, 1, 0.01);
            });

    attn::Random rng(2424);
    const Matrix r = rng.normal_matrix(4, 6);
    const Vector w = xt::view(r, 0, xt::all()), g = xt::view(r, 1, xt::all()),
                 m = 0.1 * Vector(xt::view(r, 2, xt::all()));
    const Vector v = 0.01 * Vector(xt::square(xt::view(r, 3, xt::all())));
    e.check("step 7 with running means already there (6 weights, seed 2424)",
            [&] { compare(w, g, m, v, 7, 1e-3); });
    e.check("step 1000: the corrections are nearly 1", [&] { compare(w, g, m, v, 1000, 5e-3); });

    return e.run(argc, argv);
}
