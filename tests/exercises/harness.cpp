// The exercises' check runner (see harness.hpp).
#include "harness.hpp"

#include <cxxabi.h>
#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <typeinfo>

#include <xtensor/xstrided_view.hpp>
#include <xtensor/xview.hpp>

#include <workbook/show.hpp>
#include <workbook/text.hpp>

#include "exercises.hpp"

namespace ex::check {

namespace {

// A failed check, thrown by expect() and fail() and caught by Exercise::run().
struct Failure {
    std::string summary;               // one line: what is wrong
    std::vector<std::string> details;  // inputs, matrices, largest error
    std::string hint;                  // aimed at the mistake, or empty
    bool internal = false;             // the checks themselves are broken
};

constexpr std::size_t kSmallMax = 8;    // matrices up to 8 × 8 are shown whole,
constexpr std::size_t kWorstShown = 6;  // else this many worst entries
// Seconds a check may run (WORKBOOK_CHECK_SECONDS, for the workbook's own tests; 10).
unsigned timeout_seconds() {
    const char* env = std::getenv("WORKBOOK_CHECK_SECONDS");
    const long s = env ? std::strtol(env, nullptr, 10) : 0;
    return s > 0 ? static_cast<unsigned>(s) : 10;
}

std::string fmt(const char* format, double x) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, x);
    return buf;
}

// A value as precisely as a learner needs to see it.
std::string value_str(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return fmt("%.10g", x);
}

// "[i]", "[row, column]" or "[head, row, column]": the index of a flat position.
std::string index_str(const Array& m, std::size_t flat) {
    std::vector<std::size_t> index(m.dimension());
    for (std::size_t axis = m.dimension(); axis-- > 0;) {
        index[axis] = flat % m.shape(axis);
        flat /= m.shape(axis);
    }
    std::string s = "[";
    for (std::size_t k = 0; k < index.size(); ++k) s += (k ? ", " : "") + std::to_string(index[k]);
    return s + "]";
}

// What the indices of an answer of this many dimensions are.
std::string axes_str(std::size_t dimension) {
    return dimension == 1 ? "[index]" : dimension == 2 ? "[row, column]" : "[head, row, column]";
}

// "a matrix" for a 2-D answer, "a vector", "a stack of matrices".
std::string noun(const Array& m) {
    return m.dimension() == 1   ? "a vector"
           : m.dimension() == 2 ? "a matrix"
                                : "a stack of matrices";
}

// Shown whole: vectors up to 8 entries, matrices up to 8 × 8, stacks of up to 4 of them.
bool small(const Array& m) {
    if (m.dimension() == 1) return m.shape(0) <= kSmallMax;
    if (m.dimension() == 2) return m.shape(0) <= kSmallMax && m.shape(1) <= kSmallMax;
    return m.dimension() == 3 && m.shape(0) <= 4 && m.shape(1) <= kSmallMax &&
           m.shape(2) <= kSmallMax;
}

// How far an actual entry is from the expected one; NaN and inf count as infinitely far
// unless both are the same.
double error_of(double actual, double expected) {
    if (std::isnan(actual) && std::isnan(expected)) return 0.0;
    if (std::isnan(actual) || std::isnan(expected)) return INFINITY;
    if (std::isinf(actual) || std::isinf(expected)) return actual == expected ? 0.0 : INFINITY;
    return std::abs(actual - expected);
}

bool entry_ok(double actual, double expected, double tol) {
    const double e = error_of(actual, expected);
    if (std::isinf(e)) return false;  // NaN against a number, or a different infinity
    return e == 0.0 || e <= tol * (1.0 + std::abs(expected));
}

// Indents every line of a block.
void add_block(std::vector<std::string>& out, const std::string& block, const std::string& indent) {
    std::size_t start = 0;
    while (start <= block.size()) {
        const std::size_t end = block.find('\n', start);
        out.push_back(indent + block.substr(start, end == std::string::npos ? std::string::npos
                                                                            : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
}

// A vector as one row, a matrix, or a stack as its matrices [0], [1], … one under another.
void add_matrix(std::vector<std::string>& out, const std::string& label, const Array& m,
                int decimals) {
    out.push_back(label + "  " + attn::shape_str(m.shape()));
    if (m.size() == 0) return;
    if (m.dimension() == 1) {
        const Matrix row = xt::reshape_view(m, {std::size_t{1}, m.shape(0)});
        add_block(out, attn::format_matrix(row, {}, decimals), "");
    } else if (m.dimension() == 2) {
        add_block(out, attn::format_matrix(Matrix(m), {}, decimals), "");
    } else {
        for (std::size_t h = 0; h < m.shape(0); ++h) {
            const Matrix slice = xt::view(m, h, xt::all(), xt::all());
            out.push_back("[" + std::to_string(h) + "]");
            add_block(out, attn::format_matrix(slice, {}, decimals), "  ");
        }
    }
}

// The pieces a line may break between: words, except that a formula stays whole - nothing
// breaks inside brackets, nor around a lone operator such as the * of "A * B".
std::vector<std::string> unbreakable_pieces(const std::string& text) {
    std::vector<std::string> pieces;
    int depth = 0;
    bool glue = false;  // the next word joins the last piece
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string::npos) end = text.size();
        const std::string word = text.substr(pos, end - pos);
        pos = end + 1;
        if (word.empty()) continue;
        const bool op = word.size() == 1 && std::strchr("*+-/=·<>", word[0]) != nullptr;
        if (!pieces.empty() && (depth > 0 || glue || op))
            pieces.back() += " " + word;
        else
            pieces.push_back(word);
        for (char c : word) depth += (c == '(' || c == '[') - (c == ')' || c == ']');
        depth = std::max(depth, 0);
        glue = op;
    }
    return pieces;
}

// Word-wraps text at `width` columns: the first line starts with `first`, the others with `rest`.
std::vector<std::string> wrap(const std::string& text, const std::string& first,
                              const std::string& rest, std::size_t width = 92) {
    return attn::wrap_pieces(unbreakable_pieces(text), width, first, rest);
}

std::string demangled(const std::type_info& type) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
            abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
    return status == 0 && name ? name.get() : type.name();
}

// A hint for an exception thrown by the learner's code, when its kind says something.
std::string exception_hint(const std::string& type, const std::string& what) {
    if (type.find("broadcast") != std::string::npos ||
        what.find("broadcast") != std::string::npos) {
        return "xtensor's +, -, * and / work entry by entry and need shapes that fit together: "
               "A * B is not a matrix product. Write a product of matrices as a loop over the "
               "index they share (Σ_j A(i, j)·B(j, c)).";
    }
    if (what.find("Dot: shape mismatch") != std::string::npos) {
        return "a matrix product got shapes that do not fit: the columns of the left factor "
               "must equal the rows of the right one. In attention, K and V must have one row "
               "per key each: keys and values both come from the sequence being attended to "
               "(in cross-attention, the source), the queries from the other one.";
    }
    if (what.find("one value per key") != std::string::npos) {
        return "K and V must have one row per key each: keys and values both come from the "
               "sequence being attended to (in cross-attention, the source), the queries from "
               "the other one.";
    }
    if (type == "std::out_of_range") {
        return "an index went past the end of a matrix: compare each loop's bound with the "
               "shape of the matrix it indexes (rows are shape(0), columns shape(1)).";
    }
    return "";
}

// What the crash and timeout handlers print: prepared beforehand, because a signal
// handler may only write() what is already there.
char crash_report[1024];  // the ✗ line of the running check
char crash_summary[512];  // its --summary line
char why_segv[1024], why_stack[512], why_fpe[512], why_alarm[512], why_abort[512], why_exit[768];
bool summary_mode = false;
bool checking = false;            // a check (or the learner's static initializers) is running
const char* stack_top = nullptr;  // near the top of the main thread's stack
std::size_t stack_limit = 0;      // its size limit (RLIMIT_STACK)

void say_crash(const char* why) {
    if (summary_mode) {
        (void)!write(STDOUT_FILENO, crash_summary, std::strlen(crash_summary));
    } else {
        (void)!write(STDOUT_FILENO, crash_report, std::strlen(crash_report));
        (void)!write(STDOUT_FILENO, why, std::strlen(why));
    }
}

// A segmentation fault at an address within the stack's limit of its top: the stack ran out.
bool on_the_stack(const void* address) {
    const char* a = static_cast<const char*>(address);
    return stack_top != nullptr && a <= stack_top + 65536 &&
           a + stack_limit + (1u << 20) >= stack_top;
}

void on_signal(int sig, siginfo_t* info, void*) {
    const char* why = sig == SIGSEGV && info && on_the_stack(info->si_addr) ? why_stack
                      : sig == SIGSEGV || sig == SIGBUS                     ? why_segv
                      : sig == SIGFPE                                       ? why_fpe
                      : sig == SIGALRM                                      ? why_alarm
                                                                            : why_abort;
    say_crash(why);
    _exit(1);
}

// std::exit() (or a return from main) while a check runs: the learner's code ended the program.
void on_early_exit() {
    if (!checking) return;
    say_crash(why_exit);
    std::fflush(nullptr);
    _exit(1);
}

void copy_to(char* buf, std::size_t size, const std::string& text) {
    std::snprintf(buf, size, "%s", text.c_str());
}

std::string wrapped(const std::string& text) {
    std::string out;
    for (const auto& l : wrap(text, "      ", "      ")) out += l + "\n";
    return out;
}

void catch_crashes() {
    copy_to(why_segv, sizeof why_segv,
            wrapped("crashed (segmentation fault): your code read or wrote outside a matrix. "
                    "Compare each "
                    "loop's bound with the shape it indexes (i < m.shape(0), j < m.shape(1)), and "
                    "create "
                    "the result with its full shape first (e.g. xt::zeros<double>({L, S}))."));
    copy_to(why_stack, sizeof why_stack,
            wrapped("crashed: stack overflow: a function that calls itself without end? Each call "
                    "of a "
                    "recursive function must get closer to a case that returns without calling "
                    "itself; "
                    "a loop is simpler here."));
    copy_to(why_fpe, sizeof why_fpe,
            wrapped("crashed (arithmetic exception): an integer division by zero?"));
    copy_to(why_alarm, sizeof why_alarm,
            wrapped("took more than " + std::to_string(timeout_seconds()) +
                    " s and was stopped: an endless "
                    "loop? Check each loop's condition, and that its counter moves towards it (a "
                    "std::size_t counted down past 0 becomes huge, not negative)."));
    copy_to(why_abort, sizeof why_abort,
            wrapped("aborted: a failed assertion, a corrupted heap (a write past the end of an "
                    "array), or "
                    "an exception thrown while another was unwinding?"));
    copy_to(why_exit, sizeof why_exit,
            wrapped("your code ended the program during this check (std::exit?), before the check "
                    "could "
                    "finish: a check passes only when it returns. Your function must return its "
                    "answer; "
                    "remove the exit() call."));
    // The handlers run on a stack of their own, so that they still can when the stack is full.
    static char alternate_stack[1 << 16];
    stack_t ss;
    std::memset(&ss, 0, sizeof ss);
    ss.ss_sp = alternate_stack;
    ss.ss_size = sizeof alternate_stack;
    sigaltstack(&ss, nullptr);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_RESETHAND | SA_ONSTACK | SA_SIGINFO;
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGALRM}) sigaction(sig, &sa, nullptr);
}

// Before anything of the learner's runs - their file's static initializers run after this
// one (init_priority 101 comes first) - the crash handlers and the alarm are in place.
struct EarlyGuard {
    EarlyGuard() {
        char here = 0;
        stack_top = &here;
        rlimit rl;
        stack_limit = getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                              ? static_cast<std::size_t>(rl.rlim_cur)
                              : (std::size_t{1} << 30);
        catch_crashes();
        std::string before;
        for (const auto& l : wrap("before the first check, while the program started: a global "
                                  "variable of your file, initialised by a call that never ends "
                                  "or crashes?",
                                  "  ✗ ", "    ")) {
            before += l + "\n";
        }
        copy_to(crash_report, sizeof crash_report, before);
        copy_to(crash_summary, sizeof crash_summary, "crashed\t0\t0\tbefore the first check\n");
        std::atexit(on_early_exit);
        checking = true;
        alarm(timeout_seconds());
    }
};
__attribute__((init_priority(101))) EarlyGuard early_guard;

// Everything the runner prints, kept for --expect-fail; on screen unless in summary mode.
class Printer {
public:
    explicit Printer(bool quiet) : quiet_(quiet), color_(!quiet && isatty(STDOUT_FILENO)) {}
    void line(const std::string& text) {
        all_ += text + "\n";
        if (!quiet_) std::cout << text << "\n" << std::flush;
    }
    // A line whose first mark is coloured on a terminal (green ✓, red ✗, dim ·).
    void mark(const std::string& indent, const std::string& mark, const std::string& rest) {
        all_ += indent + mark + rest + "\n";
        if (quiet_) return;
        const char* on = mark == "✓" ? "\033[32m" : mark == "✗" ? "\033[31m" : "\033[2m";
        if (color_)
            std::cout << indent << on << mark << "\033[0m" << rest << "\n" << std::flush;
        else
            std::cout << indent << mark << rest << "\n" << std::flush;
    }
    const std::string& all() const { return all_; }

private:
    bool quiet_;
    bool color_;
    std::string all_;
};

}  // namespace

bool near(const Array& a, const Array& b, double tol) {
    if (a.shape() != b.shape()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!entry_ok(a.flat(i), b.flat(i), tol)) return false;
    }
    return true;
}

Mistake gives(const Array& would_give, std::string hint) {
    return {[would_give](const Array& actual) { return near(actual, would_give); },
            std::move(hint)};
}

Mistake when(std::function<bool(const Matrix&)> property, std::string hint) {
    return {[property = std::move(property)](const Array& actual) {
                return actual.dimension() == 2 && property(Matrix(actual));
            },
            std::move(hint)};
}

Mistake when_array(std::function<bool(const Array&)> property, std::string hint) {
    return {std::move(property), std::move(hint)};
}

Mistake shape_differs(const Array& right, std::string hint) {
    return {[shape = right.shape()](const Array& actual) { return actual.shape() != shape; },
            std::move(hint)};
}

void expect(const Call& c, const Array& actual, const Array& expected) {
    Failure f;
    std::vector<std::size_t> wrong;  // flat indices of the wrong entries, worst first
    const bool same_shape = actual.shape() == expected.shape();
    if (same_shape) {
        for (std::size_t i = 0; i < actual.size(); ++i) {
            if (!entry_ok(actual.flat(i), expected.flat(i), c.tol)) wrong.push_back(i);
        }
        if (wrong.empty()) return;
        std::stable_sort(wrong.begin(), wrong.end(), [&](std::size_t a, std::size_t b) {
            return error_of(actual.flat(a), expected.flat(a)) >
                   error_of(actual.flat(b), expected.flat(b));
        });
        f.summary = c.call + " is wrong in " + std::to_string(wrong.size()) + " of " +
                    std::to_string(actual.size()) + " entries";
    } else {
        f.summary = c.call + " returned " + noun(actual) + " of shape " +
                    attn::shape_str(actual.shape()) + "; expected " +
                    attn::shape_str(expected.shape());
    }

    for (const Input& in : c.inputs) {
        if (small(in.value))
            add_matrix(f.details, "input " + in.name, in.value, 4);
        else
            f.details.push_back("input " + in.name + "  " + attn::shape_str(in.value.shape()));
    }
    // Enough decimals to see the difference.
    const double worst =
            wrong.empty() ? INFINITY : error_of(actual.flat(wrong[0]), expected.flat(wrong[0]));
    const int decimals = worst < 1e-4 ? 10 : 4;
    if (!same_shape || (small(expected) && small(actual))) {
        add_matrix(f.details, "expected", expected, decimals);
        if (small(actual))
            add_matrix(f.details, "actual", actual, decimals);
        else
            f.details.push_back("actual  " + attn::shape_str(actual.shape()) +
                                " (too large to show)");
        if (same_shape && wrong.size() < actual.size()) {
            std::vector<std::size_t> sorted(wrong);
            std::sort(sorted.begin(), sorted.end());
            std::string where = "wrong entries " + axes_str(actual.dimension()) + ":";
            for (std::size_t k = 0; k < std::min<std::size_t>(sorted.size(), 12); ++k) {
                where += (k ? ", " : " ") + index_str(actual, sorted[k]);
            }
            where += sorted.size() > 12 ? ", …" : "; the others are right";
            for (const auto& l : wrap(where, "", "  ", 86)) f.details.push_back(l);
        }
    } else {
        f.details.push_back("the " + std::to_string(std::min(kWorstShown, wrong.size())) +
                            " worst entries " + axes_str(actual.dimension()) + ":");
        char line[160];
        std::snprintf(line, sizeof line, "  %-13s %18s %18s %12s", "index", "expected", "actual",
                      "error");
        f.details.push_back(line);
        for (std::size_t k = 0; k < std::min(kWorstShown, wrong.size()); ++k) {
            const std::size_t i = wrong[k];
            std::snprintf(line, sizeof line, "  %-13s %18s %18s %12s", index_str(actual, i).c_str(),
                          value_str(expected.flat(i)).c_str(), value_str(actual.flat(i)).c_str(),
                          fmt("%.2e", error_of(actual.flat(i), expected.flat(i))).c_str());
            f.details.push_back(line);
        }
    }
    if (same_shape) {
        const std::size_t i = wrong[0];
        f.details.push_back("largest error: " + value_str(worst) + " at " + index_str(actual, i) +
                            " (expected " + value_str(expected.flat(i)) + ", got " +
                            value_str(actual.flat(i)) + ")");
    }
    std::vector<Mistake> mistakes;
    if (c.mistakes) {
        try {
            mistakes = c.mistakes();
        } catch (const std::exception& e) {
            Failure internal;
            internal.internal = true;
            internal.summary = std::string(
                                       "internal error in the checks, not in your code: "
                                       "computing the known mistakes threw: ") +
                               e.what();
            throw internal;
        }
    }
    for (const Mistake& m : mistakes) {
        if (m.recognises(actual)) {
            f.hint = m.hint;
            break;
        }
    }
    if (f.hint.empty()) f.hint = c.fallback_hint;
    throw f;
}

void fail(const std::string& summary, const std::string& hint) {
    Failure f;
    f.summary = summary;
    f.hint = hint;
    throw f;
}

void reference_agrees(const std::string& what, const Array& reference, const Array& by_hand,
                      double tol) {
    if (near(reference, by_hand, tol)) return;
    Failure f;
    f.internal = true;
    f.summary = "internal error in the checks, not in your code: the reference " + what +
                " disagrees with the values written by hand";
    add_matrix(f.details, "reference", reference, 6);
    add_matrix(f.details, "by hand", by_hand, 6);
    throw f;
}

Exercise::Exercise(int number, std::string slug, std::string function)
    : number_(number), slug_(std::move(slug)), function_(std::move(function)) {}

void Exercise::check(std::string name, std::function<void()> body) {
    checks_.push_back({std::move(name), std::move(body)});
}

int Exercise::run(int argc, char** argv) {
    bool summary = false;
    bool expect_fail = false;
    std::string pattern, verdict_file;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--summary") {
            summary = true;
        } else if (a == "--verdict" && i + 1 < argc) {
            verdict_file = argv[++i];
        } else if (a == "--expect-fail" && i + 1 < argc) {
            expect_fail = true;
            pattern = argv[++i];
        } else {
            std::cerr << "usage: " << argv[0]
                      << " [--summary | --expect-fail REGEX] [--verdict FILE]\n";
            return 2;
        }
    }
    alarm(0);
    checking = false;
    summary_mode = summary;
    catch_crashes();

    char nn[8];
    std::snprintf(nn, sizeof nn, "%02d", number_);
    const std::string file = "chapters/" + slug_ + "/exercise.cpp";
    const std::string six(6, ' ');
    Printer out(summary);
    out.line("exercise " + std::string(nn) + " · " + function_ + " · " + file);

    enum { passed, failing, not_done } status = passed;
    std::size_t done = 0;
    for (std::size_t k = 0; k < checks_.size() && status == passed; ++k) {
        const std::string label = " " + std::to_string(k + 1) + ". " + checks_[k].name;
        copy_to(crash_report, sizeof crash_report, "  ✗" + label + "\n");
        copy_to(crash_summary, sizeof crash_summary,
                "failing\t" + std::to_string(k) + "\t" + std::to_string(checks_.size()) + "\t" +
                        checks_[k].name + " (crashed)\n");
        std::vector<std::string> report;  // what to print under the ✗ line
        checking = true;
        alarm(timeout_seconds());
        try {
            checks_[k].body();
            alarm(0);
            checking = false;
            out.mark("  ", "✓", label);
            ++done;
            continue;
        } catch (const Failure& f) {
            status = failing;
            std::string summary = f.summary;
            if (f.internal)
                summary += " (please report it: the workbook's own tests should have caught it)";
            for (const auto& l : wrap(summary, six, six)) report.push_back(l);
            for (const auto& d : f.details) report.push_back(six + d);
            if (!f.hint.empty()) {
                for (const auto& l : wrap(f.hint, six + "hint: ", six + "      "))
                    report.push_back(l);
            }
        } catch (const NotDone& n) {
            if (n.number == number_ && done == 0) {
                status = not_done;
            } else if (n.number == number_) {
                // An exercise of several functions, some written: the checks so far pass.
                status = failing;
                for (const auto& l :
                     wrap("this check calls a function of exercise " + std::string(nn) +
                                  " that is still the stub, its todo(...) line still "
                                  "there: the checks before it pass; now write that "
                                  "function too.",
                          six, six)) {
                    report.push_back(l);
                }
            } else {
                status = failing;
                char other[8];
                std::snprintf(other, sizeof other, "%02d", n.number);
                for (const auto& l : wrap(function_ + " calls your code from exercise " + other +
                                                  ", which is not done yet — finish it first "
                                                  "(./workbook check " +
                                                  other +
                                                  "), or call the "
                                                  "reference attn:: function instead.",
                                          six, six)) {
                    report.push_back(l);
                }
            }
        } catch (const std::exception& e) {
            status = failing;
            const std::string type = demangled(typeid(e));
            const std::string what = std::regex_replace(e.what(), std::regex("\\s+"), " ");
            std::smatch oob;
            std::string said = "your code threw " + type + ": " + what, hint;
            // xtensor's own bounds check (XTENSOR_ENABLE_ASSERT, on in the learner's file).
            if (std::regex_search(what, oob,
                                  std::regex("index (\\d+) is out of bounds for axis (\\d+) with "
                                             "size (\\d+)"))) {
                const std::string index = oob[1], axis = oob[2], size = oob[3];
                said = "out of bounds: your code read or wrote index " + index + " of axis " +
                       axis + ", whose size is " + size + " (its indices run from 0 to " +
                       std::to_string(std::stoul(size) - 1) + ")";
                hint = "compare each loop's bound with the shape of what it indexes: a loop over "
                       "axis " +
                       axis + " of m must stop before m.shape(" + axis +
                       "), so write "
                       "`j < S`, not `j <= S`. In a matrix (L, S), axis 0 is the rows, shape(0), "
                       "and axis 1 the columns, shape(1); in a stack (H, L, d), axis 0 is the "
                       "head, 1 the row, 2 the column.";
            } else {
                hint = exception_hint(type, what);
            }
            for (const auto& l : wrap(said, six, six)) report.push_back(l);
            if (!hint.empty()) {
                for (const auto& l : wrap(hint, six + "hint: ", six + "      "))
                    report.push_back(l);
            }
        } catch (...) {
            status = failing;
            report.push_back(six + "your code threw something that is not a std::exception");
        }
        alarm(0);
        checking = false;
        out.mark("  ", "✗", label);
        for (const auto& l : report) out.line(l);
    }
    for (std::size_t k = done + 1; k < checks_.size() && status != passed; ++k) {
        out.mark("  ", "·", " " + std::to_string(k + 1) + ". " + checks_[k].name + "  (not run)");
    }

    const std::string total = std::to_string(checks_.size());
    if (status == passed) {
        out.line("exercise " + std::string(nn) + " passes: all " + total + " checks. Well done!");
    } else if (status == not_done) {
        out.line("exercise " + std::string(nn) + " is not done yet — ./workbook hint " + nn);
        for (const auto& l : wrap("Write " + function_ + " in " + file +
                                          " (and delete its "
                                          "todo(...) line), then ./workbook check " +
                                          nn +
                                          ", or "
                                          "./workbook watch " +
                                          nn + " to check on every save.",
                                  "  ", "  ")) {
            out.line(l);
        }
    } else {
        out.line("exercise " + std::string(nn) + " fails check " + std::to_string(done + 1) +
                 " of " + total + ". Stuck? ./workbook hint " + nn);
    }
    const int code = status == passed ? 0 : status == failing ? 1 : 3;
    // The verdict, written only here, after every check ran: ./workbook counts a pass only
    // when it reads "passed" there, so that a program ended early by the learner's code
    // (exit status 0 or not) never passes.
    if (!verdict_file.empty()) {
        std::ofstream(verdict_file) << (status == passed    ? "passed"
                                        : status == failing ? "failing"
                                                            : "not-done")
                                    << "\n";
    }

    if (summary) {
        const char* word = status == passed ? "done" : status == failing ? "failing" : "not-done";
        std::cout << word << "\t" << done << "\t" << total << "\t"
                  << (status == passed ? "-" : checks_[done].name) << "\n";
        return code;
    }
    if (!expect_fail) return code;
    // The workbook's own tests: this build must fail, and say what it is meant to say.
    if (code == 0) {
        std::cout << "--expect-fail: the checks passed, but they were expected to fail\n";
        return 1;
    }
    // Lines are wrapped for the screen: match against the text with every run of white
    // space (newlines too) turned into one space.
    const std::string flat = std::regex_replace(out.all(), std::regex("\\s+"), " ");
    std::regex wanted;
    try {
        wanted = std::regex(pattern);
    } catch (const std::regex_error& e) {
        std::cout << "--expect-fail: bad regular expression /" << pattern << "/: " << e.what()
                  << "\n";
        return 2;
    }
    if (!std::regex_search(flat, wanted)) {
        std::cout << "--expect-fail: the checks failed, but the output does not match /" << pattern
                  << "/\n";
        return 1;
    }
    std::cout << "--expect-fail: failed as expected, and the output matches /" << pattern << "/\n";
    return 0;
}

}  // namespace ex::check
