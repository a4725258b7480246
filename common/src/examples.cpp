// The examples carried through every chapter (see examples.hpp).
#include "attention/examples.hpp"

#include "attention/chapter.hpp"

namespace attn {

Matrix seed_tokens() {
    return Matrix{{1., 0., 1., 0.},
                  {0., 2., 0., 2.},
                  {1., 1., 1., 1.}};
}

std::vector<std::string> token_labels(std::size_t n, const std::string& prefix) {
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < n; ++i) labels.push_back(prefix + std::to_string(i));
    return labels;
}

QKV load_qkv(const Chapter& chapter) {
    if (!chapter.loading()) {
        const Matrix tokens = seed_tokens();
        return {tokens, tokens, tokens};
    }
    QKV in;
    in.Q = chapter.load_matrix("query.npy", "(L, d_k)");
    const bool has_key = chapter.has_file("key.npy");
    const bool has_value = chapter.has_file("value.npy");
    in.K = has_key ? chapter.load_matrix("key.npy", "(S, d_k)") : in.Q;
    in.V = has_value ? chapter.load_matrix("value.npy", "(S, d_v)") : in.K;
    // A defaulted key or value fits by construction; only a loaded one can disagree.
    if (in.K.shape(1) != in.Q.shape(1)) {
        throw InputError(chapter.load_path("key.npy") + ": expected (S, d_k) with d_k = " +
                         std::to_string(in.Q.shape(1)) + " as in query.npy " +
                         shape_str(in.Q.shape()) + ", got " + shape_str(in.K.shape()));
    }
    if (in.V.shape(0) != in.K.shape(0)) {
        throw InputError(chapter.load_path("value.npy") + ": expected (S, d_v) with S = " +
                         std::to_string(in.K.shape(0)) + " as in the keys " +
                         shape_str(in.K.shape()) + ", got " + shape_str(in.V.shape()));
    }
    return in;
}

}  // namespace attn
