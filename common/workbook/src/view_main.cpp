// `./workbook view DIR`: checks the dump in DIR and writes DIR/explorer.html, the attention
// explorer (workbook/explorer.hpp); prints the page's path. Opens nothing by itself.
// Bad input: one line on stderr and exit status 2, and no page written.
#include <filesystem>
#include <iostream>

#include "workbook/errors.hpp"
#include "workbook/explorer.hpp"

int main(int argc, char** argv) {
    const std::string usage = "usage: ./workbook view DIR   (DIR: a folder written by --dump DIR)";
    if (argc != 2 || std::string(argv[1]).empty() || argv[1][0] == '-') {
        const bool help =
                argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h");
        (help ? std::cout : std::cerr) << usage << "\n";
        return help ? 0 : 2;
    }
    const std::string dir = argv[1];
    try {
        const attn::explorer::Dump dump = attn::explorer::read_dump(dir);
        const std::string page = dir + "/explorer.html";
        attn::explorer::write_atomically(page, attn::explorer::explorer_page(dump));
        std::cout << std::filesystem::absolute(page).lexically_normal().string() << "\n";
        return 0;
    } catch (const attn::InputError& e) {
        std::cerr << "workbook view: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "workbook view: " << dir << ": " << e.what() << "\n";
        return 2;
    }
}
