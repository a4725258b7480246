// Exercise 28 — patchify(image, P): an image becomes tokens.
//
// TODO: write patchify(image, P) below.
//   in:  image (H, W), one colour channel; P the patch size (H and W are multiples of P)
//   out: (H/P · W/P, P·P): one row per patch, patches in row-major order over the grid
//        (patch n = i·(W/P) + j is grid row i, column j), each patch's pixels row by row:
//        out(n, r·P + c) = image(i·P + r, j·P + c)
// Chapter 28, step 1: each row becomes one token.
//
// Check it: ./workbook check 28    on every save: ./workbook watch 28    stuck: ./workbook hint 28
#include "exercises.hpp"

namespace ex {

// image (H, W); returns (H/P · W/P, P·P).
Matrix patchify(const Matrix& image, std::size_t P) {
    todo(28, image, P);  // delete this line, then write the function
}

}  // namespace ex
