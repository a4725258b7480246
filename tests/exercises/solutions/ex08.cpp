// Exercise 08, the reference solution: every entry moved by hand, head h owning columns
// h·d … (h+1)·d - 1. (Vectorised: xt::transpose(xt::reshape_view(X, {L, H, d}), {1, 0, 2}).)
#include "exercises.hpp"

namespace ex {

// X is (L, E); returns (H, L, E/H).
Tensor3 split_heads(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), d = X.shape(1) / H;
    Tensor3 heads = xt::zeros<double>({H, L, d});
    for (std::size_t h = 0; h < H; ++h)          // every head
        for (std::size_t i = 0; i < L; ++i)      // every token
            for (std::size_t c = 0; c < d; ++c)  // its d columns of the block
                heads(h, i, c) = X(i, h * d + c);
    return heads;
}

// heads is (H, L, d); returns (L, H·d).
Matrix merge_heads(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    Matrix X = xt::zeros<double>({L, H * d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c)
                X(i, h * d + c) = heads(h, i, c);  // head h's block, side by side
    return X;
}

}  // namespace ex
