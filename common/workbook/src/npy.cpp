// Reading and writing .npy files (see npy.hpp). The header is parsed here, strictly and
// within bounds (numpy's own limits), so that every problem a user's file can have becomes
// one clear InputError naming it instead of a crash, a huge allocation or a wrong shape.
#include "workbook/npy.hpp"
#include "workbook/errors.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <system_error>

#include <unistd.h>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>

namespace attn {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw InputError(path + ": " + what);
}

// numpy refuses headers longer than this (np.load's max_header_size).
constexpr std::size_t kMaxHeader = 10000;

// A parsed type string such as "<f4": byte order, kind, item size.
struct Dtype {
    char order = '<';
    char kind = 'f';
    std::size_t size = 0;
    std::string descr;          // as written in the file
    std::string name() const {  // numpy's name, e.g. "float32"
        if (kind == 'b') return "bool";
        const char* base = kind == 'f'   ? "float"
                           : kind == 'i' ? "int"
                           : kind == 'u' ? "uint"
                                         : "complex";
        return base + std::to_string(8 * size);
    }
};

// "<f8" → {'<', 'f', 8}; anything numpy would not write as a plain number type is refused
// with the type string as the file has it.
Dtype parse_dtype(const std::string& path, const std::string& descr) {
    const auto refuse = [&](const std::string& why) {
        fail(path, "dtype '" + descr + "' " + why + "; use float32 or float64");
    };
    if (descr.size() < 3 || descr.size() > 5) refuse("is not a numeric type numpy writes");
    Dtype t;
    t.descr = descr;
    t.order = descr[0];
    t.kind = descr[1];
    const std::string digits = descr.substr(2);
    if (std::string("<>|=").find(t.order) == std::string::npos ||
        std::string("fiubc").find(t.kind) == std::string::npos) {
        refuse("is not a numeric type numpy writes");
    }
    for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            refuse("is not a numeric type numpy writes");
    }
    if (digits == "0") refuse("has item size 0");
    if (digits[0] == '0') refuse("is not a numeric type numpy writes");
    t.size = std::stoul(digits);  // at most 3 digits: cannot throw
    if (t.order == '>' && t.size != 1) {
        fail(path, "big-endian dtype " + descr + " is not supported; save it little-endian");
    }
    return t;
}

// The header dictionary, e.g. "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
// parsed as Python's literal syntax allows it: keys in any order, either quote, spaces.
class HeaderParser {
public:
    HeaderParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

    void parse(std::string& descr, bool& fortran_order, std::vector<std::size_t>& shape) {
        skip();
        expect('{');
        std::map<std::string, bool> seen;
        while (skip(), peek() != '}') {
            const std::string key = string_literal();
            skip();
            expect(':');
            skip();
            if (seen[key]) bad("key '" + key + "' appears twice");
            seen[key] = true;
            if (key == "descr")
                descr = string_literal();
            else if (key == "fortran_order")
                fortran_order = boolean();
            else if (key == "shape")
                shape = tuple();
            else
                bad("unexpected key '" + key + "'");
            skip();
            if (peek() == ',')
                ++i_;
            else if (peek() != '}')
                bad("expected ',' or '}' at byte " + std::to_string(i_));
        }
        ++i_;
        skip();
        if (i_ != s_.size()) bad("text after the dictionary");
        for (const char* k : {"descr", "fortran_order", "shape"}) {
            if (!seen[k]) bad(std::string("no '") + k + "' key");
        }
    }

private:
    [[noreturn]] void bad(const std::string& why) {
        fail(path_, "malformed .npy header (" + why + ")");
    }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void skip() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t')) ++i_;
    }
    void expect(char c) {
        if (peek() != c) bad(std::string("expected '") + c + "' at byte " + std::to_string(i_));
        ++i_;
    }
    std::string string_literal() {
        const char q = peek();
        if (q != '\'' && q != '"') bad("expected a quoted string at byte " + std::to_string(i_));
        const std::size_t end = s_.find(q, i_ + 1);
        if (end == std::string::npos) bad("unterminated string");
        std::string v = s_.substr(i_ + 1, end - i_ - 1);
        if (v.find('\\') != std::string::npos) bad("escape in a string");
        i_ = end + 1;
        return v;
    }
    bool boolean() {
        if (s_.compare(i_, 4, "True") == 0) return i_ += 4, true;
        if (s_.compare(i_, 5, "False") == 0) return i_ += 5, false;
        bad("fortran_order must be True or False");
    }
    // "()", "(3,)", "(3, 4)", "(3, 4,)": plain non-negative integers only.
    std::vector<std::size_t> tuple() {
        expect('(');
        std::vector<std::size_t> dims;
        bool comma = false;  // a comma after the last integer
        while (skip(), peek() != ')') {
            if (!std::isdigit(static_cast<unsigned char>(peek()))) {
                bad("shape must be a tuple of whole numbers");
            }
            const std::size_t first = i_;
            std::size_t d = 0;
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                const std::size_t digit = static_cast<std::size_t>(peek() - '0');
                if (d > (std::numeric_limits<std::size_t>::max() - digit) / 10)
                    bad("shape is too large");
                d = d * 10 + digit;
                ++i_;
            }
            if (i_ - first > 1 && s_[first] == '0') {
                bad("shape must be a tuple of whole numbers");  // 07: not a Python int
            }
            dims.push_back(d);
            skip();
            comma = peek() == ',';
            if (comma)
                ++i_;
            else if (peek() != ')')
                bad("shape must be a tuple of whole numbers");
        }
        ++i_;
        if (dims.size() == 1 && !comma) bad("shape (n) is not a tuple: write (n,)");
        return dims;
    }

    const std::string& path_;
    const std::string& s_;
    std::size_t i_ = 0;
};

// Converts n little-endian values of type T to doubles.
template <class T>
void convert(const std::vector<char>& raw, std::vector<double>& out) {
    const std::size_t n = raw.size() / sizeof(T);
    out.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
        out[i] = static_cast<double>(v);
    }
}

// Reads the header: magic, version, length, then the dictionary (at most kMaxHeader bytes,
// and no more than the file holds).
std::string read_header(std::istream& in, const std::string& path, std::uintmax_t file_size) {
    char magic[8] = {};
    in.read(magic, 8);
    if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
        fail(path, "not a valid .npy file (no \\x93NUMPY magic string at the start)");
    }
    const auto major = static_cast<unsigned char>(magic[6]);
    const std::size_t length_bytes = (major == 1) ? 2 : (major == 2 || major == 3) ? 4 : 0;
    if (length_bytes == 0) fail(path, "unsupported .npy format version " + std::to_string(major));
    unsigned char len[4] = {0, 0, 0, 0};
    in.read(reinterpret_cast<char*>(len), static_cast<std::streamsize>(length_bytes));
    if (!in) fail(path, "truncated .npy header");
    const std::size_t header_len =
            len[0] | (len[1] << 8) | (std::size_t(len[2]) << 16) | (std::size_t(len[3]) << 24);
    const std::uintmax_t header_start = 8 + length_bytes;
    if (header_len > file_size - header_start) {
        fail(path, "truncated .npy header: it claims " + std::to_string(header_len) +
                           " bytes, the file has " + std::to_string(file_size - header_start) +
                           " after the length");
    }
    if (header_len > kMaxHeader) {
        fail(path, "malformed .npy header: " + std::to_string(header_len) +
                           " bytes long, numpy allows at most " + std::to_string(kMaxHeader));
    }
    std::string header(header_len, '\0');
    in.read(header.data(), static_cast<std::streamsize>(header_len));
    if (!in || header_len == 0) fail(path, "truncated .npy header");
    if (header.back() != '\n') fail(path, "malformed .npy header (it does not end in a newline)");
    return header;
}

// The size of the file, or an InputError naming it (missing, a directory, unreadable).
std::uintmax_t regular_file_size(const std::string& path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec && st.type() != fs::file_type::not_found)
        fail(path, "cannot be read (" + ec.message() + ")");
    if (st.type() == fs::file_type::not_found) fail(path, "no such file");
    if (st.type() == fs::file_type::directory) fail(path, "is a directory, not a .npy file");
    if (st.type() != fs::file_type::regular) fail(path, "is not a regular file");
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) fail(path, "cannot be read (" + ec.message() + ")");
    return size;
}

}  // namespace

bool file_present(const std::string& path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (st.type() == fs::file_type::not_found) return false;
    if (ec) fail(path, "cannot be read (" + ec.message() + ")");
    return true;
}

NpyArray load_npy(const std::string& path) {
    const std::uintmax_t file_size = regular_file_size(path);
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot be read (" + std::string(std::strerror(errno)) + ")");
    std::string descr;
    bool fortran_order = false;
    std::vector<std::size_t> shape;
    const std::string header = read_header(in, path, file_size);
    HeaderParser(path, header).parse(descr, fortran_order, shape);
    const Dtype type = parse_dtype(path, descr);

    // Size of the data the header promises, checked against what the file holds.
    std::size_t count = 1;
    for (std::size_t d : shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d / type.size) {
            fail(path, "shape " + shape_str(shape) + " is too large");
        }
        count *= d;
    }
    if (count == 0)
        fail(path,
             "shape " + shape_str(shape) + " holds no numbers: every dimension must be at least 1");
    const std::uintmax_t data_start = static_cast<std::uintmax_t>(in.tellg());
    const std::uintmax_t available = file_size - data_start;
    if (available < count * type.size) {
        fail(path, "truncated: shape " + shape_str(shape) + " of " + type.name() + " needs " +
                           std::to_string(count * type.size) + " bytes of data, the file has " +
                           std::to_string(available));
    }
    const std::string kind = std::string(1, type.kind) + std::to_string(type.size);
    static const char* const kRead[] = {"f8", "f4", "b1", "i8", "i4", "i1", "u1"};
    if (std::find(std::begin(kRead), std::end(kRead), kind) == std::end(kRead)) {
        fail(path, "dtype " + type.name() +
                           " is not supported; use float32 or float64 (the file has '" + descr +
                           "')");
    }
    std::vector<char> raw(count * type.size);
    in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (!in) fail(path, "cannot be read (the data ends early)");

    // Convert to double.
    std::vector<double> values;
    if (kind == "f8")
        convert<double>(raw, values);
    else if (kind == "f4")
        convert<float>(raw, values);
    else if (kind == "b1")
        convert<std::uint8_t>(raw, values);
    else if (kind == "i8")
        convert<std::int64_t>(raw, values);
    else if (kind == "i4")
        convert<std::int32_t>(raw, values);
    else if (kind == "i1")
        convert<std::int8_t>(raw, values);
    else
        convert<std::uint8_t>(raw, values);

    NpyArray result;
    result.dtype = type.name();
    if (fortran_order) {
        // Column-major (a, b, c) on disk is row-major (c, b, a) transposed.
        const std::vector<std::size_t> reversed(shape.rbegin(), shape.rend());
        result.data = xt::transpose(xt::adapt(values, reversed));
    } else {
        result.data = xt::adapt(values, shape);
    }
    return result;
}

void check_finite(const std::string& path, const xt::xarray<double>& a) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a.flat(i);
        if (!std::isfinite(x)) {
            throw InputError(path + ": holds " +
                             (std::isnan(x) ? std::string("NaN") : std::string("an infinity")) +
                             " at flat index " + std::to_string(i) + "; inputs must be finite");
        }
    }
}

void require_float(const std::string& path, const NpyArray& a) {
    if (a.dtype.rfind("float", 0) != 0) fail(path, "expected float32 or float64, got " + a.dtype);
}

Matrix load_npy_matrix(const std::string& path, const std::string& what) {
    NpyArray a = load_npy(path);
    require_float(path, a);
    if (a.data.dimension() != 2) {
        fail(path, "expected a 2-D array " + what + ", got shape " + shape_str(a.data.shape()));
    }
    check_finite(path, a.data);
    return a.data;
}

namespace {

// The .npy bytes of a as C-order float64: header padded to a multiple of 64, then the data.
std::string npy_bytes(const xt::xarray<double>& a) {
    std::string dims;
    for (std::size_t d : a.shape()) dims += std::to_string(d) + ", ";
    if (a.dimension() > 1)
        dims.resize(dims.size() - 2);
    else if (a.dimension() == 1)
        dims.pop_back();
    std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + dims + "), }";
    const std::size_t total = 10 + dict.size() + 1;
    dict += std::string((64 - total % 64) % 64, ' ') + "\n";
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(dict.size() & 0xff);
    bytes += static_cast<char>(dict.size() >> 8);
    bytes += dict;
    const std::size_t start = bytes.size();
    bytes.resize(start + a.size() * sizeof(double));
    std::size_t i = 0;
    for (double x : a) std::memcpy(&bytes[start + 8 * i++], &x, sizeof(double));  // row-major
    return bytes;
}

}  // namespace

void dump_npy(const std::string& path, const xt::xarray<double>& a) {
    const std::string bytes = npy_bytes(a);
    // Written under a temporary name in the same folder, then renamed: a failed write never
    // leaves a half-written file under the final name.
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) fail(path, "cannot write (" + std::string(std::strerror(errno)) + ")");
    const bool wrote =
            std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
    const int write_errno = errno;
    const bool closed = std::fclose(f) == 0;
    if (!wrote || !closed) {
        const std::string why = std::strerror(wrote ? errno : write_errno);
        std::remove(tmp.c_str());
        fail(path, "cannot write (" + why + ")");
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        fail(path, "cannot write (" + ec.message() + ")");
    }
}

}  // namespace attn
