// A plausible wrong answer to exercise 27: only the first word of each sentence.
// expect: only the name
#include "exercises.hpp"

namespace ex {

Matrix sentence_vectors(const Matrix& embedding, const Matrix& words) {
    Matrix s = xt::zeros<double>({words.shape(0), embedding.shape(1)});
    for (std::size_t k = 0; k < words.shape(0); ++k)
        for (std::size_t e = 0; e < embedding.shape(1); ++e)
            s(k, e) = embedding(std::size_t(words(k, 0)), e);
    return s;
}

}  // namespace ex
