// A plausible wrong answer to exercise 08: the columns dealt out like cards, head h taking
// every H-th column (h, h + H, h + 2H, …) instead of a contiguous block.
// expect: every H-th column
#include "exercises.hpp"

namespace ex {

Tensor3 split_heads(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), d = X.shape(1) / H;
    Tensor3 heads = xt::zeros<double>({H, L, d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) heads(h, i, c) = X(i, c * H + h);
    return heads;
}

Matrix merge_heads(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    Matrix X = xt::zeros<double>({L, H * d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) X(i, c * H + h) = heads(h, i, c);
    return X;
}

}  // namespace ex
