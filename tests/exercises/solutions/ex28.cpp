// Exercise 28, the reference solution: four loops, the patch's place and the pixel's place in it.
#include "exercises.hpp"

namespace ex {

// image (H, W); returns (H/P · W/P, P·P).
Matrix patchify(const Matrix& image, std::size_t P) {
    const std::size_t rows = image.shape(0) / P, cols = image.shape(1) / P;
    Matrix patches = xt::empty<double>({rows * cols, P * P});
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            for (std::size_t r = 0; r < P; ++r)
                for (std::size_t c = 0; c < P; ++c)
                    patches(i * cols + j, r * P + c) = image(i * P + r, j * P + c);
    return patches;
}

}  // namespace ex
