// Exercise 04 killed by the kernel, as the out-of-memory killer does (SIGKILL, which no
// handler can catch): the shell alone would say "Killed"; ./workbook says why it may be.
// through: ./workbook
// expect: was killed .SIGKILL., by the system: most likely it ran out of memory
#include <csignal>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    std::raise(SIGKILL);  // stands for a vector grown without end, until the kernel steps in
    return x;
}

}  // namespace ex
