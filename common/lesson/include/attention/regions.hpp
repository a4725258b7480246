/// \file regions.hpp
/// \brief Part VII, chapter 28: a caption word's query attends over an image's patches.
///
/// An image is 16×16 pixels, 3 colour channels, cut into a 4×4 grid of patches of 4×4 pixels
/// (as vision transformers cut theirs); each patch is one token. For a caption word (a colour):
///   1) embed    patches x (16, E) = pixels (16, 48)·image.embedding.weight (48, E)
///                                   + image.position.weight (16, E)
///               (a linear layer: each of a patch's 48 numbers weighs one row), and the
///               word's query vector u (1, E) = caption.embedding.weight[word]
///   2) attend   o (1, E) = MultiheadAttention(query = u, key = x, value = x), one head
///   3) read out logits (1, C) = o·readout.weightᵀ + readout.bias: which shape has that colour
/// The parameters are two of chapter 22's Models, `image` and `caption`, each trained by its Adam.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "attention/tasks.hpp"
#include "attention/training.hpp"

namespace attn {

class Random;

/// A batch of images and caption words.
struct ImageBatch {
    Tensor3 pixels;  ///< (B, 16, 48) every patch's pixels, channel-major within the patch
    Tokens word;     ///< (B, 1) the colour asked about (0 red, 1 green, 2 blue)
    Tokens answer;   ///< (B, 1) the shape of the object of that colour (0 square, 1 ring, 2 cross)
    Tokens patch;    ///< (B, 1) the patch that object fills
};

/// Chapter 28's images: two objects, each filling one patch, of two different colours and
/// any shapes. A third of the (colour, shape, patch) combinations appear in no training image;
/// in every held-out image the asked object is one of them.
struct ImageTask {
    std::vector<std::string> colours = {"red", "green", "blue"};    ///< the caption words
    std::vector<std::string> shapes = {"square", "ring", "cross"};  ///< the answers
    std::size_t E = 32;                                             ///< embed_dim
    std::size_t batch = 32;                                         ///< images per step
    std::size_t steps = 300;                                        ///< steps built in
    double lr = 1e-2;                                               ///< Adam's learning rate
    /// Draws B images; held_out: from those training never sees.
    std::function<ImageBatch(Random& rng, std::size_t B, bool held_out)> draw;
};

/// The task chapter 28 trains on.
ImageTask image_regions_task();

/// The parameters: the patch embedding and positions, the caption's words, attention, read-out.
struct ImageModel {
    Model image;    ///< embedding (48, E) the patch embedding, position (16, E); nothing else
    Model caption;  ///< embedding (3, E) the words, layers[0] the attention, read-out (3, E)
};

/// Random weights as chapter 22's init_model draws them.
ImageModel init_image_model(const ImageTask& task, Random& rng);

/// What the forward pass keeps, image by image.
struct ImageForward {
    std::vector<Matrix> x;  ///< (16, E) per image: the patch tokens
    std::vector<Matrix> u;  ///< (1, E) per image: the word's vector
    std::vector<Matrix> o;  ///< (1, E) per image: what the query read
    Matrix weights;         ///< (B, 16) the query's weights over the patches
    Matrix probs;           ///< (B, C) softmax of the logits
    double loss = 0.0;      ///< mean cross-entropy
};

/// Steps 1-3 on a batch.
ImageForward image_forward(const ImageModel& m, const ImageBatch& batch);

/// The gradient of the loss with respect to every parameter.
ImageModel image_backward(const ImageModel& m, const ImageForward& f, const ImageBatch& batch);

/// Adam on the task's images; on_step(step, loss) after every step, if given.
TrainLog train_image(ImageModel& m, const ImageTask& task, std::size_t steps, Random& rng,
                     const std::function<void(std::size_t, double)>& on_step = {});

/// The fraction answered right, and the mean weight on the named object's patch.
struct ImageScore {
    double accuracy = 0.0;  ///< argmax of the logits = the answer
    double share = 0.0;     ///< mean weight the query puts on the patch of the named object
};

/// The figures of a forward pass f on batch.
ImageScore score(const ImageForward& f, const ImageBatch& batch);

/// Cuts one channel of an image (H, W) into patches of P×P pixels, as vision transformers do:
/// (H/P · W/P, P·P), patches in row-major order over the grid, each patch's pixels row by row.
Matrix patchify(const Matrix& image, std::size_t P);

/// The image of batch item b as (16, 16, 3) pixels (for drawing).
Tensor3 image_pixels(const ImageBatch& batch, std::size_t b);

}  // namespace attn
