// Timing for chapter 18's `--time` and for the benchmark (see timing.hpp).
#include "workbook/timing.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include <xtensor-blas/xlinalg.hpp>  // declares cblas_sgemm (xflens's copy of cblas.h)

#include "attention/efficient.hpp"

namespace attn {

double median_ms(const std::function<void()>& f, std::size_t repeats, std::size_t warmups) {
    for (std::size_t i = 0; i < warmups; ++i) f();
    std::vector<double> ms;
    for (std::size_t i = 0; i < std::max<std::size_t>(1, repeats); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        ms.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count());
    }
    std::sort(ms.begin(), ms.end());
    const std::size_t n = ms.size();
    return n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
}

double sgemm_gflops(std::size_t n, std::size_t repeats) {
    fast_threads();  // applies the thread count to OpenBLAS
    std::vector<float> A(n * n), B(n * n), C(n * n);
    for (std::size_t i = 0; i < n * n; ++i) {
        A[i] = static_cast<float>(i % 7) * 0.25f;
        B[i] = static_cast<float>(i % 5) * 0.5f;
    }
    const int N = static_cast<int>(n);
    const double ms = median_ms(
            [&] {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1.0f, A.data(), N,
                            B.data(), N, 0.0f, C.data(), N);
            },
            repeats);
    return 2.0 * static_cast<double>(n) * n * n / (ms * 1e6);
}

}  // namespace attn
