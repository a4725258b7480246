// A plausible wrong answer to exercise 08: split_heads is right, but merge_heads stacks the
// heads under each other, (H·L, d), instead of side by side (L, H·d).
// expect: stacked the heads under each other
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
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    Matrix X = xt::zeros<double>({H * L, d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) X(h * L + i, c) = heads(h, i, c);
    return X;
}

}  // namespace ex
