// A plausible wrong answer to exercise 28: the image reshaped, every P·P pixels in reading order as a "patch".
// expect: reshaping is not patching
#include "exercises.hpp"

namespace ex {

Matrix patchify(const Matrix& image, std::size_t P) {
    const std::size_t n = image.size() / (P * P);
    Matrix patches = xt::empty<double>({n, P * P});
    for (std::size_t k = 0; k < image.size(); ++k)
        patches(k / (P * P), k % (P * P)) = image.data()[k];
    return patches;
}

}  // namespace ex
