// Heatmaps: the terminal shades and colours, the SVG images, and the chapters' --svg,
// --no-color and --color.
#include "support.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

#include <workbook/heatmap.hpp>
#include <workbook/npy.hpp>

using attn::Matrix;
using attn::Tensor3;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + what.size()))
        ++n;
    return n;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Runs a shell command; its stdout.
std::string shell_output(const std::string& command) {
    const std::string file =
            std::string(WORKBOOK_BINARY_DIR) + "/test-tmp/shell." + std::to_string(::getpid());
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    const int status = std::system((command + " >'" + file + "' 2>&1 </dev/null").c_str());
    std::string out = read_file(file);
    std::filesystem::remove(file);
    INFO("command: " << command << "\noutput: " << out);
    CHECK(status == 0);
    return out;
}

const std::string kEsc = "\033[";

}  // namespace

TEST_CASE("heatmap: the XML check used below finds broken documents", "[common][heatmap]") {
    CHECK(wbtest::xml_problem(
                  "<svg a=\"1\"><g><rect x=\"0\"/></g><text>a &amp; b &#39;</text></svg>\n")
                  .empty());
    CHECK_FALSE(wbtest::xml_problem("<svg><g></svg>").empty());
    CHECK_FALSE(wbtest::xml_problem("<svg><rect x=1/></svg>").empty());
    CHECK_FALSE(wbtest::xml_problem("<svg><text>cats & dogs</text></svg>").empty());
    CHECK_FALSE(wbtest::xml_problem("<svg><text><pad></text></svg>").empty());
    CHECK_FALSE(wbtest::xml_problem("<svg></svg><svg></svg>").empty());
    CHECK_FALSE(wbtest::xml_problem("<svg>").empty());
}

TEST_CASE("heatmap: shades run from lightest at 0 to darkest at 1", "[common][heatmap]") {
    CHECK(attn::shade(0.0) == " ");   // exactly 0: no attention at all (e.g. masked)
    CHECK(attn::shade(0.01) == "·");  // a little
    CHECK(attn::shade(0.124) == "·");
    CHECK(attn::shade(0.126) == "░");
    CHECK(attn::shade(0.25) == "░");
    CHECK(attn::shade(0.5) == "▒");
    CHECK(attn::shade(0.75) == "▓");
    CHECK(attn::shade(0.9) == "█");
    CHECK(attn::shade(1.0) == "█");
    CHECK(attn::shade(1.5) == "█");  // clamped
    CHECK(attn::shade(-0.5) == " ");
    CHECK(attn::shade(NAN) == "?");
    const std::vector<std::string> order = {" ", "·", "░", "▒", "▓", "█"};
    std::size_t previous = 0;
    for (int k = 0; k <= 100; ++k) {
        const std::string s = attn::shade(k / 100.0);
        const std::size_t at = std::find(order.begin(), order.end(), s) - order.begin();
        INFO("weight " << k / 100.0 << " gives '" << s << "'");
        REQUIRE(at < order.size());
        CHECK(at >= previous);
        previous = at;
    }
    // On a terminal: light to dark red, and no colour at all for exactly 0 or NaN.
    CHECK(attn::shade_colour(0.0) == -1);
    CHECK(attn::shade_colour(NAN) == -1);
    CHECK(attn::shade_colour(1e-9) == 231);
    CHECK(attn::shade_colour(1.0) == 88);
    // In the images: ColorBrewer's Reds, its ends exactly.
    CHECK(attn::weight_colour(0.0) == "#fff5f0");
    CHECK(attn::weight_colour(1.0) == "#67000d");
    CHECK(attn::weight_colour(0.5) == "#fb6a4a");
    CHECK(attn::weight_colour(NAN) == "#d9d9d9");
}

TEST_CASE("heatmap: the labels on both axes, a row per query", "[common][heatmap]") {
    const Matrix w = {{1.0, 0.0, 0.5}, {0.25, 0.75, 0.01}};
    CHECK(attn::heatmap_text(w, {{"cat", "mouse"}, {"a", "b", "c"}}) ==
          "        a  b  c\n"
          "  cat   ███   ▒▒▒\n"
          "  mouse ░░░▓▓▓···\n"
          "  shades: blank = 0, · = below 0.125, ░ ≈ 0.25, ▒ ≈ 0.5, ▓ ≈ 0.75, █ ≈ 1\n");
    // Without labels: t0, t1, … on both axes.
    const auto plain = lines_of(attn::heatmap_text(w));
    REQUIRE(plain.size() == 4);
    CHECK(plain[0] == "     t0 t1 t2");
    CHECK(plain[1].rfind("  t0 ", 0) == 0);
    CHECK(plain[2].rfind("  t1 ", 0) == 0);
    // Key labels longer than a cell are written downwards, ending just above the map.
    const Matrix one = {{0.5, 0.5}};
    const auto down = lines_of(attn::heatmap_text(one, {{"The"}, {"The", "chased"}}));
    REQUIRE(down.size() == 6 + 1 + 1);
    std::string first, second;
    for (std::size_t h = 0; h < 6; ++h) {
        const std::string line = down[h] + "         ";
        first += line.substr(6, 1) == " " ? "" : line.substr(6, 1);
        second += line.substr(9, 1);
    }
    CHECK(first == "The");
    CHECK(second == "chased");
    CHECK(down[6] == "  The ▒▒▒▒▒▒");
    // A NaN row is marked, and the legend says what '?' means.
    const std::string nan = attn::heatmap_text(Matrix{{NAN, NAN}});
    CHECK(nan.find("??????") != std::string::npos);
    CHECK(nan.find("? = nan") != std::string::npos);
}

TEST_CASE("heatmap: a stack is drawn as panels side by side, wrapped", "[common][heatmap]") {
    Tensor3 t = xt::zeros<double>({std::size_t{3}, std::size_t{2}, std::size_t{2}});
    t(0, 0, 0) = t(1, 0, 1) = t(2, 1, 0) = 1.0;
    const auto wide = lines_of(attn::heatmap_text(t, {{"x", "y"}, {"x", "y"}}));
    REQUIRE(wide.size() >= 4);
    CHECK(wide[0] == "    head 0   head 1   head 2");
    // Row x: head 0's first cell, an empty cell, a gap of 3, an empty cell, head 1's last.
    CHECK(wide[2] == "  x ███" + std::string(3 + 3 + 3, ' ') + "███");
    CHECK(wide[3] == "  y " + std::string(6 + 3 + 6 + 3, ' ') + "███");
    // In 20 columns there is room for one panel per block.
    const std::string narrow = attn::heatmap_text(t, {}, {false, 20}, "sample");
    const auto lines = lines_of(narrow);
    CHECK(count(narrow, "sample ") == 3);
    const auto title0 = std::find_if(lines.begin(), lines.end(), [](auto& l) {
        return l.find("sample 0") != std::string::npos;
    });
    const auto title1 = std::find_if(lines.begin(), lines.end(), [](auto& l) {
        return l.find("sample 1") != std::string::npos;
    });
    REQUIRE(title1 != lines.end());
    CHECK(title1 - title0 == 5);  // titles, labels, 2 rows, a blank line
    CHECK(title1->find("sample 0") == std::string::npos);
}

TEST_CASE("heatmap: colour escapes only when colour is asked for", "[common][heatmap]") {
    const Matrix w = {{0.0, 1.0}, {0.5, 0.5}};
    const std::string plain = attn::heatmap_text(w, {}, {false, 80});
    CHECK(plain.find('\033') == std::string::npos);
    const std::string coloured = attn::heatmap_text(w, {}, {true, 80});
    CHECK(coloured.find(kEsc + "48;5;88m   " + kEsc + "0m") != std::string::npos);   // 1: darkest
    CHECK(coloured.find(kEsc + "48;5;203m   " + kEsc + "0m") != std::string::npos);  // 0.5
    CHECK(coloured.find("  t0    " + kEsc) != std::string::npos);  // 0: no colour, blank
    // The decision: --no-color and --color first, then a terminal, NO_COLOR and TERM.
    CHECK_FALSE(attn::use_colour(false, nullptr, "xterm-256color", false, false));
    CHECK(attn::use_colour(true, nullptr, "xterm-256color", false, false));
    CHECK_FALSE(attn::use_colour(true, "1", "xterm-256color", false, false));
    CHECK(attn::use_colour(true, "", "xterm-256color", false, false));  // empty NO_COLOR: unset
    CHECK_FALSE(attn::use_colour(true, nullptr, "dumb", false, false));
    CHECK_FALSE(attn::use_colour(true, nullptr, "xterm", true, false));
    CHECK(attn::use_colour(false, "1", nullptr, false, true));
    CHECK_FALSE(attn::use_colour(true, nullptr, "xterm", true, true));
}

TEST_CASE("heatmap: the SVG is well-formed, one rect per cell, labels and a scale",
          "[common][heatmap]") {
    const Matrix w = {{0.4223, 0.1554, 0.4223}, {0.0, 1.0, 0.0}};
    const std::string svg =
            attn::heatmap_svg(w, {{"<pad>", "cat"}, {"a", "b & c", "d"}}, "weights \"x\"");
    INFO(svg);
    CHECK(wbtest::xml_problem(svg).empty());
    CHECK(wbtest::xml_problem(svg) == "");
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(count(svg, "<rect class=\"cell\"") == 6);
    CHECK(svg.find(">&lt;pad&gt;</text>") != std::string::npos);  // labels, escaped
    CHECK(svg.find(">cat</text>") != std::string::npos);
    CHECK(svg.find(">b &amp; c</text>") != std::string::npos);
    CHECK(svg.find("weights &quot;x&quot;") != std::string::npos);
    CHECK(svg.find(">0.42</text>") != std::string::npos);  // values in small maps
    CHECK(svg.find(">1.00</text>") != std::string::npos);
    CHECK(svg.find("fill=\"#67000d\"") != std::string::npos);  // 1: darkest
    for (const char* tick :
         {">0</text>", ">0.25</text>", ">0.50</text>", ">0.75</text>", ">1</text>"}) {
        INFO("scale tick " << tick);
        CHECK(svg.find(tick) != std::string::npos);
    }
    CHECK(count(svg, "<linearGradient") == 1);

    // A stack: a panel per head; a large map: no values in the cells, every cell still drawn.
    Tensor3 heads = xt::zeros<double>({std::size_t{3}, std::size_t{2}, std::size_t{4}}) + 0.25;
    const std::string stack = attn::heatmap_svg(heads, {}, "heads");
    CHECK(wbtest::xml_problem(stack).empty());
    CHECK(count(stack, "<rect class=\"cell\"") == 24);
    CHECK(count(stack, "<g class=\"panel\">") == 3);
    CHECK(stack.find(">head 2</text>") != std::string::npos);
    const Matrix big = xt::zeros<double>({std::size_t{20}, std::size_t{30}}) + 1.0 / 30;
    const std::string large = attn::heatmap_svg(big, {}, "big");
    CHECK(wbtest::xml_problem(large).empty());
    CHECK(count(large, "<rect class=\"cell\"") == 600);
    CHECK(large.find(">0.03</text>") == std::string::npos);
    CHECK(attn::heatmap_svg(Matrix{{NAN, NAN}}, {}, "masked").find("grey: nan") !=
          std::string::npos);
}

TEST_CASE("heatmap: the line plot is well-formed with a line and points per series",
          "[common][heatmap]") {
    attn::LinePlot plot{"max weight",
                        "d_k",
                        "weight",
                        {4, 16, 64},
                        {{"raw", {0.4, 0.7, 0.9}}, {"scaled", {0.2, 0.25, 0.25}}}};
    plot.reference = {{1.0 / 16, "1/16"}};
    const std::string svg = attn::line_plot_svg(plot);
    INFO(svg);
    CHECK(wbtest::xml_problem(svg).empty());
    CHECK(count(svg, "<polyline class=\"series\"") == 2);
    CHECK(count(svg, "<circle class=\"point\"") == 6);
    CHECK(count(svg, "class=\"reference\"") == 1);
    for (const char* text :
         {">raw</text>", ">scaled</text>", ">64</text>", ">0.90</text>", ">d_k</text>"}) {
        INFO(text);
        CHECK(svg.find(text) != std::string::npos);
    }
}

TEST_CASE("heatmap: --svg DIR writes a chapter's maps", "[common][heatmap][ch12]") {
    wbtest::TempDir dir("svg_ch12");
    const auto r = wbtest::run_chapter("12_self_vs_multihead", {"--svg", dir.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("(--svg: 2 images written to " + dir.path() + ")") != std::string::npos);
    const std::string heads = read_file(dir / "weights_heads.svg");
    INFO(heads);
    CHECK(wbtest::xml_problem(heads).empty());
    CHECK(count(heads, "<rect class=\"cell\"") == 3 * 5 * 5);
    CHECK(heads.find(">head 2</text>") != std::string::npos);
    CHECK(heads.find(">chased</text>") != std::string::npos);
    CHECK(heads.find(">0.96</text>") != std::string::npos);
    CHECK(wbtest::xml_problem(read_file(dir / "weights_one_head.svg")).empty());
    // Otherwise the output is the recorded one.
    const std::string expected = wbtest::source_file("chapters/12_self_vs_multihead/expected.txt");
    CHECK(r.out.substr(0, expected.size()) == expected);

    // Chapter 03 plots its table; chapter 01 draws nothing and says so.
    wbtest::TempDir plot("svg_ch03");
    REQUIRE(wbtest::run_chapter("03_scaling", {"--svg", plot.path()}).status == 0);
    const std::string scaling = read_file(plot / "max_weight_vs_dk.svg");
    CHECK(wbtest::xml_problem(scaling).empty());
    CHECK(count(scaling, "<circle class=\"point\"") == 10);
    wbtest::TempDir none("svg_ch01");
    const auto r01 = wbtest::run_chapter("01_tokens", {"--svg", none.path()});
    CHECK(r01.status == 0);
    CHECK(r01.out.find("this chapter draws no heatmaps") != std::string::npos);
    CHECK(std::filesystem::is_empty(none.path()));
}

TEST_CASE("heatmap: --svg with your own weights draws every head of every sample",
          "[common][heatmap][ch11]") {
    wbtest::TempDir dir("svg_ch11");
    const std::string fixture = wbtest::fixture_path("multihead_attention/padding");
    const auto r =
            wbtest::run_chapter("11_multihead_attention", {"--load", fixture, "--svg", dir.path()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto weights = attn::load_npy(fixture + "/weights.npy").data;  // PyTorch's (B, H, L, S)
    REQUIRE(weights.dimension() == 4);
    const std::size_t B = weights.shape(0), H = weights.shape(1),
                      cells = weights.shape(2) * weights.shape(3);
    for (std::size_t b = 0; b < B; ++b) {
        const std::string svg = read_file(dir / ("weights_" + std::to_string(b) + ".svg"));
        INFO("weights_" << b << ".svg");
        CHECK(wbtest::xml_problem(svg).empty());
        CHECK(count(svg, "<rect class=\"cell\"") == H * cells);
        CHECK(count(svg, "<g class=\"panel\">") == H);
    }
    CHECK(count(read_file(dir / "weights_mean.svg"), "<rect class=\"cell\"") == B * cells);
    wbtest::write_bytes(dir / "a_file", "x");
    wbtest::check_bad_input("06_self_attention", {"--svg", dir / "a_file"}, {"--svg", "a_file"});
}

TEST_CASE("heatmap: chapter 12 draws three different heads side by side", "[heatmap][ch12]") {
    const auto r = wbtest::run_chapter("12_self_vs_multihead");
    REQUIRE(r.status == 0);
    const auto lines = lines_of(r.out);
    const auto start = std::find_if(lines.begin(), lines.end(), [](auto& l) {
        return l.find("heatmaps of weights_heads, one per head") != std::string::npos;
    });
    REQUIRE(start != lines.end());
    CHECK(start[1] == "         head 0            head 1            head 2");
    std::vector<std::string> panels(3);
    for (const char* word : {"The", "cat", "chased", "the", "mouse"}) {
        const auto row = std::find_if(start, lines.end(), [&](auto& l) {
            return l.rfind("  " + std::string(word) + " ", 0) == 0;
        });
        REQUIRE(row != lines.end());
        std::istringstream cells(row->substr(9));  // after the row label: three panels
        std::string panel;
        for (std::size_t h = 0; h < 3 && cells >> panel; ++h) panels[h] += panel + "|";
    }
    INFO(panels[0] << "\n" << panels[1] << "\n" << panels[2]);
    CHECK(std::set<std::string>(panels.begin(), panels.end()).size() == 3);
    CHECK(panels[0].find("············███") != std::string::npos);  // head 0: cat -> mouse
}

TEST_CASE("heatmap: chapters colour only with --color, or on a terminal without NO_COLOR",
          "[common][heatmap]") {
    const auto plain = wbtest::run_chapter("06_self_attention");
    CHECK(plain.out.find('\033') == std::string::npos);  // not a terminal: shades
    CHECK(plain.out.find("▓▓▓") != std::string::npos);
    // The docs' main page quotes this map from the recorded output (\dontinclude … \skip).
    CHECK(plain.out.find(
                  "\n  heatmap of weights (rows: queries, columns: keys)\n     t0 t1 t2\n") !=
          std::string::npos);
    const auto forced = wbtest::run_chapter("06_self_attention", {"--color"});
    CHECK(forced.out.find(kEsc + "48;5;") != std::string::npos);
    const auto both = wbtest::run_chapter("06_self_attention", {"--color", "--no-color"});
    CHECK(both.out.find('\033') == std::string::npos);
    CHECK(both.out == plain.out);

    // On a real terminal (a pseudo-terminal from util-linux's `script`).
    if (!std::filesystem::exists("/usr/bin/script")) {
        WARN("/usr/bin/script is missing: the terminal half of this test is skipped");
        return;
    }
    const std::string bin = wbtest::chapter_path("06_self_attention");
    auto on_terminal = [&](const std::string& env, const std::string& args) {
        return shell_output("env -u NO_COLOR TERM=xterm-256color " + env +
                            " /usr/bin/script -qec '" + bin + args + "' /dev/null");
    };
    CHECK(on_terminal("", "").find(kEsc + "48;5;") != std::string::npos);
    CHECK(on_terminal("NO_COLOR=1", "").find(kEsc) == std::string::npos);
    CHECK(on_terminal("", " --no-color").find(kEsc) == std::string::npos);
    CHECK(on_terminal("TERM=dumb", "").find(kEsc) == std::string::npos);
    CHECK(on_terminal("NO_COLOR=", "").find(kEsc + "48;5;") != std::string::npos);
}
