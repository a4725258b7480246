// What every chapter program shares (see chapter.hpp).
#include "workbook/chapter.hpp"
#include "workbook/errors.hpp"
#include "workbook/explorer.hpp"
#include "workbook/inputs.hpp"
#include "workbook/manifest.hpp"
#include "workbook/text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <unistd.h>

namespace attn {

const ManifestRow& manifest_row(const std::string& slug) {
    for (const ManifestRow& row : manifest()) {
        if (row.slug == slug) return row;
    }
    throw std::logic_error("chapter " + slug + " is not in chapters/manifest.tsv");
}

namespace {

// Thrown by the parser for --help; run_chapter prints the usage and exits 0.
struct HelpRequested {};

// One line of text wrapped at `width` columns, each output line starting with `indent`.
std::string wrap(const std::string& line, std::size_t width, const std::string& indent = "") {
    std::string out;
    for (const std::string& l : wrap_pieces(split_words(line), width, indent, indent))
        out += l + "\n";
    return out;
}

std::string usage(const ChapterInfo& info) {
    std::ostringstream u;
    u << "usage: " << info.slug << " [options]\n\n"
      << manifest_row(info.slug).title << "\n\noptions:\n";
    if (!info.load_help.empty()) {
        u << "  --load DIR   read the inputs from .npy files in DIR (float32 or float64):\n"
          << wrap(info.load_help, 90, std::string(15, ' '));
    }
    u << "  --dump DIR   write every matrix the chapter prints as DIR/<name>.npy\n"
      << "  --svg DIR    write every heatmap the chapter draws as DIR/<name>.svg\n"
      << "  --no-color   draw the heatmaps with shade characters, never colours (as NO_COLOR=1)\n"
      << "  --color      colour the heatmaps even when stdout is not a terminal\n";
    for (const Option& o : info.options) {
        const std::string lhs = o.flag + (o.metavar.empty() ? "" : " " + o.metavar);
        if (lhs.size() < 12)  // the description in the column the others use
            u << "  " << lhs << std::string(13 - lhs.size(), ' ') << o.help << "\n";
        else  // too long for that column: the description on the next line, indented as --load's
            u << "  " << lhs << "\n" << std::string(15, ' ') << o.help << "\n";
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
        if (arg == "--no-color" || arg == "--color") {
            options_[arg] = "";
            continue;
        }
        const bool io =
                (arg == "--load" && !info_.load_help.empty()) || arg == "--dump" || arg == "--svg";
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
        if (io && value.empty()) {
            throw InputError("option " + arg + " needs a folder, got an empty string (try --help)");
        }
        if (arg == "--load")
            load_dir_ = value;
        else if (arg == "--dump")
            dump_dir_ = value;
        else if (arg == "--svg")
            svg_dir_ = value;
        else
            options_[arg] = value;
    }
    colour_ = use_colour(&out == &std::cout && ::isatty(STDOUT_FILENO), std::getenv("NO_COLOR"),
                         std::getenv("TERM"), flag("--no-color"), flag("--color"));
    if (loading()) {
        std::error_code ec;
        const auto type = std::filesystem::status(load_dir_, ec).type();
        if (type == std::filesystem::file_type::not_found) {
            throw InputError("--load " + load_dir_ + ": no such directory");
        }
        if (ec) throw InputError("--load " + load_dir_ + ": cannot be read (" + ec.message() + ")");
        if (type != std::filesystem::file_type::directory) {
            throw InputError("--load " + load_dir_ +
                             ": is not a directory (give the folder that holds the .npy files)");
        }
    }
    if (!dump_dir_.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dump_dir_, ec);
        if (ec) throw InputError("--dump " + dump_dir_ + ": cannot create (" + ec.message() + ")");
        if (loading() && std::filesystem::equivalent(load_dir_, dump_dir_, ec)) {
            throw InputError("--dump " + dump_dir_ +
                             ": is the --load folder; the dump would overwrite "
                             "the inputs (give another folder)");
        }
    }
    if (!svg_dir_.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(svg_dir_, ec);
        if (ec) throw InputError("--svg " + svg_dir_ + ": cannot create (" + ec.message() + ")");
    }
}

void Chapter::title() {
    const std::string line =
            "Chapter " + info_.slug.substr(0, 2) + " — " + manifest_row(info_.slug).title;
    out_ << line << "\n" << std::string(60, '=') << "\n\n";
}

void Chapter::step(const std::string& heading) {
    if (!stepped_) check_options_used();
    stepped_ = true;
    out_ << "-- Step " << heading << " "
         << std::string(heading.size() < 48 ? 48 - heading.size() : 2, '-') << "\n\n";
}

void Chapter::say(const std::string& text) {
    // Wrap at 80 columns; a blank line ends the paragraph. "\n" in text starts a new line.
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) out_ << wrap(line, 80);
    out_ << "\n";
}

void Chapter::check_options_used() const {
    for (const Option& o : info_.options) {
        const auto it = options_.find(o.flag);
        if (o.metavar.empty() || it == options_.end() || queried_.count(o.flag)) continue;
        throw InputError(
                o.flag + " " + it->second + " has no effect here" +
                (loading() ? std::string() : " without --load (the built-in example is fixed)"));
    }
}

void Chapter::dump(const std::string& name, const xt::xarray<double>& a) {
    if (!dumping_ || dump_dir_.empty()) return;
    const std::string path = dump_dir_ + "/" + name + ".npy";
    if (loading()) {  // never replace a file the chapter may have read
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(load_dir_, ec)) {
            std::error_code same;
            if (std::filesystem::equivalent(entry.path(), path, same)) {
                throw InputError(path + ": is " + entry.path().string() +
                                 ", an input of --load; the dump will not overwrite it (give "
                                 "another --dump folder)");
            }
        }
    }
    dump_npy(path, a);
}

void Chapter::dump_lines(const std::string& file, const std::vector<std::string>& lines) {
    if (!dumping_ || dump_dir_.empty()) return;
    std::string text;
    for (const std::string& line : lines) text += line + "\n";
    explorer::write_atomically(dump_dir_ + "/" + file, text);
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

void Chapter::show_weights(const std::string& name, const Matrix& w, const Labels& labels,
                           const std::string& caption) {
    show(name, w, labels, caption);
    draw_heatmap(name, as_stack(w), labels, caption, "", false);
}

void Chapter::show_weights(const std::string& name, const Tensor3& w, const Labels& labels,
                           const std::string& caption, const std::string& panel) {
    show(name, w, labels, caption);
    draw_heatmap(name, w, labels, caption, panel, false);
}

void Chapter::heatmap(const std::string& name, const Matrix& w, const Labels& labels,
                      const std::string& caption) {
    draw_heatmap(name, as_stack(w), labels, caption, "", !caption.empty());
}

void Chapter::heatmap(const std::string& name, const Tensor3& w, const Labels& labels,
                      const std::string& caption, const std::string& panel) {
    draw_heatmap(name, w, labels, caption, panel, !caption.empty());
}

void Chapter::draw_heatmap(const std::string& name, const Tensor3& w, const Labels& labels,
                           const std::string& caption, const std::string& panel, bool title_line) {
    const bool single = panel.empty();
    const std::string shape = single ? shape_str(std::vector<std::size_t>{w.shape(1), w.shape(2)})
                                     : shape_str(w.shape());
    if (title_line) out_ << name << "  " << shape << "  " << caption << "\n";
    out_ << "  heatmap" << (single ? "" : "s") << " of " << name
         << (single ? "" : ", one per " + panel) << " (rows: queries, columns: keys)\n";
    out_ << heatmap_text(w, labels, HeatmapStyle{colour_, 80}, panel) << "\n";
    if (!writing_svg()) return;
    const std::string title = name + " " + shape + (caption.empty() ? "" : " — " + caption);
    write_svg(name, heatmap_svg(w, labels, title, panel));
}

void Chapter::write_svg(const std::string& name, const std::string& svg) {
    if (svg_dir_.empty()) return;
    std::string file;
    for (char c : name)
        file += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
    while (!file.empty() && file.back() == '_') file.pop_back();
    const std::string path = (std::filesystem::path(svg_dir_) / (file + ".svg")).string();
    std::ofstream f(path, std::ios::binary);
    f << svg;
    if (!f) throw InputError("--svg " + svg_dir_ + ": cannot write " + path);
    ++svg_written_;
}

std::string Chapter::load_path(const std::string& file) const {
    return (std::filesystem::path(load_dir_) / file).string();
}

bool Chapter::has_file(const std::string& file) const {
    return loading() && file_present(load_path(file));
}

namespace {

// The labels in DIR/file, one a line, checked to be n; nullopt when there is no such file.
std::optional<std::vector<std::string>> label_file(const std::string& path, std::size_t n,
                                                   const std::string& what) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::vector<std::string> labels;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        labels.push_back(line);
    }
    if (labels.size() != n)
        throw InputError(path + ": " + std::to_string(labels.size()) + " labels, but " + what +
                         " has " + std::to_string(n) + " tokens; write one label per line");
    return labels;
}

}  // namespace

std::vector<std::string> Chapter::token_labels(std::size_t n) const {
    if (loading())
        if (auto labels = label_file(load_path("tokens.txt"), n, "query.npy")) return *labels;
    return attn::token_labels(n);
}

std::vector<std::string> Chapter::key_labels(std::size_t S) const {
    if (loading()) {
        if (auto labels = label_file(load_path("key_tokens.txt"), S, "key.npy")) return *labels;
        if (!std::filesystem::exists(load_path("key.npy"))) return token_labels(S);
    }
    return attn::token_labels(S);
}

Labels Chapter::weight_labels(std::size_t L, std::size_t S) const {
    // No label file: the default labels, so that the matrices print as they always have.
    if (!loading() || (!std::filesystem::exists(load_path("tokens.txt")) &&
                       !std::filesystem::exists(load_path("key_tokens.txt"))))
        return {};
    return {token_labels(L), key_labels(S)};
}

Matrix Chapter::load_matrix(const std::string& file, const std::string& what) const {
    return load_npy_matrix(load_path(file), what);
}

std::optional<std::string> Chapter::option(const std::string& flag) const {
    queried_.insert(flag);
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

double Chapter::option_number(const std::string& flag, double fallback) const {
    const auto value = option(flag);
    if (!value) return fallback;
    std::size_t used = 0;
    double x = -1.0;
    try {
        x = std::stod(*value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != value->size() || !std::isfinite(x) || x < 0.0) {
        throw InputError(flag + " " + *value + ": expected a number, 0 or more");
    }
    return x;
}

int run_chapter(const ChapterInfo& info, int argc, char** argv,
                const std::function<void(Chapter&)>& body) {
    try {
        Chapter chapter(info, argc, argv, std::cout);
        body(chapter);
        chapter.check_options_used();
        if (chapter.writing_svg() && chapter.svg_written() == 0) {
            std::cout << "(--svg: this chapter draws no heatmaps; " << chapter.svg_dir()
                      << " stays empty)\n";
        } else if (chapter.writing_svg()) {
            std::cout << "(--svg: " << chapter.svg_written() << " image"
                      << (chapter.svg_written() == 1 ? "" : "s") << " written to "
                      << chapter.svg_dir() << ")\n";
        }
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
