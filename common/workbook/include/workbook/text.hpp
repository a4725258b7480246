/// \file text.hpp
/// \brief Text for a terminal: UTF-8 characters, their width on screen, word wrapping.
/// One home for these: the chapters' paragraphs, the heatmaps' labels and the exercise
/// checker's reports all wrap and measure text with these functions.
#pragma once

#include <string>
#include <vector>

namespace attn {

/// The UTF-8 characters of s, one string each ("√d" → {"√", "d"}).
std::vector<std::string> utf8_characters(const std::string& s);

/// The columns s takes on a terminal: one per character (code point), however many bytes.
std::size_t display_width(const std::string& s);

/// The words of text, split at spaces (runs of spaces count as one).
std::vector<std::string> split_words(const std::string& text);

/// Lays out pieces (words, or longer pieces that must not break) on lines at most `width`
/// columns wide, one space between pieces: the first line starts with `first`, every other
/// with `rest`. A piece wider than a line gets a line of its own.
std::vector<std::string> wrap_pieces(const std::vector<std::string>& pieces, std::size_t width,
                                     const std::string& first = "", const std::string& rest = "");

}  // namespace attn
