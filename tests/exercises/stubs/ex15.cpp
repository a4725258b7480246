// Exercise 15 — positional_encoding(L, E): where each token stands, as a vector.
//
// TODO: write positional_encoding(L, E) below.
//   in:  L positions (0 … L-1) and the width E of the token vectors
//   out: PE (L, E), the original Transformer's sinusoids: for column pairs (2i, 2i+1),
//        PE(pos, 2i)   = sin(pos / 10000^(2i/E))
//        PE(pos, 2i+1) = cos(pos / 10000^(2i/E))
//        (both columns of a pair share one frequency; with an odd E the last column is a sin)
// Chapter 15, step 3: each pair of columns is a clock at its own speed. std::sin,
// std::cos and std::pow are in <cmath>; compute in double, not in integers.
//
// Check it: ./workbook check 15    on every save: ./workbook watch 15    stuck: ./workbook hint 15
#include <cmath>

#include "exercises.hpp"

namespace ex {

// Returns (L, E).
Matrix positional_encoding(std::size_t L, std::size_t E) {
    todo(15, L, E);  // delete this line, then write the function
}

}  // namespace ex
