// Exercise 24 — adam_step(w, g, m, v, t, lr): one step of the optimiser chapters 22-24 train with.
//
// TODO: write adam_step(w, g, m, v, t, lr) below.
//   in:  w (n,) the weights, g (n,) their gradient, m and v (n,) Adam's running means of the
//        gradients and of their squares (update them in place), t the step's number (1 first),
//        lr the learning rate; β1 = 0.9, β2 = 0.999, ε = 1e-8
//   out: the new weights, for every entry:
//        m = β1·m + (1 − β1)·g,   v = β2·v + (1 − β2)·g²,
//        w − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
// Chapter 22, step 4 (the same update as torch.optim.Adam; chapter 24 trains with AdamW, this
// step plus a weight decay, left out here). Plain loops are fine.
//
// Check it: ./workbook check 24    on every save: ./workbook watch 24    stuck: ./workbook hint 24
#include "exercises.hpp"

namespace ex {

// w, g, m, v are (n,); returns the new w (n,).
Vector adam_step(const Vector& w, const Vector& g, Vector& m, Vector& v, int t, double lr) {
    todo(24, w, g, m, v, t, lr);  // delete this line, then write the function
}

}  // namespace ex
