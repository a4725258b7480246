// Exercise 22 — cross_entropy_backward(logits, targets): where training's gradient starts.
//
// TODO: write cross_entropy_backward(logits, targets) below.
//   in:  logits (n, C), one row of scores per position, one column per answer
//        targets, n entries: the right answer's column, or -100 for a row with no target
//   out: dlogits (n, C) = ∂loss/∂logits for loss = the mean over the rows with a target of
//        −log softmax(row)[target]. With N the number of rows that have a target:
//        dlogits(r, k) = (softmax(row r)(k) − (k == target ? 1 : 0)) / N, and 0 in a row
//        without a target.
// Chapter 22, step 3: the first step of the backward pass. Plain loops are fine; subtract
// the row's largest logit before exp, as chapter 04 does.
//
// Check it: ./workbook check 22    on every save: ./workbook watch 22    stuck: ./workbook hint 22
#include "exercises.hpp"

namespace ex {

// logits is (n, C), targets has n entries; returns dlogits (n, C).
Matrix cross_entropy_backward(const Matrix& logits, const std::vector<long>& targets) {
    todo(22, logits, targets);  // delete this line, then write the function
}

}  // namespace ex
