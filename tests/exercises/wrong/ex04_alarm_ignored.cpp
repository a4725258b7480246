// A wrong answer to exercise 04 that ignores the harness's alarm and loops forever: the
// watchdog of ./workbook itself (timeout, WORKBOOK_CHECK_TIMEOUT s) still ends the check.
// through: ./workbook
// expect: was stopped after 4 s: an endless loop the checks could not stop
#include <csignal>

#include "exercises.hpp"

namespace ex {

Matrix softmax(const Matrix& x) {
    std::signal(SIGALRM, SIG_IGN);
    volatile bool forever = true;
    while (forever) {
    }
    return x;
}

}  // namespace ex
