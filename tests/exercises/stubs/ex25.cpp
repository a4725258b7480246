// Exercise 25 — next_word_targets(tokens, pad): what a language model learns to predict.
//
// TODO: write next_word_targets(tokens, pad) below.
//   in:  tokens (B, L), token ids as whole numbers, one sentence per row, padded with pad
//   out: (B, L): at (b, i) the word after it, tokens(b, i + 1); -100 ("no target") at the
//        last position and wherever tokens(b, i) or tokens(b, i + 1) is pad
// Chapter 25, step 1: the model reads words 0..i (the causal mask) and is scored on word i + 1.
//
// Check it: ./workbook check 25    on every save: ./workbook watch 25    stuck: ./workbook hint 25
#include "exercises.hpp"

namespace ex {

// tokens (B, L); returns (B, L).
Matrix next_word_targets(const Matrix& tokens, double pad) {
    todo(25, tokens, pad);  // delete this line, then write the function
}

}  // namespace ex
