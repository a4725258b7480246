// Reading and writing .npy files (see npy.hpp). The header is parsed by xtensor's own
// parser (xt::detail::parse_header); around it we check what a user's file can get
// wrong, so that every problem becomes one clear InputError instead of a crash.
#include "workbook/npy.hpp"
#include "workbook/errors.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xnpy.hpp>

namespace attn {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw InputError(path + ": " + what);
}

// numpy's dtype name for an npy type string such as "<f4".
std::string dtype_name(const std::string& descr) {
    const char kind = descr[1];
    const std::string bytes = descr.substr(2);
    if (kind == 'b') return "bool";
    if (kind == 'f') return "float" + std::to_string(8 * std::stoul(bytes));
    if (kind == 'i') return "int" + std::to_string(8 * std::stoul(bytes));
    if (kind == 'u') return "uint" + std::to_string(8 * std::stoul(bytes));
    return "complex" + std::to_string(8 * std::stoul(bytes));
}

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

// Reads the header: magic, version, length, then the dictionary.
std::string read_header(std::istream& in, const std::string& path) {
    unsigned char major = 0, minor = 0;
    xt::detail::read_magic(in, &major, &minor);  // throws "not a valid npy format"
    std::size_t length_bytes = (major == 1) ? 2 : (major == 2 || major == 3) ? 4 : 0;
    if (length_bytes == 0) fail(path, "unsupported .npy format version " + std::to_string(major));
    unsigned char len[4] = {0, 0, 0, 0};
    in.read(reinterpret_cast<char*>(len), static_cast<std::streamsize>(length_bytes));
    const std::size_t header_len = len[0] | (len[1] << 8) | (std::size_t(len[2]) << 16) |
                                   (std::size_t(len[3]) << 24);
    std::string header(header_len, '\0');
    in.read(header.data(), static_cast<std::streamsize>(header_len));
    if (!in || header_len == 0) fail(path, "truncated .npy header");
    if (header.back() != '\n' || header.find('{') == std::string::npos ||
        header.find('}') == std::string::npos) {
        fail(path, "malformed .npy header");
    }
    return header;
}

}  // namespace

NpyArray load_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        fail(path, std::filesystem::exists(path) ? "cannot be read" : "no such file");
    }
    std::string descr;
    bool fortran_order = false;
    std::vector<std::size_t> shape;
    try {
        const std::string header = read_header(in, path);
        xt::detail::parse_header(header, descr, &fortran_order, shape);
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        fail(path, std::string("not a valid .npy file (") + e.what() + ")");
    }
    if (descr.size() < 3) fail(path, "malformed .npy header");
    if (descr[0] == '>' && descr.substr(1) != "b1" && descr.substr(1) != "i1") {
        fail(path, "big-endian dtype " + descr + " is not supported; save it little-endian");
    }

    // Size of the data the header promises, checked against what the file holds.
    const std::size_t word = std::stoul(descr.substr(2));
    std::size_t count = 1;
    for (std::size_t d : shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d / word) {
            fail(path, "shape " + shape_str(shape) + " is too large");
        }
        count *= d;
    }
    if (count == 0) fail(path, "shape " + shape_str(shape) + " holds no numbers: every dimension must be at least 1");
    const auto data_start = in.tellg();
    in.seekg(0, std::ios::end);
    const auto file_end = in.tellg();
    const auto available = static_cast<std::size_t>(file_end - data_start);
    if (available < count * word) {
        fail(path, "truncated: shape " + shape_str(shape) + " of " + dtype_name(descr) +
                       " needs " + std::to_string(count * word) + " bytes of data, the file has " +
                       std::to_string(available));
    }
    in.seekg(data_start);
    std::vector<char> raw(count * word);
    in.read(raw.data(), static_cast<std::streamsize>(raw.size()));

    // Convert to double.
    std::vector<double> values;
    const std::string type = descr.substr(1);
    if (type == "f8") convert<double>(raw, values);
    else if (type == "f4") convert<float>(raw, values);
    else if (type == "b1") convert<std::uint8_t>(raw, values);
    else if (type == "i8") convert<std::int64_t>(raw, values);
    else if (type == "i4") convert<std::int32_t>(raw, values);
    else if (type == "i1") convert<std::int8_t>(raw, values);
    else if (type == "u1") convert<std::uint8_t>(raw, values);
    else fail(path, "dtype " + dtype_name(descr) + " is not supported; use float32 or float64");

    NpyArray result;
    result.dtype = dtype_name(descr);
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
            throw InputError(path + ": holds " + (std::isnan(x) ? std::string("NaN") : std::string("an infinity")) +
                             " at flat index " + std::to_string(i) + "; inputs must be finite");
        }
    }
}

Matrix load_npy_matrix(const std::string& path, const std::string& what) {
    NpyArray a = load_npy(path);
    if (a.is_bool() || a.dtype.rfind("float", 0) != 0) {
        fail(path, "expected float32 or float64, got " + a.dtype);
    }
    if (a.data.dimension() != 2) {
        fail(path, "expected a 2-D array " + what + ", got shape " + shape_str(a.data.shape()));
    }
    check_finite(path, a.data);
    return a.data;
}

void dump_npy(const std::string& path, const xt::xarray<double>& a) {
    try {
        xt::dump_npy(path, a);
    } catch (const std::exception& e) {
        throw InputError(path + ": cannot write (" + e.what() + ")");
    }
}

}  // namespace attn
