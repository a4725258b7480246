// The reference library's own tests: .npy reading, printing, random numbers.
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

#include <xtensor/xmath.hpp>
#include <xtensor/xnpy.hpp>

#include <workbook/inputs.hpp>
#include <workbook/npy.hpp>
#include <attention/random.hpp>
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
    const auto toy = attn::load_npy(wbtest::fixture_path("scaled_dot_product_attention/toy/query.npy"));
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
    CHECK(std::abs(mean) < 0.01);      // 100 000 draws: std error of the mean 0.003
    CHECK(std::abs(var - 1.0) < 0.02);
    for (int i = 0; i < 1000; ++i) {
        const std::size_t k = a.integer(3, 7);
        REQUIRE(k >= 3);
        REQUIRE(k <= 7);
    }
}

TEST_CASE("show: wide and tall matrices print their corners", "[common][show]") {
    Matrix m = xt::zeros<double>({std::size_t{14}, std::size_t{13}});
    m(0, 12) = 1.0;   // last column of the first row: shown
    m(5, 5) = 9.0;    // in the middle: elided
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
                      "describe_difference: shapes (2, 3) and (3, 2) differ");
}
