// The exercises' check runner: named checks run in order, stopping at the first that fails,
// which is reported with its inputs, the expected and the actual matrix, the largest error
// and - when the wrong answer is one a known mistake produces - a hint aimed at it.
// Deliberately tiny (no Catch2: exercises must compile and run in a second or two).
// Answers may be vectors (n,), matrices (rows, cols) or stacks of matrices (H, L, d): they
// are compared as xt::xarray<double>, to which each converts.
//
// A check file tests/exercises/exNN.cpp looks like:
//
//     int main(int argc, char** argv) {
//         ex::check::Exercise e(4, "04_softmax", "softmax(x)");
//         e.check("the toy example", [] {
//             ex::check::expect({"softmax(x)", {{"x", x}}, [&] { return mistakes(x); }},
//                               ex::softmax(x), attn::softmax(x));
//         });
//         return e.run(argc, argv);
//     }
//
// Command line of every exercise binary:
//     (none)                 run the checks; exit 0 when all pass, 1 when one fails,
//                            3 when the exercise is still the stub (not done yet)
//     --summary              print one line instead: status, checks passed, checks, failing check
//     --expect-fail REGEX    for the workbook's own tests: exit 0 only if a check failed AND
//                            the output matches REGEX (ECMAScript), searched in the output
//                            with every run of white space, newlines too, as one space
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include <attention/types.hpp>

namespace ex::check {

using attn::Matrix;
using attn::Tensor3;
using attn::Vector;
/// Any answer or input: a vector, a matrix or a stack of matrices (each converts to it).
using Array = xt::xarray<double>;

/// A mistake learners make: how to recognise the wrong answer it gives, and what to say.
struct Mistake {
    std::function<bool(const Array& actual)> recognises;  ///< true for this mistake's answer
    std::string hint;                                     ///< aimed at that mistake
};

/// The mistake whose answer is exactly `would_give` (same shape, equal to 1e-9; NaN = NaN).
Mistake gives(const Array& would_give, std::string hint);

/// The mistake recognised by a property of a matrix answer (e.g. columns sum to 1, rows
/// do not). The property is kept after the call: capture by value, not [&].
Mistake when(std::function<bool(const Matrix& actual)> property, std::string hint);

/// The same for an answer of any shape (a vector, a stack of matrices).
Mistake when_array(std::function<bool(const Array& actual)> property, std::string hint);

/// Any answer whose shape is not `right`'s (said after the mistakes that explain more).
Mistake shape_differs(const Array& right, std::string hint);

/// An input of the call, shown (in full when small) when the check fails.
struct Input {
    std::string name;  ///< e.g. "Q"
    Array value;       ///< its value: a vector, a matrix or a stack of matrices
};

/// One call of the learner's function, described for the report.
struct Call {
    std::string call;                ///< e.g. "softmax(x)"
    std::vector<Input> inputs = {};  ///< shown on failure
    /// The known mistakes, most specific first (the first that recognises the answer
    /// wins); only computed when the answer is wrong.
    std::function<std::vector<Mistake>()> mistakes = {};
    std::string fallback_hint = "";  ///< said when no known mistake recognises the answer
    double tol = 1e-9;               ///< |actual - expected| <= tol·(1 + |expected|)
};

/// Fails the running check unless `actual` has `expected`'s shape and values (NaN = NaN,
/// inf = inf). The report shows the inputs, both answers (or their worst entries), the
/// largest error and where it is, and the hint of the first mistake that recognises `actual`.
void expect(const Call& call, const Array& actual, const Array& expected);

/// Fails the running check with a message of your own.
[[noreturn]] void fail(const std::string& summary, const std::string& hint = "");

/// The checks' own sanity: throws (reported as an internal error, not the learner's fault)
/// unless the reference value agrees with the hand-written one.
void reference_agrees(const std::string& what, const Array& reference, const Array& by_hand,
                      double tol);

/// True when a and b have the same shape and agree within tol·(1 + |b|), NaN = NaN.
bool near(const Array& a, const Array& b, double tol = 1e-9);

/// One exercise: its checks in order, run by run().
class Exercise {
public:
    /// number 4, slug "04_softmax", function "softmax(x)".
    Exercise(int number, std::string slug, std::string function);

    /// Adds a check; `body` calls the learner's function and expect()s its answer.
    void check(std::string name, std::function<void()> body);

    /// Runs the checks (see the command line above); returns the exit status.
    int run(int argc, char** argv);

private:
    struct Named {
        std::string name;
        std::function<void()> body;
    };
    int number_;
    std::string slug_;
    std::string function_;
    std::vector<Named> checks_;
};

}  // namespace ex::check
