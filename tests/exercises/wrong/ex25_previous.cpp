// A plausible wrong answer to exercise 25: shifted the wrong way, the word before each position.
// expect: the word before
#include "exercises.hpp"

namespace ex {

Matrix next_word_targets(const Matrix& tokens, double pad) {
    Matrix targets = xt::empty<double>(tokens.shape());
    for (std::size_t b = 0; b < tokens.shape(0); ++b)
        for (std::size_t i = 0; i < tokens.shape(1); ++i)
            targets(b, i) = i > 0 && tokens(b, i) != pad && tokens(b, i - 1) != pad
                                    ? tokens(b, i - 1)
                                    : -100;
    return targets;
}

}  // namespace ex
