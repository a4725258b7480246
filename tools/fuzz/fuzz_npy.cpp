// libFuzzer harness for the .npy reader (workbook/npy.cpp): every input must either load
// or throw InputError; a crash, a sanitizer report, a leak or an allocation far beyond the
// file's size is a bug. Built and run by `./workbook fuzz [SECONDS]`.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

#include "workbook/errors.hpp"
#include "workbook/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // load_npy reads a path: the input goes to a file of this process's own.
    static const std::string path = "/tmp/fuzz_npy." + std::to_string(::getpid()) + ".npy";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 0;
    if (size != 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        const attn::NpyArray a = attn::load_npy(path);
        (void)a.data.size();
    } catch (const attn::InputError&) {
        // a clear refusal: what the reader must do with a broken file
    }
    return 0;
}
