// Exercise 08's checks: split_heads(X, H) (L, E) → (H, L, E/H) and merge_heads back,
// against the reference attn::split_heads and attn::merge_heads.
#include <xtensor/xstrided_view.hpp>

#include <attention/mha.hpp>
#include <attention/random.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using attn::Tensor3;
using namespace ex::check;

namespace {

const char* kMixed =
        "reshaped without transposing? Your heads have the right shape, but tokens are mixed "
        "across heads: reading X in memory order into (H, L, d), x.view(H, L, d), gives head 0 "
        "the first tokens' numbers. Cut each token's row into H pieces, (L, H, d), then bring "
        "the head axis to the front: heads(h, i, c) = X(i, h·d + c) (chapter 08, step 3).";

// Head h takes every H-th column, h, h + H, …: the columns dealt out like cards.
Tensor3 split_strided(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), d = X.shape(1) / H;
    Tensor3 t = xt::zeros<double>({H, L, d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) t(h, i, c) = X(i, c * H + h);
    return t;
}

Matrix merge_strided(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    Matrix X = xt::zeros<double>({L, H * d});
    for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < L; ++i)
            for (std::size_t c = 0; c < d; ++c) X(i, c * H + h) = heads(h, i, c);
    return X;
}

// What the known mistakes of split_heads would return for X and H, most specific first.
std::vector<Mistake> split_mistakes(const Matrix& X, std::size_t H) {
    const std::size_t L = X.shape(0), d = X.shape(1) / H;
    const Tensor3 right = attn::split_heads(X, H);
    const Tensor3 pieces = xt::reshape_view(X, {L, H, d});  // (L, H, d): not yet transposed
    std::vector<Mistake> m = {
            gives(Tensor3(xt::reshape_view(X, {H, L, d})), kMixed),
            gives(split_strided(X, H),
                  "head h took every H-th column (h, h + H, h + 2H, …): each head owns a "
                  "contiguous block of d = E / H columns, heads(h, i, c) = X(i, h·d + c), not "
                  "X(i, c·H + h)."),
            gives(pieces,
                  "your answer is the (L, H, d) reshape without the transpose: entry (a, b, c) "
                  "is token a's piece b, so the first axis runs over tokens, not heads. Bring the "
                  "head axis to the front: heads(h, i, c) = X(i, h·d + c)."),
    };
    // d_head from the number of tokens instead of the number of heads: a different width
    // whenever L ≠ H (and the same, undetectably, when L = H).
    m.push_back(when_array(
            [L, H, E = X.shape(1)](const Array& a) {
                return L != H && a.dimension() == 3 && a.shape(0) == H && a.shape(1) == L &&
                       a.shape(2) == E / L && E / L != E / H;
            },
            "each head's width is d = E / H (the columns divided among the heads), "
            "not E / L: you divided by the number of tokens L. The two only agree "
            "when L = H."));
    m.push_back(when_array(
            [L, H, d](const Array& a) {
                return a.dimension() == 3 && a.shape(0) == L && a.shape(1) == H &&
                       a.shape(2) == d && L != H;
            },
            "your result is (L, H, d): each token's row is cut into H pieces, "
            "but the head axis must come first, (H, L, d) — transpose(0, 1), "
            "as x.view(L, H, d).transpose(0, 1) does in PyTorch."));
    m.push_back(shape_differs(right,
                              "the heads are (H, L, d): H heads, each with all L tokens and "
                              "d = E / H columns."));
    return m;
}

// What the known mistakes of merge_heads would return, most specific first.
std::vector<Mistake> merge_mistakes(const Tensor3& heads) {
    const std::size_t H = heads.shape(0), L = heads.shape(1), d = heads.shape(2);
    const Matrix right = attn::merge_heads(heads);
    return {
            gives(Matrix(xt::reshape_view(heads, {L, H * d})),
                  "reshaped without transposing? Reading the heads in memory order into (L, H·d) "
                  "puts head 0's tokens side by side in row 0, so tokens are mixed across heads "
                  "and rows. Row i must be [head 0's row i | head 1's row i | …]: "
                  "out(i, h·d + c) = heads(h, i, c)."),
            gives(merge_strided(heads),
                  "your merge interleaves the heads, every H-th column from one head "
                  "(out(i, c·H + h)): each head's d columns form one contiguous block, "
                  "out(i, h·d + c) = heads(h, i, c)."),
            when([H, L,
                  d](const Matrix& a) { return H > 1 && a.shape(0) == H * L && a.shape(1) == d; },
                 "you stacked the heads under each other, (H·L, d): concatenating means side by "
                 "side, (L, H·d), so that each token gets its row back."),
            shape_differs(right,
                          "merged, the heads are (L, H·d): one row per token, the H heads' "
                          "d columns side by side."),
    };
}

void compare_split(const Matrix& X, std::size_t H) {
    expect({"split_heads(X, " + std::to_string(H) + ")",
            {{"X", X}},
            [&] { return split_mistakes(X, H); },
            "compare head 0 by hand: it is X's first d = E / H columns, every token. Then head "
            "1 the next d, and so on."},
           ex::split_heads(X, H), attn::split_heads(X, H));
}

void compare_merge(const Tensor3& heads) {
    expect({"merge_heads(heads)",
            {{"heads", heads}},
            [&] { return merge_mistakes(heads); },
            "row i of the result is token i's pieces side by side: head 0's row i, then head "
            "1's row i, and so on."},
           ex::merge_heads(heads), attn::merge_heads(heads));
}

// Chapter 08's "address" matrix: entry (i, c) = 10·i + c, so every number says where it is.
Matrix addresses(std::size_t L, std::size_t E) {
    Matrix X = xt::zeros<double>({L, E});
    for (std::size_t i = 0; i < L; ++i)
        for (std::size_t c = 0; c < E; ++c) X(i, c) = 10.0 * i + c;
    return X;
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(8, "08_head_splitting", "split_heads, merge_heads");

    const Matrix X = addresses(4, 6);
    e.check("chapter 08's X (4, 6), entry 10·token + column, split into H = 3 heads (L ≠ H)", [&] {
        // By hand: head 1 holds columns 2 and 3 of every token.
        reference_agrees("head 1", Matrix(xt::view(attn::split_heads(X, 3), 1)),
                         Matrix{{2, 3}, {12, 13}, {22, 23}, {32, 33}}, 0.0);
        compare_split(X, 3);
    });

    e.check("merge_heads: chapter 08's three heads back into X (4, 6), exactly",
            [&] { compare_merge(attn::split_heads(X, 3)); });

    attn::Random rng(808);
    const std::size_t H = rng.integer(2, 3), d = H + rng.integer(1, 2),
                      L = H + d + rng.integer(0, 2);
    const Matrix Xr = rng.normal_matrix(L, H * d);
    e.check("X " + attn::shape_str(Xr.shape()) + " into H = " + std::to_string(H) +
                    " heads: L, H and d all differ (random from seed 808)",
            [&] { compare_split(Xr, H); });

    const std::size_t H2 = rng.integer(2, 4), L2 = H2 + rng.integer(1, 2),
                      d2 = L2 + rng.integer(1, 2);
    Tensor3 heads = xt::zeros<double>({H2, L2, d2});
    for (double& x : heads) x = rng.normal();
    e.check("merge_heads of heads " + attn::shape_str(heads.shape()) +
                    ": H, L and d all differ "
                    "(random from seed 808)",
            [&] { compare_merge(heads); });

    const Matrix X8 = addresses(4, 8);
    e.check("H = 1 (one head gets everything) and H = E (one column each), X (4, 8)", [&] {
        compare_split(X8, 1);
        compare_split(X8, 8);
        compare_merge(attn::split_heads(X8, 8));
    });

    const Matrix Xt = rng.normal_matrix(7, 12);
    e.check("the round trip with yours both: merge_heads(split_heads(X, 4)) is X (7, 12)", [&] {
        expect({"merge_heads(split_heads(X, 4))",
                {{"X", Xt}},
                {},
                "split_heads and merge_heads must undo each other exactly: nothing is "
                "computed, only moved."},
               ex::merge_heads(ex::split_heads(Xt, 4)), Xt);
    });

    return e.run(argc, argv);
}
