// Half of exercise 08: split_heads written, merge_heads still the stub. The checks of
// split_heads pass; the first check of merge_heads says which function is left, rather
// than "not done yet" (and ./workbook progress shows it as failing, not as not started).
// expect: ✓ 1\. .* ✗ 2\. .* a function of exercise 08 that is still the stub
#include "exercises.hpp"

namespace ex {

Tensor3 split_heads(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), d = X.shape(1) / H;
    Tensor3 heads = xt::zeros<double>({H, L, d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) heads(h, i, c) = X(i, h * d + c);
    return heads;
}

Matrix merge_heads(const Tensor3& heads) {
    todo(8, heads);
}

}  // namespace ex
