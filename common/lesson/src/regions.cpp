// Part VII, chapter 28: a caption word's query over an image's patches (see regions.hpp).
#include "attention/regions.hpp"

#include <cmath>

#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

#include "attention/backward.hpp"
#include "attention/random.hpp"

namespace attn {

namespace {
constexpr std::size_t kGrid = 4, kPatch = 4, kPatches = kGrid * kGrid,
                      kPixels = 3 * kPatch * kPatch;

// Pixel (r, c) of a patch holding `shape`: 0 a filled square, 1 a ring, 2 a cross.
bool lit(std::size_t shape, std::size_t r, std::size_t c) {
    if (shape == 0) return true;
    if (shape == 1) return r == 0 || r == 3 || c == 0 || c == 3;
    return r == 1 || r == 2 || c == 1 || c == 2;
}

// A (colour, shape, patch) combination no training image holds: a third of them.
bool held_out_combination(std::size_t colour, std::size_t shape, std::size_t patch) {
    return (colour + 2 * shape + patch) % 3 == 0;
}
}  // namespace

ImageTask image_regions_task() {
    ImageTask t;
    t.draw = [](Random& rng, std::size_t B, bool held_out) {
        ImageBatch d{xt::zeros<double>({B, kPatches, kPixels}),
                     xt::empty<long>({B, std::size_t{1}}), xt::empty<long>({B, std::size_t{1}}),
                     xt::empty<long>({B, std::size_t{1}})};
        for (std::size_t b = 0; b < B; ++b) {
            std::size_t colour[2], shape[2], patch[2];
            const std::size_t asked = rng.integer(0, 1);
            for (bool ok = false; !ok;) {  // two objects, different colours and patches
                for (std::size_t k = 0; k < 2; ++k)
                    colour[k] = rng.integer(0, 2), shape[k] = rng.integer(0, 2),
                    patch[k] = rng.integer(0, kPatches - 1);
                ok = colour[0] != colour[1] && patch[0] != patch[1];
                for (std::size_t k = 0; k < 2;
                     ++k)  // only the asked object may be held out, and it must be
                    ok = ok && held_out_combination(colour[k], shape[k], patch[k]) ==
                                       (held_out && k == asked);
            }
            for (std::size_t k = 0; k < 2; ++k)
                for (std::size_t r = 0; r < kPatch; ++r)
                    for (std::size_t c = 0; c < kPatch; ++c)
                        if (lit(shape[k], r, c))
                            d.pixels(b, patch[k], colour[k] * kPatch * kPatch + r * kPatch + c) =
                                    1.0;
            d.word(b, 0) = long(colour[asked]), d.answer(b, 0) = long(shape[asked]),
                      d.patch(b, 0) = long(patch[asked]);
        }
        return d;
    };
    return t;
}

ImageModel init_image_model(const ImageTask& task, Random& rng) {
    ImageModel m{init_model({kPixels, 0, kPatches, task.E, 1, 0}, rng),
                 init_model({task.colours.size(), task.shapes.size(), 0, task.E, 1, 1}, rng)};
    m.image.embedding /= std::sqrt(double(kPixels) /
                                   12.0);  // a patch lights about 12 pixels: keep x near N(0, 1)
    return m;
}

//! [image_forward]
ImageForward image_forward(const ImageModel& m, const ImageBatch& batch) {
    const std::size_t B = batch.word.shape(0), C = m.caption.size.classes, E = m.caption.size.E;
    ImageForward f;
    f.weights = xt::empty<double>({B, kPatches});
    f.probs = xt::empty<double>({B, C});
    for (std::size_t b = 0; b < B; ++b) {
        // 1) embed: patch tokens x (16, E) = pixels·W + positions; the word's vector u (1, E)
        Matrix x = m.image.position;
        for (std::size_t n = 0; n < kPatches; ++n)
            for (std::size_t p = 0; p < kPixels; ++p)
                if (batch.pixels(b, n, p) != 0.0)
                    xt::row(x, n) += batch.pixels(b, n, p) * xt::row(m.image.embedding, p);
        Matrix u = xt::view(m.caption.embedding, xt::range(batch.word(b, 0), batch.word(b, 0) + 1),
                            xt::all());
        // 2) attend: the word's one query over the 16 patches
        const MhaForward a = mha_forward(m.caption.layers[0], u, x, x);
        xt::row(f.weights, b) = xt::view(a.heads.weights, 0, 0, xt::all());
        // 3) read out, then softmax over the shapes
        Vector logits = m.caption.readout_bias;
        for (std::size_t c = 0; c < C; ++c)
            logits(c) += xt::sum(xt::row(m.caption.readout_weight, c) * xt::row(a.output, 0))();
        Vector p = xt::exp(logits - xt::amax(logits)());
        p /= double(xt::sum(p)());
        xt::row(f.probs, b) = p;
        f.loss -= std::log(p(std::size_t(batch.answer(b, 0)))) / double(B);
        f.x.push_back(std::move(x)), f.u.push_back(std::move(u)), f.o.push_back(a.output);
    }
    (void)E;
    return f;
}
//! [image_forward]

ImageModel image_backward(const ImageModel& m, const ImageForward& f, const ImageBatch& batch) {
    const std::size_t B = batch.word.shape(0), C = m.caption.size.classes, E = m.caption.size.E;
    ImageModel g{zeros_like(m.image), zeros_like(m.caption)};
    for (std::size_t b = 0; b < B; ++b) {
        // 3) read out reversed: dlogits = (p − one_hot) / B
        Vector dl = xt::row(f.probs, b) / double(B);
        dl(std::size_t(batch.answer(b, 0))) -= 1.0 / double(B);
        Matrix dO = xt::zeros<double>({std::size_t{1}, E});
        for (std::size_t c = 0; c < C; ++c) {
            xt::row(g.caption.readout_weight, c) += dl(c) * xt::row(f.o[b], 0);
            g.caption.readout_bias(c) += dl(c);
            xt::row(dO, 0) += dl(c) * xt::row(m.caption.readout_weight, c);
        }
        // 2) attend reversed (chapter 21); the patches were key and value
        const MhaGrads a = mha_backward(m.caption.layers[0], f.u[b], f.x[b], f.x[b], dO);
        MhaParams& gp = g.caption.layers[0];
        gp.in_proj_weight += a.in_proj_weight, gp.in_proj_bias += a.in_proj_bias;
        gp.out_proj_weight += a.out_proj_weight, gp.out_proj_bias += a.out_proj_bias;
        const Matrix dx = a.key + a.value;  // (16, E)
        // 1) embed reversed: dW (48, E) += pixelsᵀ·dx, d positions += dx, the word's row += ∂query
        g.image.position += dx;
        for (std::size_t n = 0; n < kPatches; ++n)
            for (std::size_t p = 0; p < kPixels; ++p)
                if (batch.pixels(b, n, p) != 0.0)
                    xt::row(g.image.embedding, p) += batch.pixels(b, n, p) * xt::row(dx, n);
        xt::row(g.caption.embedding, std::size_t(batch.word(b, 0))) += xt::row(a.query, 0);
    }
    return g;
}

TrainLog train_image(ImageModel& m, const ImageTask& task, std::size_t steps, Random& rng,
                     const std::function<void(std::size_t, double)>& on_step) {
    Adam image_adam, caption_adam;  // Adam works number by number: one per Model is one over both
    image_adam.lr = caption_adam.lr = task.lr;
    return train_steps(
            steps,
            [&] {
                const ImageBatch batch = task.draw(rng, task.batch, false);
                const ImageForward f = image_forward(m, batch);
                ImageModel g = image_backward(m, f, batch);
                image_adam.step(m.image, g.image), caption_adam.step(m.caption, g.caption);
                return f.loss;
            },
            on_step);
}

ImageScore score(const ImageForward& f, const ImageBatch& batch) {
    const std::size_t B = batch.word.shape(0);
    ImageScore s;
    for (std::size_t b = 0; b < B; ++b) {
        s.accuracy +=
                double(long(xt::argmax(xt::row(f.probs, b))()) == batch.answer(b, 0)) / double(B);
        s.share += f.weights(b, std::size_t(batch.patch(b, 0))) / double(B);
    }
    return s;
}

//! [patchify]
Matrix patchify(const Matrix& image, std::size_t P) {
    const std::size_t rows = image.shape(0) / P, cols = image.shape(1) / P;
    Matrix patches = xt::empty<double>({rows * cols, P * P});
    for (std::size_t i = 0; i < rows; ++i)       // patch row
        for (std::size_t j = 0; j < cols; ++j)   // patch column: patch n = i·cols + j
            for (std::size_t r = 0; r < P; ++r)  // pixel row within the patch
                for (std::size_t c = 0; c < P; ++c)
                    patches(i * cols + j, r * P + c) = image(i * P + r, j * P + c);
    return patches;
}
//! [patchify]

Tensor3 image_pixels(const ImageBatch& batch, std::size_t b) {
    Tensor3 img = xt::zeros<double>({kGrid * kPatch, kGrid * kPatch, std::size_t{3}});
    for (std::size_t n = 0; n < kPatches; ++n)
        for (std::size_t ch = 0; ch < 3; ++ch)
            for (std::size_t r = 0; r < kPatch; ++r)
                for (std::size_t c = 0; c < kPatch; ++c)
                    img((n / kGrid) * kPatch + r, (n % kGrid) * kPatch + c, ch) =
                            batch.pixels(b, n, ch * kPatch * kPatch + r * kPatch + c);
    return img;
}

}  // namespace attn
