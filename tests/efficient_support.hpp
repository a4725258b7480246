// What the tests of chapter 18's methods share (test_ch18.cpp, test_ch18_backward.cpp).
#pragma once

#include <cstddef>
#include <sstream>
#include <string>

#include <attention/efficient.hpp>

namespace wbtest {

// One test shape: L queries, S keys, width E, H heads, the tiled method's tiles.
struct Shape {
    std::size_t L, S, E, H, block_q, block_k;
    bool bias;
};

inline std::string describe(const Shape& s) {
    std::ostringstream o;
    o << "L=" << s.L << " S=" << s.S << " E=" << s.E << " H=" << s.H << " tiles " << s.block_q
      << "x" << s.block_k << (s.bias ? "" : " no bias");
    return o.str();
}

// Sets the threads for one scope, then back to 1.
struct Threads {
    explicit Threads(std::size_t n) { attn::set_fast_threads(n); }
    ~Threads() { attn::set_fast_threads(1); }
};

}  // namespace wbtest
