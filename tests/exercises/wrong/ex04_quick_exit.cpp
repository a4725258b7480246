// A wrong answer to exercise 04 that ends the program with std::_Exit(0), which skips every
// handler: the harness never writes its verdict, so ./workbook does not count it a pass.
// through: ./workbook
// expect: your code ended the program before the checks finished
#include <cstdlib>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    (void)x;
    std::_Exit(0);
}

}  // namespace ex
