// A wrong answer to exercise 04 whose global variable is initialised by a loop that never
// ends: it runs before main, before the first check. The harness's alarm is armed before
// anything of the learner's runs, so the check still ends, and says where.
// through: ./workbook
// expect: before the first check, while the program started.*took more than 2 s and was stopped: an endless
#include <cmath>

#include "exercises.hpp"

namespace ex {

namespace {
volatile bool still_looking = true;
// The largest double, found by doubling "until it overflows" - but the loop never looks.
const double kLargest = [] {
    double x = 1.0;
    while (still_looking) x = x < 1e300 ? x * 2 : x;
    return x;
}();
}  // namespace

Matrix softmax(const Matrix& x) {
    return xt::exp(x - kLargest);
}

}  // namespace ex
