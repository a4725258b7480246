// The reference library's own tests: .npy reading, printing, random numbers.
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <sys/wait.h>

#include <xtensor/xmath.hpp>
#include <xtensor/xnpy.hpp>

#include <attention/random.hpp>
#include <workbook/compare.hpp>
#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>
#include <workbook/show.hpp>

using attn::Matrix;
using wbtest::Near;

TEST_CASE("npy: float32 and float64 files read as the same doubles", "[common][npy]") {
    wbtest::TempDir dir("npy_types");
    const Matrix m = {{1.5, -2.25}, {0.125, 1024.0}};  // exact in float32
    wbtest::write_npy_f32(dir / "f32.npy", m);
    attn::dump_npy(dir / "f64.npy", m);
    const auto f32 = attn::load_npy(dir / "f32.npy");
    const auto f64 = attn::load_npy(dir / "f64.npy");
    CHECK(f32.dtype == "float32");
    CHECK(f64.dtype == "float64");
    CHECK_THAT(f32.data, Near(m, 0));
    CHECK_THAT(f64.data, Near(m, 0));
}

TEST_CASE("npy: numpy's own files (C and Fortran order, bool) read correctly", "[common][npy]") {
    // Written by numpy in tools/make_fixtures.py: np.arange(6).reshape(2, 3) etc.
    const auto toy =
            attn::load_npy(wbtest::fixture_path("scaled_dot_product_attention/toy/query.npy"));
    CHECK(toy.dtype == "float32");
    CHECK_THAT(toy.data, Near(Matrix{{1, 0, 1, 0}, {0, 2, 0, 2}, {1, 1, 1, 1}}, 0));
    wbtest::TempDir dir("npy_fortran");
    const xt::xtensor<double, 2, xt::layout_type::column_major> f = {{1, 2, 3}, {4, 5, 6}};
    xt::dump_npy(dir / "f.npy", f);
    CHECK_THAT(attn::load_npy(dir / "f.npy").data, Near(Matrix{{1, 2, 3}, {4, 5, 6}}, 0));
    const xt::xtensor<bool, 1> b = {true, false, true};
    xt::dump_npy(dir / "b.npy", b);
    const auto mask = attn::load_npy(dir / "b.npy");
    CHECK(mask.is_bool());
    CHECK_THAT(mask.data, Near(xt::xarray<double>{1, 0, 1}, 0));
}

TEST_CASE("npy: every kind of broken file is one clear InputError", "[common][npy]") {
    wbtest::TempDir dir("npy_broken");
    attn::dump_npy(dir / "good.npy", Matrix{{1, 2}, {3, 4}});
    std::ifstream in(dir / "good.npy", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});

    auto message = [&](const std::string& name) -> std::string {
        try {
            attn::load_npy(dir / name);
        } catch (const attn::InputError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK_THAT(message("missing.npy"), Catch::Contains("missing.npy: no such file"));
    wbtest::write_bytes(dir / "text.npy", "hello, this is not numpy\n");
    CHECK_THAT(message("text.npy"), Catch::Contains("not a valid .npy file"));
    wbtest::write_bytes(dir / "empty.npy", "");
    CHECK_THAT(message("empty.npy"), Catch::Contains("empty.npy"));
    wbtest::write_bytes(dir / "cut.npy", bytes.substr(0, bytes.size() - 8));
    CHECK_THAT(message("cut.npy"), Catch::Contains("truncated") && Catch::Contains("(2, 2)"));
    wbtest::write_bytes(dir / "cut_header.npy", bytes.substr(0, 40));
    CHECK_THAT(message("cut_header.npy"), Catch::Contains("truncated .npy header"));
    std::string huge = bytes;
    huge.replace(huge.find("(2, 2)"), 6, "(9999999999, 99999999999)");
    wbtest::write_bytes(dir / "huge.npy", huge.substr(0, 128));
    CHECK_THAT(message("huge.npy"), Catch::Contains("huge.npy"));
    attn::dump_npy(dir / "no_rows.npy", xt::xarray<double>(xt::zeros<double>({0, 4})));
    CHECK_THAT(message("no_rows.npy"), Catch::Contains("(0, 4) holds no numbers"));
    std::string big_endian = bytes;
    big_endian.replace(big_endian.find("<f8"), 3, ">f8");
    wbtest::write_bytes(dir / "be.npy", big_endian);
    CHECK_THAT(message("be.npy"), Catch::Contains("big-endian"));
    std::string complex = bytes;
    complex.replace(complex.find("<f8"), 3, "<c8");
    wbtest::write_bytes(dir / "complex.npy", complex);
    CHECK_THAT(message("complex.npy"), Catch::Contains("complex64 is not supported"));
}

TEST_CASE("npy: matrices must be 2-D, float and finite", "[common][npy]") {
    wbtest::TempDir dir("npy_matrix");
    attn::dump_npy(dir / "vec.npy", xt::xarray<double>{1, 2, 3});
    CHECK_THROWS_WITH(attn::load_npy_matrix(dir / "vec.npy", "(L, E)"),
                      Catch::Contains("expected a 2-D array (L, E), got shape (3,)"));
    attn::dump_npy(dir / "nan.npy", Matrix{{1, NAN}});
    CHECK_THROWS_WITH(attn::load_npy_matrix(dir / "nan.npy"), Catch::Contains("NaN"));
    attn::dump_npy(dir / "inf.npy", Matrix{{1, -INFINITY}});
    CHECK_THROWS_WITH(attn::load_npy_matrix(dir / "inf.npy"), Catch::Contains("infinity"));
    const xt::xtensor<std::int64_t, 2> ints = {{1, 2}};
    xt::dump_npy(dir / "int.npy", ints);
    CHECK_THROWS_WITH(attn::load_npy_matrix(dir / "int.npy"),
                      Catch::Contains("expected float32 or float64, got int64"));
}

TEST_CASE("show: name, shape and 4 decimals, labels when given", "[common][show]") {
    const Matrix m = {{0.42231, -1.0}, {12.5, 0.00005}};
    CHECK(attn::format_matrix(m) == "[[ 0.4223, -1.0000],\n [12.5000,  0.0001]]");
    CHECK(attn::format_matrix(m, {{"cat", "mouse"}, {"a", "b"}}) ==
          "             a        b\n"
          "cat     0.4223  -1.0000\n"
          "mouse  12.5000   0.0001");
    CHECK(attn::torch_format(Matrix{{0.5, 1.0}, {2.0, 3.0}}) ==
          "tensor([[0.5000, 1.0000],\n        [2.0000, 3.0000]])");
    CHECK(attn::format_number(NAN) == "nan");
    CHECK(attn::format_number(-INFINITY) == "-inf");
    std::ostringstream out;
    attn::show(out, "W", Matrix{{1.0}}, {}, "(1, 1) a caption");
    CHECK(out.str() == "W  (1, 1)  (1, 1) a caption\n[[1.0000]]\n\n");
}

TEST_CASE("random: reproducible, and normal draws have mean 0 and variance 1", "[common]") {
    attn::Random a(42), b(42), c(43);
    const Matrix x = a.normal_matrix(200, 500);
    CHECK_THAT(b.normal_matrix(200, 500), Near(x, 0));
    CHECK(c.normal() != x(0, 0));
    const double mean = xt::mean(x)();
    const double var = xt::variance(x)();
    CHECK(std::abs(mean) < 0.01);  // 100 000 draws: std error of the mean 0.003
    CHECK(std::abs(var - 1.0) < 0.02);
    for (int i = 0; i < 1000; ++i) {
        const std::size_t k = a.integer(3, 7);
        REQUIRE(k >= 3);
        REQUIRE(k <= 7);
    }
}

TEST_CASE("show: wide and tall matrices print their corners", "[common][show]") {
    Matrix m = xt::zeros<double>({std::size_t{14}, std::size_t{13}});
    m(0, 12) = 1.0;  // last column of the first row: shown
    m(5, 5) = 9.0;   // in the middle: elided
    const std::string s = attn::format_matrix(m);
    CHECK(s.rfind("[[0.0000, 0.0000, 0.0000, ..., 0.0000, 0.0000, 1.0000],\n", 0) == 0);
    CHECK(s.find("9.0000") == std::string::npos);
    CHECK(s.find(" [...],\n") != std::string::npos);
    CHECK(std::count(s.begin(), s.end(), '\n') == 6);  // rows 0-2, "...", rows 11-13
    const std::string t = attn::format_matrix(m, {attn::token_labels(14), {}});
    CHECK(t.find("t13") != std::string::npos);
    CHECK(t.find("t5") == std::string::npos);
}

TEST_CASE("describe_difference finds the worst entry of a matrix or a stack of them", "[common]") {
    const Matrix a = xt::zeros<double>({2, 3});
    Matrix b = a;
    CHECK(attn::describe_difference(a, b) == "below 1e-12 (they agree)");
    b(1, 2) = -0.25;
    CHECK(attn::describe_difference(a, b) == "2.50e-01");
    // The last entry of the last head: a stack must not be read as one matrix.
    const attn::Tensor3 s = xt::zeros<double>({2, 2, 2});
    attn::Tensor3 t = s;
    t(1, 1, 1) = 0.5;
    CHECK(attn::describe_difference(s, t) == "5.00e-01");
    CHECK_THROWS_WITH(attn::describe_difference(a, Matrix(xt::zeros<double>({3, 2}))),
                      "largest_difference: shapes (2, 3) and (3, 2) differ");
}

TEST_CASE("largest_difference: the same NaN in the same place agrees, a NaN elsewhere does not",
          "[common]") {
    const xt::xarray<double> a = {1.0, NAN, INFINITY, 4.0};
    CHECK(attn::largest_difference(a, a).largest == 0.0);
    const xt::xarray<double> b = {1.0, 2.0, INFINITY, 4.5};  // a NaN where b has a number
    const attn::Difference d = attn::largest_difference(a, b);
    CHECK(std::isinf(d.largest));
    CHECK(d.at == 1);
    const xt::xarray<double> c = {1.0, NAN, -INFINITY, 4.25};  // +inf against -inf
    CHECK(std::isinf(attn::largest_difference(a, c).largest));
    CHECK(attn::largest_difference(a, xt::xarray<double>{1.0, NAN, INFINITY, 4.25}).largest ==
          0.25);
}

// ---------------------------------------------------------------------------------------
// Issue 14, "Nothing lost, nothing silent": the reader and the writer at their limits.

namespace {

// A .npy file of the given version with this header dictionary (padded to a multiple of
// 64 with '\n' last, as numpy writes it) followed by `data`.
std::string npy_file(const std::string& dict, const std::string& data = "", int version = 1) {
    const std::size_t prefix = version == 1 ? 10 : 12;
    std::string header = dict;
    header += std::string((64 - (prefix + header.size() + 1) % 64) % 64, ' ') + "\n";
    std::string bytes = std::string("\x93NUMPY", 6) + static_cast<char>(version) + '\0';
    const std::size_t n = header.size();
    bytes += static_cast<char>(n & 0xff);
    bytes += static_cast<char>((n >> 8) & 0xff);
    if (version != 1) {
        bytes += static_cast<char>((n >> 16) & 0xff);
        bytes += static_cast<char>((n >> 24) & 0xff);
    }
    return bytes + header + data;
}

std::string f8_bytes(std::size_t n) {
    return std::string(8 * n, '\0');
}  // n zeros

// The message of the InputError load_npy throws for these bytes, or "no error".
std::string load_message(const wbtest::TempDir& dir, const std::string& name,
                         const std::string& bytes) {
    wbtest::write_bytes(dir / name, bytes);
    try {
        attn::load_npy(dir / name);
    } catch (const attn::InputError& e) {
        return e.what();
    }
    return "no error";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Runs a chapter with every file write limited to 0 bytes (ulimit -f 0, as on a full
// disk); returns its exit status and what it wrote on stderr.
wbtest::Run run_with_full_disk(const std::string& slug, const std::string& args) {
    const std::string bin = wbtest::chapter_path(slug);
    const std::string cmd = "sh -c \"ulimit -f 0; trap '' XFSZ; exec '" + bin + "' " + args +
                            "\" 2>&1 >/dev/null </dev/null";
    wbtest::Run r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) r.err += buf;
    const int raw = ::pclose(p);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return r;
}

}  // namespace

TEST_CASE("dump: a write that fails (full disk) is one error naming the file, and leaves no file",
          "[common][npy][dump]") {
    wbtest::TempDir dir("dump_full");
    const wbtest::Run r = run_with_full_disk("06_self_attention", "--dump '" + dir.path() + "'");
    INFO("stderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(wbtest::line_count(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains(dir.path()) && Catch::Contains(".npy: cannot write"));
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        files += e.is_regular_file();
    CHECK(files == 0);  // neither a 0-byte .npy nor a temporary file left behind
    // A path that cannot be created at all: under a regular file.
    wbtest::write_bytes(dir / "plain", "x");
    CHECK_THROWS_WITH(attn::dump_npy(dir / "plain/a.npy", Matrix{{1}}),
                      Catch::Contains("plain/a.npy: cannot write"));
}

TEST_CASE("dump: what it writes reads back exactly, any rank", "[common][npy][dump]") {
    wbtest::TempDir dir("dump_roundtrip");
    const xt::xarray<double> a = {{{1.5, -2.0}, {3.25, 1e-300}}, {{1e300, 0.0}, {-0.0, 7.0}}};
    attn::dump_npy(dir / "a.npy", a);
    CHECK_THAT(attn::load_npy(dir / "a.npy").data, Near(a, 0));
    attn::dump_npy(dir / "v.npy", xt::xarray<double>{4.0, 5.0});
    CHECK(attn::load_npy(dir / "v.npy").data.shape() == std::vector<std::size_t>{2});
    // numpy reads it too: the header is a multiple of 64 bytes and ends in '\n'
    const std::string bytes = read_file(dir / "v.npy");
    const std::size_t header_end = 10 + (std::uint8_t(bytes[8]) | std::uint8_t(bytes[9]) << 8);
    CHECK(header_end % 64 == 0);
    CHECK(bytes[header_end - 1] == '\n');
    CHECK(bytes.find("'shape': (2,)") != std::string::npos);
}

TEST_CASE("dump: never onto the --load folder nor over a file it read", "[common][dump][cli]") {
    wbtest::TempDir dir("dump_onto_load");
    const Matrix q = {{1, 0}, {0, 1}, {1, 1}};
    wbtest::write_npy_f32(dir / "query.npy", q);
    const std::string before = read_file(dir / "query.npy");
    wbtest::check_bad_input("06_self_attention", {"--load", dir.path(), "--dump", dir.path()},
                            {"--dump", "--load folder"});
    // the same folder under another name: a relative path with "..", and a symlink
    const std::string other =
            dir.path() + "/../" + std::filesystem::path(dir.path()).filename().string();
    wbtest::check_bad_input("06_self_attention", {"--load", dir.path(), "--dump", other},
                            {"--load folder"});
    std::filesystem::create_directory_symlink(dir.path(), dir.path() + ".link");
    wbtest::check_bad_input("06_self_attention",
                            {"--load", dir.path(), "--dump", dir.path() + ".link"},
                            {"--load folder"});
    std::filesystem::remove(dir.path() + ".link");
    CHECK(read_file(dir / "query.npy") == before);
    // A loaded file that is (a link to) a file the dump would write.
    wbtest::TempDir out("dump_over_input");
    wbtest::write_bytes(out / "Q.npy", "keep me");  // chapter 06 dumps Q
    wbtest::TempDir in("dump_over_input_in");
    std::filesystem::copy_file(dir / "query.npy", in / "real.npy");
    std::filesystem::create_symlink(out / "Q.npy", in / "notes.npy");
    wbtest::write_npy_f32(in / "query.npy", q);
    const wbtest::Run r =
            wbtest::run_chapter("06_self_attention", {"--load", in.path(), "--dump", out.path()});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("will not overwrite"));
    CHECK(read_file(out / "Q.npy") == "keep me");
}

TEST_CASE("npy: a dtype of item size 0 is refused, not a division by zero", "[common][npy]") {
    wbtest::TempDir dir("npy_size0");
    for (const std::string descr : {"<f0", "|b0"}) {
        const std::string m = load_message(
                dir, "z.npy",
                npy_file("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (3, 6), }"));
        CHECK_THAT(m, Catch::Contains("z.npy") && Catch::Contains(descr) &&
                              Catch::Contains("item size 0"));
    }
}

TEST_CASE("npy: a header longer than numpy's 10 000 bytes is refused before any parsing",
          "[common][npy]") {
    wbtest::TempDir dir("npy_long");
    const std::string dict = "{'descr': '<f" + std::string(60000, '8') +
                             "', 'fortran_order': False, 'shape': (1,), }";
    const std::string m = load_message(dir, "long.npy", npy_file(dict, f8_bytes(1), 2));
    CHECK_THAT(m, Catch::Contains("long.npy") && Catch::Contains("at most 10000"));
}

TEST_CASE("npy: sizes the header claims are checked against the file before allocating",
          "[common][npy]") {
    wbtest::TempDir dir("npy_claims");
    // 12 bytes: magic, version 2, a header length of 4 GiB - 1.
    const std::string m =
            load_message(dir, "claim.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12));
    CHECK_THAT(m, Catch::Contains("claim.npy") && Catch::Contains("4294967295"));
    // A shape whose data would need more than any file: overflow-safe.
    const std::string huge =
            load_message(dir, "huge.npy",
                         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, "
                                  "4294967296, 4294967296), }"));
    CHECK_THAT(huge, Catch::Contains("huge.npy") && Catch::Contains("too large"));
    const std::string big = load_message(
            dir, "big.npy",
            npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }",
                     f8_bytes(2)));
    CHECK_THAT(big, Catch::Contains("truncated") && Catch::Contains("80000000000 bytes"));
}

TEST_CASE("npy: every failure reading a file is an InputError naming it", "[common][npy]") {
    wbtest::TempDir dir("npy_every_failure");
    const std::string m = load_message(
            dir, "long_size.npy",
            npy_file("{'descr': '<f99999999999999999999', 'fortran_order': False, 'shape': (1,), }",
                     f8_bytes(1)));
    CHECK_THAT(m, Catch::Contains("long_size.npy") && Catch::Contains("'<f99999999999999999999'"));
    std::filesystem::create_symlink(dir / "loop.npy", dir / "loop.npy");
    CHECK_THROWS_WITH(attn::load_npy(dir / "loop.npy"),
                      Catch::Contains("loop.npy: cannot be read"));
    CHECK_THROWS_WITH(attn::file_present(dir / "loop.npy"),
                      Catch::Contains("loop.npy: cannot be read"));
    std::filesystem::create_directory(dir / "folder.npy");
    CHECK_THROWS_WITH(attn::load_npy(dir / "folder.npy"),
                      Catch::Contains("folder.npy: is a directory"));
    // The chapters too: a query.npy linked to itself is exit 2, not an internal error.
    wbtest::TempDir load("npy_loop_load");
    std::filesystem::create_symlink(load / "query.npy", load / "query.npy");
    wbtest::check_bad_input("06_self_attention", {"--load", load.path()},
                            {"query.npy", "cannot be read"});
    std::filesystem::remove(load / "query.npy");
    wbtest::write_npy_f32(load / "query.npy", Matrix{{1, 2}});
    std::filesystem::create_symlink(load / "key.npy", load / "key.npy");
    wbtest::check_bad_input("06_self_attention", {"--load", load.path()},
                            {"key.npy", "cannot be read"});
}

TEST_CASE("npy: shapes are parsed strictly, as numpy does, keys in any order", "[common][npy]") {
    wbtest::TempDir dir("npy_shapes");
    const auto with_shape = [&](const std::string& shape, std::size_t n) {
        return npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }",
                        f8_bytes(n));
    };
    for (const std::string bad : {"(1e3, 6)", "(3.9, 6)", "(3)", "(-1, 6)", "(07, 2)", "(3 4)", "3",
                                  "(3,,)", "(0x3,)", "[3, 4]"}) {
        INFO("shape " << bad);
        CHECK_THAT(load_message(dir, "s.npy", with_shape(bad, 6000)),
                   Catch::Contains("s.npy: malformed .npy header"));
    }
    for (const auto& [good, dims] :
         std::vector<std::pair<std::string, std::vector<std::size_t>>>{{"()", {}},
                                                                       {"(3,)", {3}},
                                                                       {"(3, 4)", {3, 4}},
                                                                       {"(3, 4,)", {3, 4}},
                                                                       {"( 3 ,4 )", {3, 4}},
                                                                       {"(0,)", {0}}}) {
        INFO("shape " << good);
        wbtest::write_bytes(dir / "g.npy", with_shape(good, 12));
        if (dims == std::vector<std::size_t>{0}) {
            CHECK_THROWS_WITH(attn::load_npy(dir / "g.npy"), Catch::Contains("holds no numbers"));
            continue;
        }
        const xt::xarray<double> a = attn::load_npy(dir / "g.npy").data;
        const std::vector<std::size_t> got(a.shape().begin(), a.shape().end());
        CHECK(got == dims);
    }
    // 'shape' before 'descr', double quotes: numpy loads it.
    wbtest::write_bytes(
            dir / "order.npy",
            npy_file("{\"shape\": (2,), 'fortran_order': False, 'descr': '<f8'}", f8_bytes(2)));
    CHECK(attn::load_npy(dir / "order.npy").data.size() == 2);
    CHECK_THAT(load_message(dir, "dup.npy",
                            npy_file("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
                                     "'shape': (1,)}",
                                     f8_bytes(1))),
               Catch::Contains("twice"));
    CHECK_THAT(load_message(dir, "nokey.npy",
                            npy_file("{'descr': '<f8', 'shape': (1,)}", f8_bytes(1))),
               Catch::Contains("fortran_order"));
}

TEST_CASE("npy: a dtype refused says what the file has", "[common][npy]") {
    wbtest::TempDir dir("npy_dtype_words");
    const std::string m = load_message(
            dir, "f04.npy",
            npy_file("{'descr': '<f04', 'fortran_order': False, 'shape': (1,), }", f8_bytes(1)));
    CHECK_THAT(m, Catch::Contains("'<f04'"));
    CHECK_THAT(m, !Catch::Contains("float32 is not supported"));
    const std::string h = load_message(
            dir, "f2.npy",
            npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", f8_bytes(1)));
    CHECK_THAT(h, Catch::Contains("float16") && Catch::Contains("'<f2'"));
}

TEST_CASE("show: huge numbers print in scientific notation, as numpy does", "[common][show]") {
    CHECK(attn::format_number(3.4558e199) == "3.4558e+199");
    CHECK(attn::format_number(-1e16) == "-1.0000e+16");
    CHECK(attn::format_number(9.99e15) == "9990000000000000.0000");
    CHECK(attn::format_matrix(Matrix{{2e20, 1.0}}) == "[[2.0000e+20, 1.0000e+00]]");
    CHECK(attn::format_matrix(Matrix{{1e300, -0.5}}).size() < 40);
}

TEST_CASE("masks: +inf in a float mask is refused like NaN, and uint8 is bool in both masks",
          "[common][mask]") {
    attn::NpyArray m{"float64", Matrix{{0.0, INFINITY}}};
    CHECK_THROWS_WITH(attn::additive_mask(m), Catch::Contains("+inf"));
    m.data = Matrix{{0.0, -INFINITY}};
    CHECK(attn::additive_mask(m)(0, 1) == -INFINITY);
    const attn::NpyArray u{"uint8", Matrix{{0.0, 1.0}}};
    const xt::xarray<double> pad = attn::additive_key_padding_mask(u, nullptr);
    CHECK(pad(0, 0) == 0.0);
    CHECK(pad(0, 1) == -INFINITY);
    CHECK_THROWS_WITH(
            attn::additive_key_padding_mask(attn::NpyArray{"int64", Matrix{{1.0, 0.0}}}, nullptr),
            Catch::Contains("int64 is not supported"));
}

TEST_CASE("cli: empty folders, a file for --load, and options that would do nothing are refused",
          "[common][cli]") {
    for (const std::string opt : {"--dump", "--svg"}) {
        wbtest::check_bad_input("06_self_attention", {opt, ""}, {opt, "empty"});
    }
    wbtest::check_bad_input("06_self_attention", {"--load", ""}, {"--load", "empty"});
    wbtest::TempDir dir("cli_load_file");
    wbtest::write_bytes(dir / "query.npy", "x");
    wbtest::check_bad_input("06_self_attention", {"--load", dir / "query.npy"},
                            {"query.npy", "is not a directory"});
    for (const std::string slug :
         {"11_multihead_attention", "09_heads_in_parallel", "16_batches", "17_kv_cache"}) {
        INFO(slug);
        wbtest::check_bad_input(slug, {"--heads", "3"}, {"--heads 3", "without --load"});
    }
    // where --heads is used without --load, it still works
    CHECK(wbtest::run_chapter("08_head_splitting", {"--heads", "2"}).status == 0);
    CHECK(wbtest::run_chapter("18_efficient_attention",
                              {"--heads", "2", "--length", "8", "--embed", "8"})
                  .status == 0);
}

TEST_CASE("cli: num_heads.txt holds a plain positive whole number", "[common][cli]") {
    wbtest::TempDir dir("cli_num_heads");
    wbtest::write_plain_module(dir, 4);
    wbtest::write_npy_f32(dir / "query.npy", Matrix{{1, 2, 3, 4}, {4, 3, 2, 1}});
    for (const std::string text : {"1e1", "2.5", "4abc", "-2", "0", ""}) {
        INFO("num_heads.txt: " << text);
        wbtest::write_bytes(dir / "num_heads.txt", text + "\n");
        wbtest::check_bad_input("11_multihead_attention", {"--load", dir.path()},
                                {"num_heads.txt", "positive whole number"});
    }
    wbtest::write_bytes(dir / "num_heads.txt", " 2\n");
    CHECK(wbtest::run_chapter("11_multihead_attention", {"--load", dir.path()}).status == 0);
}

TEST_CASE("cli: one dtype rule: data files are float everywhere", "[common][cli]") {
    wbtest::TempDir dir("cli_dtypes");
    wbtest::write_plain_module(dir, 4);
    wbtest::write_bytes(dir / "num_heads.txt", "2\n");
    const xt::xtensor<std::int64_t, 2> ints = {{1, 2, 3, 4}};
    xt::dump_npy(dir / "query.npy", ints);
    for (const std::string slug : {"06_self_attention", "11_multihead_attention", "17_kv_cache"}) {
        wbtest::check_bad_input(slug, {"--load", dir.path()},
                                {"query.npy", "expected float32 or float64, got int64"});
    }
    const xt::xtensor<std::int64_t, 3> batch = {{{1, 2, 3, 4}}};
    xt::dump_npy(dir / "query.npy", batch);
    wbtest::check_bad_input("16_batches", {"--load", dir.path()},
                            {"query.npy", "expected float32 or float64, got int64"});
    // A missing key.npy, value.npy with another S: the key is what is missing.
    wbtest::TempDir qv("cli_missing_key");
    wbtest::write_npy_f32(qv / "query.npy", Matrix{{1, 0}, {0, 1}, {1, 1}});
    wbtest::write_npy_f32(qv / "value.npy", Matrix{{1, 0}, {0, 1}});
    wbtest::check_bad_input("06_self_attention", {"--load", qv.path()},
                            {"key.npy: missing", "value.npy"});
}

TEST_CASE("cli: finite inputs so large that the scores overflow are refused, not NaN",
          "[common][cli]") {
    wbtest::TempDir dir("cli_overflow");
    attn::dump_npy(dir / "in_proj_weight.npy", xt::ones<double>({12, 4}));
    attn::dump_npy(dir / "out_proj.weight.npy", xt::eye<double>(4));
    wbtest::write_bytes(dir / "num_heads.txt", "2\n");
    attn::dump_npy(dir / "query.npy", Matrix{{1e200, 1.0, -2e200, 3.0}, {1.0, 2.0, 3.0, 4.0}});
    for (const std::string slug : {"06_self_attention", "11_multihead_attention", "17_kv_cache"}) {
        wbtest::check_bad_input(slug, {"--load", dir.path()},
                                {"scores overflowed", "largest |x| = 2.0000e+200"});
    }
    attn::dump_npy(dir / "query.npy",
                   xt::xarray<double>{{{1e200, 1.0, -2e200, 3.0}, {1.0, 2.0, 3.0, 4.0}}});
    wbtest::check_bad_input("16_batches", {"--load", dir.path()}, {"scores overflowed"});
    // large but safe inputs still run, and print in scientific notation
    attn::dump_npy(dir / "query.npy", Matrix{{1e20, 1.0, 0.0, 3.0}, {1.0, 2.0, 3.0, 4.0}});
    // (--verbose: chapter 11 prints the intermediates, the projected 1e20 among them)
    const wbtest::Run r =
            wbtest::run_chapter("11_multihead_attention", {"--load", dir.path(), "--verbose"});
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("e+20") && !Catch::Contains("nan"));
    // +inf in a float mask: refused like NaN, naming the file
    attn::dump_npy(dir / "query.npy", Matrix{{1, 2, 3, 4}, {4, 3, 2, 1}});
    attn::dump_npy(dir / "attn_mask.npy", Matrix{{0, INFINITY}, {0, 0}});
    wbtest::check_bad_input("11_multihead_attention", {"--load", dir.path()},
                            {"attn_mask.npy", "+inf"});
}

TEST_CASE(
        "chapter --help: every option's description starts in one column, a long option's "
        "on the next line",
        "[common][help]") {
    for (const std::string slug :
         {"22_training_loop", "24_it_refers_to_cake", "26_translation_alignment"}) {
        const wbtest::Run r = wbtest::run_chapter(slug, {"--help"});
        REQUIRE(r.status == 0);
        std::istringstream in(r.out);
        std::vector<std::string> lines;
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        std::size_t options = 0;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const std::string& l = lines[i];
            if (l.rfind("  --", 0) != 0) continue;
            ++options;
            INFO(slug << ": \"" << l << "\"");
            const std::size_t end = l.find_first_of(' ', 2);  // end of the option's name
            const std::size_t metavar_end =
                    end == std::string::npos ? end : l.find_first_of(' ', end + 1);
            const bool alone = end == std::string::npos || metavar_end == std::string::npos ||
                               l.find_first_not_of(' ', metavar_end) == std::string::npos;
            if (alone) {  // "  --name [METAVAR]" alone: the description is the next line's
                REQUIRE(i + 1 < lines.size());
                CHECK(lines[i + 1].rfind(std::string(15, ' '), 0) == 0);
                CHECK(lines[i + 1].size() > 15);
                CHECK(lines[i + 1][15] != ' ');
            } else {  // the description begins in column 15, after at least two spaces
                CHECK(l.size() > 15);
                CHECK(l.substr(13, 2) == "  ");
                CHECK(l[15] != ' ');
            }
        }
        CHECK(options >= 7);  // --dump, --svg, --no-color, --color, two of its own, --help
    }
}
