/// \file chapter.hpp
/// \brief What every chapter program shares: its options, its printing, `--load`, `--dump`,
/// and the heatmaps (`--svg`, `--no-color`).
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "attention/types.hpp"
#include "workbook/compare.hpp"
#include "workbook/errors.hpp"
#include "workbook/heatmap.hpp"
#include "workbook/npy.hpp"
#include "workbook/show.hpp"

namespace attn {

/// A command-line option a chapter takes besides the ones every chapter has (`--load`,
/// `--dump`, `--svg`, `--no-color`, `--color`, `--help`).
struct Option {
    std::string flag;     ///< e.g. "--heads"
    std::string metavar;  ///< e.g. "H"; empty for a switch that takes no value
    std::string help;     ///< one line for `--help`
};

/// What a chapter says about itself: its slug and the files `--load` reads. (Its title is
/// its row of chapters/manifest.tsv: see manifest.hpp.)
struct ChapterInfo {
    std::string slug;               ///< e.g. "06_self_attention"
    std::string load_help;          ///< the files `--load DIR` reads; empty = no `--load`
                                    ///< (`--dump DIR` is always there)
    std::vector<Option> options{};  ///< extra options
};

/// The running chapter: parsed options, and the printer that also dumps.
class Chapter {
public:
    /// Parses argv. Throws InputError on an unknown option or a missing value.
    Chapter(const ChapterInfo& info, int argc, char** argv, std::ostream& out);

    /// Prints the chapter's title banner.
    void title();
    /// Prints a step heading, e.g. step("1) scores").
    void step(const std::string& heading);
    /// Prints a paragraph of explanation, wrapped at 80 columns.
    void say(const std::string& text);
    /// Prints a matrix with its name and shape; with `--dump DIR` also writes DIR/name.npy.
    void show(const std::string& name, const Matrix& m, const Labels& labels = {},
              const std::string& caption = "");
    /// Prints a vector; dumps it too.
    void show(const std::string& name, const Vector& v, const std::string& caption = "");
    /// Prints a stack of matrices (e.g. one per head); dumps it as one 3-D array.
    void show(const std::string& name, const Tensor3& t, const Labels& labels = {},
              const std::string& caption = "");
    /// Writes an array to DIR/name.npy when `--dump DIR` was given (without printing it).
    void dump(const std::string& name, const xt::xarray<double>& a);
    /// Writes DIR/file, one line per entry, when `--dump DIR` was given: the token labels
    /// `./workbook view` shows (tokens.txt for the queries, key_tokens.txt for the keys).
    void dump_lines(const std::string& file, const std::vector<std::string>& lines);
    /// Turns `--dump` off (false) and on again (true): a chapter's own example, printed
    /// beside the user's `--load` data, is not written among the results of that data.
    void set_dumping(bool on) { dumping_ = on; }

    /// Prints attention weights (L, S) as show() does, then draws them as a heatmap below
    /// the numbers (heatmap.hpp: shades, or colours on a terminal); dumps them; with
    /// `--svg DIR` also writes the map as DIR/name.svg. Labels default to t0, t1, ….
    void show_weights(const std::string& name, const Matrix& w, const Labels& labels = {},
                      const std::string& caption = "");
    /// The same for a stack (n, L, S), one matrix per head (or per `panel`, e.g. "sample"):
    /// the numbers of each, then the n maps side by side; one SVG with every panel.
    void show_weights(const std::string& name, const Tensor3& w, const Labels& labels = {},
                      const std::string& caption = "", const std::string& panel = "head");
    /// Draws weights as a heatmap without printing the numbers or dumping them, under a line
    /// `name  shape  caption` when a caption is given; with `--svg DIR` writes DIR/name.svg.
    void heatmap(const std::string& name, const Matrix& w, const Labels& labels = {},
                 const std::string& caption = "");
    /// A stack (n, L, S) of heatmaps side by side, titled `<panel> 0`, `<panel> 1`, ….
    void heatmap(const std::string& name, const Tensor3& w, const Labels& labels = {},
                 const std::string& caption = "", const std::string& panel = "head");
    /// Writes an SVG image as DIR/name.svg when `--svg DIR` was given (characters other
    /// than letters, digits, '_' and '-' in name become '_').
    void write_svg(const std::string& name, const std::string& svg);
    /// True when the user passed `--svg DIR`.
    bool writing_svg() const { return !svg_dir_.empty(); }
    /// The number of images written to the `--svg` folder so far.
    std::size_t svg_written() const { return svg_written_; }
    /// The `--dump` folder ("" without `--dump`), for a chapter that writes files of its own.
    const std::string& dump_dir() const { return dump_dir_; }
    /// The `--svg` folder ("" without `--svg`).
    const std::string& svg_dir() const { return svg_dir_; }

    /// The stream the chapter prints to.
    std::ostream& out() { return out_; }
    /// True when the user passed `--load DIR`.
    bool loading() const { return !load_dir_.empty(); }
    /// Labels for n tokens (the queries): with `--load DIR` and a DIR/tokens.txt, its lines
    /// (one label per line; it must have exactly n, else InputError: one line, exit status 2);
    /// otherwise t0, t1, ….
    std::vector<std::string> token_labels(std::size_t n) const;
    /// Labels for S keys: DIR/key_tokens.txt when present (exactly S lines); else, when the
    /// keys are the queries (no DIR/key.npy), the same as token_labels(S); else t0, t1, ….
    std::vector<std::string> key_labels(std::size_t S) const;
    /// {token_labels(L), key_labels(S)}, for a map of weights (L, S), when DIR has a label
    /// file; otherwise empty (the default labels t0, t1, …).
    Labels weight_labels(std::size_t L, std::size_t S) const;
    /// DIR/file, for a file the chapter reads with `--load`.
    std::string load_path(const std::string& file) const;
    /// True when DIR/file exists.
    bool has_file(const std::string& file) const;
    /// Reads DIR/file as a 2-D float matrix (see load_npy_matrix).
    Matrix load_matrix(const std::string& file, const std::string& what = "(rows, cols)") const;

    /// The value given for an extra option, if any.
    std::optional<std::string> option(const std::string& flag) const;
    /// An extra option parsed as a positive whole number, or `fallback` when absent.
    std::size_t option_count(const std::string& flag, std::size_t fallback) const;
    /// An extra option parsed as a finite number ≥ 0, or `fallback` when absent.
    double option_number(const std::string& flag, double fallback) const;
    /// True when a switch (an option without a value) was given.
    bool flag(const std::string& flag) const { return option(flag).has_value(); }

    /// Throws InputError when an option with a value was given but the chapter never read
    /// it (e.g. `--heads 3` without `--load`): checked at the first step and at the end.
    void check_options_used() const;

private:
    // The map of w (panels titled `<panel> h`, or one untitled map when panel is empty),
    // under a `name  shape  caption` line when title_line; and its SVG.
    void draw_heatmap(const std::string& name, const Tensor3& w, const Labels& labels,
                      const std::string& caption, const std::string& panel, bool title_line);

    ChapterInfo info_;
    std::ostream& out_;
    std::string load_dir_;
    std::string dump_dir_;
    std::string svg_dir_;
    std::size_t svg_written_ = 0;
    bool dumping_ = true;
    bool colour_ = false;
    std::map<std::string, std::string> options_;
    mutable std::set<std::string> queried_;  // the options the chapter asked for
    bool stepped_ = false;
};

/// Runs a chapter's body. Returns the exit status: 0 on success, 2 on bad input
/// (one line on stderr: `<slug>: error: …`), 0 after `--help`.
int run_chapter(const ChapterInfo& info, int argc, char** argv,
                const std::function<void(Chapter&)>& body);

}  // namespace attn
