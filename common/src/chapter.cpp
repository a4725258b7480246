// What every chapter program shares (see chapter.hpp).
#include "attention/chapter.hpp"

#include <filesystem>
#include <iostream>
#include <sstream>

namespace attn {

namespace {

// Thrown by the parser for --help; run_chapter prints the usage and exits 0.
struct HelpRequested {};

std::string usage(const ChapterInfo& info) {
    std::ostringstream u;
    u << "usage: " << info.slug << " [options]\n\n" << info.title << "\n\noptions:\n";
    if (!info.load_help.empty()) {
        u << "  --load DIR   read the inputs from .npy files in DIR (float32 or float64):\n"
          << "               " << info.load_help << "\n";
    }
    u << "  --dump DIR   write every matrix the chapter prints as DIR/<name>.npy\n";
    for (const Option& o : info.options) {
        std::string lhs = o.flag + (o.metavar.empty() ? "" : " " + o.metavar);
        u << "  " << lhs << std::string(lhs.size() < 12 ? 13 - lhs.size() : 1, ' ') << o.help
          << "\n";
    }
    u << "  --help       show this text\n";
    return u.str();
}

}  // namespace

Chapter::Chapter(const ChapterInfo& info, int argc, char** argv, std::ostream& out)
    : info_(info), out_(out) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") throw HelpRequested{};
        const bool io = (arg == "--load" && !info_.load_help.empty()) || arg == "--dump";
        const Option* extra = nullptr;
        for (const Option& o : info_.options) {
            if (o.flag == arg) extra = &o;
        }
        if (!io && extra == nullptr) {
            throw InputError("unknown option '" + arg + "' (try --help)");
        }
        const bool takes_value = io || !extra->metavar.empty();
        if (!takes_value) {
            options_[arg] = "";
            continue;
        }
        if (i + 1 >= argc) throw InputError("option " + arg + " needs a value (try --help)");
        const std::string value = argv[++i];
        if (arg == "--load") load_dir_ = value;
        else if (arg == "--dump") dump_dir_ = value;
        else options_[arg] = value;
    }
    if (loading() && !std::filesystem::is_directory(load_dir_)) {
        throw InputError("--load " + load_dir_ + ": no such directory");
    }
    if (!dump_dir_.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dump_dir_, ec);
        if (ec) throw InputError("--dump " + dump_dir_ + ": cannot create (" + ec.message() + ")");
    }
}

void Chapter::title() {
    const std::string line = "Chapter " + info_.slug.substr(0, 2) + " — " + info_.title;
    out_ << line << "\n" << std::string(60, '=') << "\n\n";
}

void Chapter::step(const std::string& heading) {
    out_ << "-- Step " << heading << " " << std::string(heading.size() < 48 ? 48 - heading.size() : 2, '-')
         << "\n\n";
}

void Chapter::say(const std::string& text) {
    // Wrap at 80 columns; a blank line ends the paragraph. "\n" in text starts a new line.
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string word, current;
        while (words >> word) {
            if (!current.empty() && current.size() + 1 + word.size() > 80) {
                out_ << current << "\n";
                current.clear();
            }
            current += (current.empty() ? "" : " ") + word;
        }
        out_ << current << "\n";
    }
    out_ << "\n";
}

void Chapter::dump(const std::string& name, const xt::xarray<double>& a) {
    if (!dump_dir_.empty()) dump_npy(dump_dir_ + "/" + name + ".npy", a);
}

void Chapter::show(const std::string& name, const Matrix& m, const Labels& labels,
                   const std::string& caption) {
    attn::show(out_, name, m, labels, caption);
    dump(name, m);
}

void Chapter::show(const std::string& name, const Vector& v, const std::string& caption) {
    attn::show(out_, name, v, caption);
    dump(name, v);
}

void Chapter::show(const std::string& name, const Tensor3& t, const Labels& labels,
                   const std::string& caption) {
    attn::show(out_, name, t, labels, caption);
    dump(name, t);
}

std::string Chapter::load_path(const std::string& file) const {
    return (std::filesystem::path(load_dir_) / file).string();
}

bool Chapter::has_file(const std::string& file) const {
    return loading() && std::filesystem::exists(load_path(file));
}

Matrix Chapter::load_matrix(const std::string& file, const std::string& what) const {
    return load_npy_matrix(load_path(file), what);
}

std::optional<std::string> Chapter::option(const std::string& flag) const {
    const auto it = options_.find(flag);
    if (it == options_.end()) return std::nullopt;
    return it->second;
}

std::size_t Chapter::option_count(const std::string& flag, std::size_t fallback) const {
    const auto value = option(flag);
    if (!value) return fallback;
    std::size_t used = 0;
    unsigned long n = 0;
    try {
        n = std::stoul(*value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != value->size() || n == 0 || (*value)[0] == '-') {
        throw InputError(flag + " " + *value + ": expected a positive whole number");
    }
    return n;
}

int run_chapter(const ChapterInfo& info, int argc, char** argv,
                const std::function<void(Chapter&)>& body) {
    try {
        Chapter chapter(info, argc, argv, std::cout);
        body(chapter);
        std::cout.flush();
        return 0;
    } catch (const HelpRequested&) {
        std::cout << usage(info);
        return 0;
    } catch (const InputError& e) {
        std::cout.flush();
        std::cerr << info.slug << ": error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << info.slug << ": internal error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace attn
