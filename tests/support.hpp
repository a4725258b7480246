// What the tests share: running a chapter program, reading fixtures, comparing matrices.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xtensor/xarray.hpp>

#include <attention/types.hpp>
#include <workbook/compare.hpp>
#include <workbook/inputs.hpp>
#include <workbook/validation.hpp>

namespace wbtest {

/// What a program printed and how it ended.
struct Run {
    int status = -1;  ///< exit status
    std::string out;  ///< stdout
    std::string err;  ///< stderr
};

/// Runs a program (a path, or a name found on PATH) with the arguments (each one shell-quoted).
Run run_program(const std::string& program, const std::vector<std::string>& args = {});
/// The chapter programs' folder: build/<preset>/bin, or $WORKBOOK_CHAPTER_BIN when set (the
/// sanitizer pass runs the same tests against build/<preset>/bin-asan).
std::string chapter_path(const std::string& slug);
/// Runs chapter_path(slug) with the arguments (each one shell-quoted).
Run run_chapter(const std::string& slug, const std::vector<std::string>& args = {});

/// Why `doc` is not well-formed XML, as Python's xml.etree parser says, or "" when it is.
std::string xml_problem(const std::string& doc);
/// Every line of `text` parsed as a JSON object by Python's json module: the fields of each,
/// their values as JSON text (a string keeps its quotes: "\"loops\"", a number "24").
/// Fails the test when a line is not a JSON object.
std::vector<std::map<std::string, std::string>> json_lines(const std::string& text);

/// The text of a file in the source tree, e.g. "chapters/06_self_attention/expected.txt".
std::string source_file(const std::string& relative);
/// Path of a fixture file, e.g. fixture_path("scaled_dot_product_attention/toy/weights.npy").
std::string fixture_path(const std::string& relative);
/// A fixture as doubles (any rank).
xt::xarray<double> fixture(const std::string& relative);
/// A 2-D fixture.
attn::Matrix fixture_matrix(const std::string& relative);

/// A fresh empty folder under the build tree, removed when the test ends.
class TempDir {
public:
    explicit TempDir(const std::string& name);
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& file) const { return path_ + "/" + file; }

private:
    std::string path_;
};

/// Runs chapter `slug` with `args`, then `--dump out --no-color`; requires exit status 0 and
/// returns its stdout.
std::string run_dumping(const std::string& slug, const TempDir& out,
                        std::vector<std::string> args = {});
/// What a `--dump` wrote as out/name.npy, as doubles.
xt::xarray<double> dumped(const TempDir& out, const std::string& name);

/// Writes raw bytes to a file (for malformed .npy files).
void write_bytes(const std::string& path, const std::string& bytes);
/// Writes an array as float32 .npy.
void write_npy_f32(const std::string& path, const xt::xarray<double>& a);

/// Compares two arrays entry by entry within an absolute tolerance; on failure the
/// description names the shapes, the worst entry and its index.
class NearMatcher : public Catch::MatcherBase<xt::xarray<double>> {
public:
    NearMatcher(xt::xarray<double> expected, double tol)
        : expected_(std::move(expected)), tol_(tol) {}
    bool match(const xt::xarray<double>& actual) const override;
    std::string describe() const override;

private:
    xt::xarray<double> expected_;
    double tol_;
    mutable std::string why_;
};

/// CHECK_THAT(actual, Near(expected, 1e-12))
inline NearMatcher Near(const xt::xarray<double>& expected, double tol) {
    return {expected, tol};
}

/// The first line where two texts differ, shown side by side, or "" when equal.
std::string first_difference(const std::string& expected, const std::string& actual);

/// Number of lines in a text (a final line without '\n' counts).
std::size_t line_count(const std::string& text);

}  // namespace wbtest

namespace Catch {
/// Short form of an array for Catch's messages (the NearMatcher explains the rest).
template <>
struct StringMaker<xt::xarray<double>> {
    static std::string convert(const xt::xarray<double>& a);
};
}  // namespace Catch

namespace wbtest {

/// The chapter, run with no arguments, prints exactly chapters/<slug>/expected.txt
/// (re-record with `./workbook record NN` after an intended change).
void check_recorded_output(const std::string& slug);

/// A dump of a trained model (chapters 22-28) holds every file of `files`, and chapter 11,
/// replaying DIR/layer0 (`--load`), computes that layer's dumped weights to 1e-12.
void check_dump_replayed(const TempDir& dump, const std::vector<std::string>& files);

/// The chapter, run with these arguments, fails cleanly: exit status 2, nothing but one
/// line on stderr, starting "<slug>: error: " and containing every one of `mentions`.
void check_bad_input(const std::string& slug, const std::vector<std::string>& args,
                     const std::vector<std::string>& mentions);

}  // namespace wbtest

namespace wbtest {

/// Runs the chapter with `--load tests/fixtures/<fixture_dir> --dump <tmp>` and checks
/// that each dumped <name>.npy equals the fixture's <name>.npy within `tol`.
void check_dump_matches(const std::string& slug, const std::string& fixture_dir,
                        const std::vector<std::string>& names, double tol);

/// Writes the files of a width-E module without biases into dir, for bad-input tests:
/// in_proj_weight.npy zeros (3E, E) and out_proj.weight.npy the identity (E, E).
void write_plain_module(const TempDir& dir, std::size_t E);

/// Compares a dumped <name>.npy with PyTorch's results for tests/fixtures/multihead_attention/<case>:
/// its float64 run (<name>64.npy) to 1e-9, and its float32 run (<name>.npy) to 1e-5
/// absolute, or, where the values are so large that float32 itself cannot hold 1e-5 (its
/// spacing near 75 is 8e-6), 1e-5 relative to the largest value.
void check_against_torch(const std::string& dumped, const std::string& fixture_case,
                         const std::string& name);

}  // namespace wbtest
