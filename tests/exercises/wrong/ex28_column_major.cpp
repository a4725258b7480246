// A plausible wrong answer to exercise 28: the patches numbered down the columns of the grid.
// expect: numbered down the columns
#include "exercises.hpp"

namespace ex {

Matrix patchify(const Matrix& image, std::size_t P) {
    const std::size_t rows = image.shape(0) / P, cols = image.shape(1) / P;
    Matrix patches = xt::empty<double>({rows * cols, P * P});
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            for (std::size_t r = 0; r < P; ++r)
                for (std::size_t c = 0; c < P; ++c)
                    patches(j * rows + i, r * P + c) = image(i * P + r, j * P + c);
    return patches;
}

}  // namespace ex
