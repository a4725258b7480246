// Exercise 16 — padding_mask(lengths, S): nobody attends to padding.
//
// TODO: write padding_mask(lengths, S) below.
//   in:  lengths, B numbers: sample b of the batch has lengths[b] real tokens, and is
//        padded after them up to S positions (lengths[b] ≤ S)
//   out: (B, S), the additive key padding mask: row b is 0 at the real positions
//        j < lengths[b] and -INFINITY at the pads j ≥ lengths[b]
// Chapter 16, step 2 (and chapter 13, step 3). Row b is added to every row of sample b's
// scores, so no query looks at a pad. PyTorch's bool key_padding_mask means the same with
// True = padding (= blocked); here it is the additive form. -INFINITY is in <cmath>.
//
// Check it: ./workbook check 16    on every save: ./workbook watch 16    stuck: ./workbook hint 16
#include <cmath>
#include <vector>

#include "exercises.hpp"

namespace ex {

// lengths has B entries; returns (B, S).
Matrix padding_mask(const std::vector<std::size_t>& lengths, std::size_t S) {
    todo(16, lengths, S);  // delete this line, then write the function
}

}  // namespace ex
