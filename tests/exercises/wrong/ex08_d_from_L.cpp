// A plausible wrong answer to exercise 08: each head's width taken as E / L (columns per
// token count) instead of E / H. With L = H the two agree and nothing shows; chapter 08's
// X (4, 6) with H = 3 gives d = 1 instead of 2.
// expect: not E / L: you divided by the number of tokens
#include "exercises.hpp"

namespace ex {

Tensor3 split_heads(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), d = X.shape(1) / L;
    Tensor3 heads = xt::zeros<double>({H, L, d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) heads(h, i, c) = X(i, h * d + c);
    return heads;
}

Matrix merge_heads(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    Matrix X = xt::zeros<double>({L, H * d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) X(i, h * d + c) = heads(h, i, c);
    return X;
}

}  // namespace ex
