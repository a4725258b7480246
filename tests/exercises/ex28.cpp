// Exercise 28's checks: patchify(image, P), against the reference attn::patchify (the cut
// chapter 28's images go through; checked by hand in tests/test_ch28.cpp).
#include <attention/random.hpp>
#include <attention/regions.hpp>

#include "exercises.hpp"
#include "harness.hpp"

using attn::Matrix;
using namespace ex::check;

namespace {

void compare(const Matrix& image, std::size_t P) {
    expect({"patchify(image, P = " + std::to_string(P) + ")",
            {{"image", image}},
            [=] {
                const std::size_t rows = image.shape(0) / P, cols = image.shape(1) / P;
                Matrix column_major = xt::empty<double>({rows * cols, P * P}),
                       reshaped = xt::empty<double>({rows * cols, P * P});
                for (std::size_t i = 0; i < rows; ++i)
                    for (std::size_t j = 0; j < cols; ++j)
                        for (std::size_t r = 0; r < P; ++r)
                            for (std::size_t c = 0; c < P; ++c)
                                column_major(j * rows + i, r * P + c) = image(i * P + r, j * P + c);
                for (std::size_t k = 0; k < image.size(); ++k)
                    reshaped(k / (P * P), k % (P * P)) = image.data()[k];
                return std::vector<Mistake>{
                        gives(column_major,
                              "your patches are numbered down the columns of the grid: patch n = "
                              "i·(W/P) + j "
                              "goes along grid row i first, as text is read."),
                        gives(reshaped,
                              "reshaping is not patching: P·P pixels in reading order are part of "
                              "one image "
                              "row, not a P×P square; take rows i·P..i·P+P−1 and columns "
                              "j·P..j·P+P−1."),
                };
            },
            "out(i·(W/P) + j, r·P + c) = image(i·P + r, j·P + c)."},
           ex::patchify(image, P), attn::patchify(image, P));
}

}  // namespace

int main(int argc, char** argv) {
    Exercise e(28, "28_image_regions", "patchify(image, P)");

    e.check("by hand: a 4×4 image of 0..15 in 2×2 patches", [] {
        Matrix image = xt::empty<double>({std::size_t{4}, std::size_t{4}});
        for (std::size_t k = 0; k < 16; ++k) image.data()[k] = double(k);
        const Matrix hand = {{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}};
        reference_agrees("patchify", attn::patchify(image, 2), hand, 0);
        compare(image, 2);
    });

    e.check("a random 6×9 image in 3×3 patches (2 rows, 3 columns of patches; seed 2828)", [] {
        attn::Random rng(2828);
        compare(rng.normal_matrix(6, 9), 3);
    });

    return e.run(argc, argv);
}
