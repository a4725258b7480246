// Exercise 27 — sentence_vectors(embedding, words): a whole sentence as one token.
//
// TODO: write sentence_vectors(embedding, words) below.
//   in:  embedding (V, E), one row per word; words (K, 2), the two word ids of each of K
//        sentences ("NAME is in the PLACE": the name's id, the place's id), as whole numbers
//   out: (K, E): row k = embedding row of words(k, 0) + embedding row of words(k, 1)
// Chapter 27, step 1: the sentence vectors the question's query attends over.
//
// Check it: ./workbook check 27    on every save: ./workbook watch 27    stuck: ./workbook hint 27
#include "exercises.hpp"

namespace ex {

// embedding (V, E), words (K, 2); returns (K, E).
Matrix sentence_vectors(const Matrix& embedding, const Matrix& words) {
    todo(27, embedding, words);  // delete this line, then write the function
}

}  // namespace ex
