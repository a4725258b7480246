// What the tests share (see support.hpp).
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xnpy.hpp>

#include <workbook/npy.hpp>
#include <workbook/show.hpp>

namespace fs = std::filesystem;

namespace wbtest {

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

}  // namespace

Run run_program(const std::string& program, const std::vector<std::string>& args) {
    static int counter = 0;
    const std::string base = std::string(WORKBOOK_BINARY_DIR) + "/test-runs/" +
                             fs::path(program).filename().string() + "." +
                             std::to_string(::getpid()) + "." + std::to_string(counter++);
    fs::create_directories(fs::path(base).parent_path());
    std::string cmd = quote(program);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " >" + quote(base + ".out") + " 2>" + quote(base + ".err") + " </dev/null";
    const int raw = std::system(cmd.c_str());
    Run r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = read_all(base + ".out");
    r.err = read_all(base + ".err");
    fs::remove(base + ".out");
    fs::remove(base + ".err");
    return r;
}

std::string chapter_path(const std::string& slug) {
    const char* dir = std::getenv("WORKBOOK_CHAPTER_BIN");
    return (dir && *dir ? std::string(dir) : std::string(WORKBOOK_BINARY_DIR) + "/bin") + "/" +
           slug;
}

Run run_chapter(const std::string& slug, const std::vector<std::string>& args) {
    return run_program(chapter_path(slug), args);
}

namespace {

// Runs tests/text/parse.py KIND on text (through a file): Python's own parsers.
Run parse_with_python(const std::string& kind, const std::string& text) {
    static int counter = 0;
    const std::string file = std::string(WORKBOOK_BINARY_DIR) + "/test-runs/parse." +
                             std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
                             kind;
    fs::create_directories(fs::path(file).parent_path());
    write_bytes(file, text);
    Run r = run_program("/usr/bin/python3",
                        {std::string(WORKBOOK_SOURCE_DIR) + "/tests/text/parse.py", kind, file});
    fs::remove(file);
    return r;
}

}  // namespace

std::string xml_problem(const std::string& doc) {
    const Run r = parse_with_python("xml", doc);
    return r.status == 0 ? ""
                         : r.out + r.err + (r.out.empty() && r.err.empty() ? "python3 failed" : "");
}

std::vector<std::map<std::string, std::string>> json_lines(const std::string& text) {
    const Run r = parse_with_python("json", text);
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::vector<std::map<std::string, std::string>> objects;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        std::map<std::string, std::string>& fields = objects.emplace_back();
        std::istringstream pairs(line);
        for (std::string pair; std::getline(pairs, pair, '\t');) {
            const std::size_t eq = pair.find('=');
            REQUIRE(eq != std::string::npos);
            fields[pair.substr(0, eq)] = pair.substr(eq + 1);
        }
    }
    return objects;
}

std::string source_file(const std::string& relative) {
    const std::string path = std::string(WORKBOOK_SOURCE_DIR) + "/" + relative;
    if (!fs::exists(path)) FAIL("missing file " << path);
    return read_all(path);
}

std::string fixture_path(const std::string& relative) {
    // The 5-token module is chapter 11's built-in example, so it lives with chapter 11; the
    // tests name it like the other multi-head cases.
    const std::string module = "multihead_attention/five_token_module";
    if (relative.compare(0, module.size(), module) == 0) {
        return std::string(WORKBOOK_FIVE_TOKEN_MODULE) + relative.substr(module.size());
    }
    return std::string(WORKBOOK_SOURCE_DIR) + "/tests/fixtures/" + relative;
}

xt::xarray<double> fixture(const std::string& relative) {
    return attn::load_npy(fixture_path(relative)).data;
}

attn::Matrix fixture_matrix(const std::string& relative) {
    const xt::xarray<double> a = fixture(relative);
    REQUIRE(a.dimension() == 2);
    return a;
}

TempDir::TempDir(const std::string& name) {
    path_ = std::string(WORKBOOK_BINARY_DIR) + "/test-tmp/" + name + "." +
            std::to_string(::getpid());
    fs::remove_all(path_);
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

void write_npy_f32(const std::string& path, const xt::xarray<double>& a) {
    const xt::xarray<float> f = xt::cast<float>(a);
    xt::dump_npy(path, f);
}

std::string run_dumping(const std::string& slug, const TempDir& out,
                        std::vector<std::string> args) {
    args.insert(args.end(), {"--dump", out.path(), "--no-color"});
    const Run r = run_chapter(slug, args);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r.out;
}

xt::xarray<double> dumped(const TempDir& out, const std::string& name) {
    return attn::load_npy(out / (name + ".npy")).data;
}

bool NearMatcher::match(const xt::xarray<double>& actual) const {
    if (actual.shape() != expected_.shape()) {
        why_ = "shape " + attn::shape_str(actual.shape()) + ", expected " +
               attn::shape_str(expected_.shape());
        return false;
    }
    const attn::Difference d = attn::largest_difference(actual, expected_);
    const double worst = d.largest;
    const std::size_t at = d.at;
    if (worst <= tol_) return true;
    std::ostringstream s;
    s << "largest difference " << worst << " > " << tol_ << " at flat index " << at << ": got "
      << actual.flat(at) << ", expected " << expected_.flat(at);
    why_ = s.str();
    return false;
}

std::string NearMatcher::describe() const {
    return "is within " + std::to_string(tol_) + " of the expected array (" + why_ + ")";
}

std::string first_difference(const std::string& expected, const std::string& actual) {
    std::istringstream e(expected), a(actual);
    std::string le, la;
    for (int line = 1;; ++line) {
        const bool he = static_cast<bool>(std::getline(e, le));
        const bool ha = static_cast<bool>(std::getline(a, la));
        if (!he && !ha) return "";
        if (he != ha || le != la) {
            return "line " + std::to_string(line) + ":\n  expected: " + (he ? le : "<end>") +
                   "\n  actual:   " + (ha ? la : "<end>");
        }
    }
}

std::size_t line_count(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += (c == '\n');
    return n + (!text.empty() && text.back() != '\n');
}

}  // namespace wbtest

std::string Catch::StringMaker<xt::xarray<double>>::convert(const xt::xarray<double>& a) {
    if (a.dimension() == 2 && a.size() <= 64) return "\n" + attn::format_matrix(a) + "\n";
    return "array of shape " + attn::shape_str(a.shape());
}

namespace wbtest {

void check_dump_replayed(const TempDir& dump, const std::vector<std::string>& files) {
    for (const std::string& f : files) {
        INFO("the dump's " << f);
        CHECK(fs::exists(dump / f));
    }
    const xt::xarray<double> w = attn::load_npy(dump / "layer0/weights.npy").data;
    TempDir replay("replay_by_ch11");
    const Run r = run_chapter("11_multihead_attention",
                              {"--load", dump / "layer0", "--dump", replay.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK_THAT(attn::load_npy(replay / "weights.npy").data, Near(w, 1e-12));
}

void check_recorded_output(const std::string& slug) {
    const Run r = run_chapter(slug);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    const std::string diff =
            first_difference(source_file("chapters/" + slug + "/expected.txt"), r.out);
    INFO("the output differs from chapters/" << slug << "/expected.txt at " << diff);
    CHECK(diff.empty());
}

void check_bad_input(const std::string& slug, const std::vector<std::string>& args,
                     const std::vector<std::string>& mentions) {
    const Run r = run_chapter(slug, args);
    INFO("stderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.rfind(slug + ": error: ", 0) == 0);
    for (const auto& m : mentions) {
        INFO("should mention: " << m);
        CHECK(r.err.find(m) != std::string::npos);
    }
}

}  // namespace wbtest

namespace wbtest {

void check_dump_matches(const std::string& slug, const std::string& fixture_dir,
                        const std::vector<std::string>& names, double tol) {
    std::string tmp_name = slug + "_" + fixture_dir;
    for (char& c : tmp_name) c = (c == '/') ? '_' : c;
    TempDir out(tmp_name);
    const Run r = run_chapter(slug, {"--load", fixture_path(fixture_dir), "--dump", out.path()});
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    for (const auto& name : names) {
        INFO("dumped " << name << ".npy vs fixture " << fixture_dir << "/" << name << ".npy");
        CHECK_THAT(attn::load_npy(out / (name + ".npy")).data,
                   Near(fixture(fixture_dir + "/" + name + ".npy"), tol));
    }
}

void write_plain_module(const TempDir& dir, std::size_t E) {
    attn::dump_npy(dir / "in_proj_weight.npy", xt::zeros<double>({3 * E, E}));
    attn::dump_npy(dir / "out_proj.weight.npy", xt::eye<double>(E));
}

void check_against_torch(const std::string& dumped, const std::string& fixture_case,
                         const std::string& name) {
    INFO(fixture_case << ": " << name);
    const auto ours = attn::load_npy(dumped).data;
    CHECK_THAT(ours,
               Near(fixture("multihead_attention/" + fixture_case + "/" + name + "64.npy"), 1e-9));
    const auto torch32 = fixture("multihead_attention/" + fixture_case + "/" + name + ".npy");
    double largest = 1.0;
    for (double x : torch32) largest = std::isfinite(x) ? std::max(largest, std::abs(x)) : largest;
    CHECK_THAT(ours, Near(torch32, 1e-5 * largest));
}

}  // namespace wbtest
