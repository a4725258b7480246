// Exercise 25, the reference solution: shift every row one place left, -100 where there is no next word.
#include "exercises.hpp"

namespace ex {

// tokens (B, L); returns (B, L).
Matrix next_word_targets(const Matrix& tokens, double pad) {
    const std::size_t B = tokens.shape(0), L = tokens.shape(1);
    Matrix targets = xt::empty<double>({B, L});
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < L; ++i) {
            const bool next_is_word = i + 1 < L && tokens(b, i) != pad && tokens(b, i + 1) != pad;
            targets(b, i) = next_is_word ? tokens(b, i + 1) : -100;  // the word after i
        }
    return targets;
}

}  // namespace ex
