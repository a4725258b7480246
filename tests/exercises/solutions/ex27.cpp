// Exercise 27, the reference solution: each sentence's vector is the sum of its words' rows.
#include "exercises.hpp"

namespace ex {

// embedding (V, E), words (K, 2); returns (K, E).
Matrix sentence_vectors(const Matrix& embedding, const Matrix& words) {
    const std::size_t K = words.shape(0), E = embedding.shape(1);
    Matrix s = xt::zeros<double>({K, E});
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t w = 0; w < words.shape(1); ++w)
            for (std::size_t e = 0; e < E; ++e)
                s(k, e) += embedding(std::size_t(words(k, w)), e);  // add word w's row
    return s;
}

}  // namespace ex
