// Text for a terminal (see text.hpp).
#include "workbook/text.hpp"

namespace attn {

namespace {
// A byte 10xxxxxx continues a UTF-8 character; every other byte starts one.
bool continues(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}
}  // namespace

std::vector<std::string> utf8_characters(const std::string& s) {
    std::vector<std::string> out;
    for (char c : s) {
        if (continues(c) && !out.empty())
            out.back() += c;
        else
            out.emplace_back(1, c);
    }
    return out;
}

std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += !continues(c);
    return n;
}

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string::npos) end = text.size();
        if (end > pos) words.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return words;
}

std::vector<std::string> wrap_pieces(const std::vector<std::string>& pieces, std::size_t width,
                                     const std::string& first, const std::string& rest) {
    std::vector<std::string> lines;
    std::string line = first;
    bool empty = true;  // no piece on this line yet
    for (const std::string& piece : pieces) {
        if (!empty && display_width(line) + 1 + display_width(piece) > width) {
            lines.push_back(line);
            line = rest;
            empty = true;
        }
        line += (empty ? "" : " ") + piece;
        empty = false;
    }
    lines.push_back(line);
    return lines;
}

}  // namespace attn
