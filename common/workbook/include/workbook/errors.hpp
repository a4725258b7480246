/// \file errors.hpp
/// \brief The one error a user's input can cause.
#pragma once

#include <stdexcept>

namespace attn {

/// Bad input from the user: a missing or malformed file, a shape that does not fit,
/// heads that do not divide the width, a NaN. Chapters print its message on one line
/// and exit with status 2.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace attn
