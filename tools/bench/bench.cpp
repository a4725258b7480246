// The attention benchmark: `./workbook bench` (tools/bench.sh) runs it from the release build.
//
// Multi-head self-attention in float32 at (L, E, H) = (128, 256, 8), (512, 512, 8),
// (2048, 512, 8) and (8192, 512, 8), the ways of chapter 18, one thread unless --threads N:
// the forward pass ("fwd") of every method, and the forward and backward pass together
// ("fwd+bwd") of the two that have one (batched, tiled), the backward counted as twice the
// forward's flops; their gradients are checked against the float64 reference too.
// For every size: this machine's sgemm GFLOP/s measured before and after (the speed limit);
// for every method, the median time of several runs after a warm-up, GFLOP/s, % of sgemm,
// the peak extra memory (measured: resident memory's high-water mark during the warm-up
// run; and as each method accounts for its buffers) and the error against the float64
// reference. --json prints one JSON object per line instead of the table.
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <attention/efficient.hpp>
#include <attention/mha.hpp>
#include <attention/random.hpp>
#include <workbook/compare.hpp>
#include <workbook/errors.hpp>
#include <workbook/timing.hpp>
#include <workbook/validation.hpp>

extern "C" char* openblas_get_corename(void);

namespace {

struct Size {
    std::size_t L, E, H;
};

struct Options {
    std::vector<Size> sizes;
    std::vector<attn::FastMethod> methods;  // empty: the default for each size
    std::size_t threads = 1;
    std::size_t repeats = 0;  // 0: default_repeats()
    bool json = false;
    bool check = true;
    bool forward = true;   // the "fwd" rows
    bool backward = true;  // the "fwd+bwd" rows
    attn::Tiles tiles;
};

const char* const kUsage =
        "usage: bench [--size L,E,H]... [--methods M,M,...] [--passes P,P] [--threads N] "
        "[--repeats R]\n"
        "             [--block-q B] [--block-k B] [--no-check] [--json]\n"
        "\n"
        "Multi-head self-attention in float32 (query = key = value, PyTorch's sizes).\n"
        "  --size L,E,H   one size (repeatable); default 128,256,8 512,512,8 2048,512,8 "
        "8192,512,8\n"
        "  --methods      loops, xtensor, blas, batched, tiled (default: blas, batched, tiled,\n"
        "                 and loops and xtensor too where L <= 128)\n"
        "  --passes       fwd (the forward pass), fwd+bwd (forward and backward, batched and "
        "tiled\n"
        "                 only; the backward counted as 2x the forward's flops); default both\n"
        "  --threads N    threads (default 1): batched and tiled split their work on their own\n"
        "                 threads, blas uses OpenBLAS's\n"
        "  --repeats R    timed runs after one warm-up; the median is reported (default: about a "
        "second\n"
        "                 of runs, 5 to 51; 3 from L = 8192)\n"
        "  --block-q B, --block-k B   the tiled method's tile (default 256 x 512)\n"
        "  --no-check     skip the float64 reference (it takes a while at L = 8192)\n"
        "  --json         one JSON object per line: name, pass, L, E, H, threads, ms, cpu_ms (the\n"
        "                 process's CPU time, all threads), gflops, peak_mb, ...\n";

[[noreturn]] void fail(const std::string& why) {
    std::cerr << "bench: error: " << why << "\n";
    std::exit(2);
}

std::size_t count(const std::string& flag, const std::string& s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v == 0 || s[0] == '-')
        fail(flag + " needs a positive whole number, not '" + s + "'");
    return static_cast<std::size_t>(v);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::stringstream in(s);
    for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
    return parts;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) fail(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else if (a == "--size") {
            const std::string v = value();
            const auto p = split(v, ',');
            if (p.size() != 3) fail("--size needs L,E,H, not '" + v + "'");
            const Size s{count("--size", p[0]), count("--size", p[1]), count("--size", p[2])};
            if (s.E % s.H != 0) fail("--size " + v + ": E must be a multiple of H");
            o.sizes.push_back(s);
        } else if (a == "--methods") {
            try {
                for (const auto& m : split(value(), ','))
                    o.methods.push_back(attn::parse_method(m));
            } catch (const attn::InputError& e) {
                fail(e.what());
            }
        } else if (a == "--passes") {
            const std::string v = value();
            o.forward = o.backward = false;
            for (const auto& p : split(v, ',')) {
                if (p == "fwd")
                    o.forward = true;
                else if (p == "fwd+bwd")
                    o.backward = true;
                else
                    fail("--passes: unknown pass '" + p + "' (fwd, fwd+bwd)");
            }
            if (!o.forward && !o.backward) fail("--passes needs fwd, fwd+bwd or both");
        } else if (a == "--threads") {
            o.threads = count(a, value());
        } else if (a == "--repeats") {
            o.repeats = count(a, value());
        } else if (a == "--block-q") {
            o.tiles.block_q = count(a, value());
        } else if (a == "--block-k") {
            o.tiles.block_k = count(a, value());
        } else if (a == "--no-check") {
            o.check = false;
        } else if (a == "--json") {
            o.json = true;
        } else {
            fail("unknown option '" + a + "' (--help lists them)");
        }
    }
    if (o.sizes.empty()) o.sizes = {{128, 256, 8}, {512, 512, 8}, {2048, 512, 8}, {8192, 512, 8}};
    if (!o.forward && !o.methods.empty()) {  // only fwd+bwd rows: one of the methods must have them
        bool any = false;
        for (attn::FastMethod m : attn::backward_methods()) {
            any = any || std::find(o.methods.begin(), o.methods.end(), m) != o.methods.end();
        }
        if (!any)
            fail("--passes fwd+bwd: none of these methods has a backward pass (batched and tiled "
                 "have)");
    }
    return o;
}

// ---- resident memory (Linux) ------------------------------------------------------------------

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), or -1.
double status_bytes(const char* field) {
    std::ifstream in("/proc/self/status");
    const std::string key = std::string(field) + ":";
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(key, 0) == 0) return 1024.0 * std::atof(line.c_str() + key.size());
    }
    return -1;
}

// Resets the high-water mark VmHWM to the current resident size (Linux ≥ 4.0).
bool reset_peak() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    return static_cast<bool>(out.flush());
}

// How malloc hands memory back. For measuring: every buffer above 64 KB is mapped on its
// own and returned when freed, so a run's resident memory is what it holds. For timing:
// what glibc settles to by itself after the first frees (blocks up to 32 MB stay with the
// process and are reused), so a timed run does not pay for fresh zeroed pages every call.
void malloc_for_measuring(bool measuring) {
    mallopt(M_MMAP_THRESHOLD, measuring ? 64 * 1024 : 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, measuring ? 128 * 1024 : 64 * 1024 * 1024);
    if (measuring) malloc_trim(0);  // hand back what earlier runs freed: an honest baseline
}

// Runs f once and returns the most resident memory it added, in bytes (-1 if unknown).
template <class F>
double peak_extra_rss(const F& f) {
    malloc_for_measuring(true);
    double extra = -1;
    if (reset_peak()) {
        const double before = status_bytes("VmRSS");
        f();
        const double peak = status_bytes("VmHWM");
        extra = before < 0 || peak < 0 ? -1 : std::max(0.0, peak - before);
    } else {
        f();
    }
    malloc_for_measuring(false);
    return extra;
}

// Timed runs: at least 5 (3 from L = 8192 on), and more for fast calls, up to about a
// second of them (at most 51), so that the median is steady on a busy machine.
std::size_t default_repeats(std::size_t L, double warmup_ms) {
    const std::size_t least = L >= 8192 ? 3 : 5;
    const double fit = warmup_ms > 0 ? 1000.0 / warmup_ms : 51.0;
    return std::max(least, std::min<std::size_t>(51, static_cast<std::size_t>(fit)));
}

// Medians of `repeats` calls of f: wall-clock ms, and the process's CPU ms (every thread's
// CPU time together). On a machine shared with other programs the CPU time counts only the
// time this process ran, so it moves much less from run to run than the wall clock.
struct Timing {
    double ms, cpu_ms;
};

double cpu_now_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return 1e3 * static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <class F>
Timing time_runs(const F& f, std::size_t repeats) {
    std::vector<double> wall, cpu;
    for (std::size_t i = 0; i < std::max<std::size_t>(1, repeats); ++i) {
        const double c0 = cpu_now_ms();
        const auto t0 = std::chrono::steady_clock::now();
        f();
        wall.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count());
        cpu.push_back(cpu_now_ms() - c0);
    }
    return {median(wall), median(cpu)};
}

// OpenBLAS's sgemm (1024 x 1024, same threads) in GFLOP/s: wall clock (attn::sgemm_gflops), and
// CPU time: the CPU time of 7 timed products + 1 warm-up less that of 1 + 1 (their set-up
// cancels), so 6 products' flops over 6 products' CPU time.
struct SgemmSpeed {
    double wall, cpu;
};

SgemmSpeed sgemm_speed() {
    const double c0 = cpu_now_ms();
    const double wall = attn::sgemm_gflops(1024, 7);
    const double c1 = cpu_now_ms();
    attn::sgemm_gflops(1024, 1);
    const double c2 = cpu_now_ms();
    const double six = (c1 - c0) - (c2 - c1);
    return {wall, six > 0 ? 6.0 * 2.0 * 1024.0 * 1024.0 * 1024.0 / (six * 1e6) : NAN};
}

// ---- output ---------------------------------------------------------------------------------

struct Row {
    std::string name;
    std::string pass;  // "fwd" or "fwd+bwd"
    Size size;
    std::size_t threads, repeats;
    double ms, cpu_ms, gflops, work, sgemm, sgemm_cpu, peak_mb, accounted_mb, weights_mb, rel_err;
};

std::string json_number(double x, int decimals) {
    if (!std::isfinite(x)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return buf;
}

void print_json(const Row& r) {
    std::printf(
            "{\"name\": \"%s\", \"pass\": \"%s\", \"L\": %zu, \"E\": %zu, \"H\": %zu, \"threads\": "
            "%zu, \"ms\": %s, \"cpu_ms\": %s, "
            "\"gflops\": %s, \"peak_mb\": %s, \"accounted_mb\": %s, \"weights_mb\": %s, "
            "\"sgemm_gflops\": %s, \"sgemm_pct\": %s, \"sgemm_cpu_gflops\": %s, \"cpu_sgemm_pct\": "
            "%s, "
            "\"rel_err\": %s, \"repeats\": %zu}\n",
            r.name.c_str(), r.pass.c_str(), r.size.L, r.size.E, r.size.H, r.threads,
            json_number(r.ms, 3).c_str(), json_number(r.cpu_ms, 3).c_str(),
            json_number(r.gflops, 2).c_str(), json_number(r.peak_mb, 1).c_str(),
            json_number(r.accounted_mb, 1).c_str(), json_number(r.weights_mb, 1).c_str(),
            json_number(r.sgemm, 2).c_str(), json_number(100.0 * r.gflops / r.sgemm, 1).c_str(),
            json_number(r.sgemm_cpu, 2).c_str(),
            json_number(100.0 * r.work / (r.cpu_ms * 1e6) / r.sgemm_cpu, 1).c_str(),
            r.rel_err < 0              ? "null"  // not checked (--no-check)
            : std::isfinite(r.rel_err) ? json_number(r.rel_err, 9).c_str()
                                       : "1e999",  // NaN or wrong shape: reads as inf
            r.repeats);
    std::fflush(stdout);
}

void print_row(const Row& r) {
    char err[32] = "-";
    if (r.rel_err >= 0)
        std::snprintf(err, sizeof err, "%.1e %s", r.rel_err, r.rel_err <= 1e-4 ? "ok" : "BAD");
    std::printf(
            "%-8s %-7s %6zu %4zu %2zu %3zu %11.2f %8.1f %6.0f%% %6.0f%% %9.1f %9.1f %10.1f   %s\n",
            r.name.c_str(), r.pass.c_str(), r.size.L, r.size.E, r.size.H, r.threads, r.ms, r.gflops,
            100.0 * r.gflops / r.sgemm, 100.0 * r.work / (r.cpu_ms * 1e6) / r.sgemm_cpu, r.peak_mb,
            r.accounted_mb, r.weights_mb, err);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    attn::set_fast_threads(o.threads);
    if (!o.json) {
        std::printf(
                "Multi-head self-attention, float32, %zu thread%s, OpenBLAS %s kernels. pass: fwd "
                "= the\n"
                "forward pass; fwd+bwd = forward and backward, the backward counted as 2x the "
                "forward's flops.\n"
                "Median of several runs after a warm-up; %% sgemm = GFLOP/s against OpenBLAS's "
                "sgemm\n"
                "(1024 x 1024, same threads), the better of a run before and one after each size;\n"
                "cpu: the same in CPU time (ours and sgemm's), which a busy machine disturbs far "
                "less.\n"
                "peak MB: resident memory added during a run (measured); accounted: the buffers "
                "the\n"
                "method holds; weights: the H x L x L attention weights PyTorch materialises.\n"
                "error: max |ours - float64 reference| / max |reference| (target 1e-4), the worst\n"
                "of the output and (fwd+bwd) every gradient.\n\n",
                o.threads, o.threads == 1 ? "" : "s", openblas_get_corename());
        std::printf("%-8s %-7s %6s %4s %2s %3s %11s %8s %7s %7s %9s %9s %10s   %s\n", "method",
                    "pass", "L", "E", "H", "thr", "ms", "GFLOP/s", "sgemm", "cpu", "peak MB",
                    "accounted", "weights MB", "error");
    }
    std::vector<std::string> wrong;  // methods whose result is not the reference's
    for (const Size& s : o.sizes) {
        // The inputs: torch.rand-like tokens and PyTorch-like parameters, rounded to float32;
        // the reference sees exactly the same numbers, in float64.
        attn::Random rng(18);
        attn::MatrixF query = xt::empty<float>({s.L, s.E});
        for (auto& x : query) x = static_cast<float>(rng.uniform());
        const attn::MhaParamsF pf = attn::to_float(attn::random_mha_params(s.E, s.H, rng));
        // The upstream gradient of the fwd+bwd rows: a fixed random dO, as PyTorch's out.backward(dO).
        attn::MatrixF dO = xt::empty<float>({s.L, s.E});
        for (auto& x : dO) x = static_cast<float>(rng.uniform() - 0.5);
        std::vector<attn::FastMethod> methods = o.methods;
        if (methods.empty()) {
            if (s.L <= 128) methods = {attn::FastMethod::loops, attn::FastMethod::xtensor};
            methods.insert(methods.end(), {attn::FastMethod::blas, attn::FastMethod::batched,
                                           attn::FastMethod::tiled});
        }
        std::vector<attn::FastMethod> with_backward;
        for (attn::FastMethod m : methods) {
            const auto& b = attn::backward_methods();
            if (o.backward && std::find(b.begin(), b.end(), m) != b.end())
                with_backward.push_back(m);
        }
        // The float64 references: the output, and every gradient (chunk by chunk, so that
        // L = 8192 fits), of exactly the same numbers.
        attn::Matrix reference;
        attn::MhaGrads grads_reference;
        if (o.check) {
            const attn::Matrix qd = attn::to_double(query);
            const attn::MhaParams pd = attn::to_double(pf);
            reference = attn::mha_reference(pd, qd, qd, qd, 256);
            if (!with_backward.empty()) {
                grads_reference =
                        attn::mha_backward_reference(pd, qd, qd, qd, attn::to_double(dO), 256);
                // one input used three times: its gradient is the sum of the three (PyTorch's x.grad)
                grads_reference.query += grads_reference.key + grads_reference.value;
            }
        }
        // The machine's speed limit: sgemm measured before and after this size's methods (the
        // better of the two: another program busy on the same core only ever slows it down).
        SgemmSpeed sgemm = sgemm_speed();
        const double flops = attn::mha_flops(s.L, s.L, s.E);
        std::vector<Row> rows;
        // Times `run` (its warm-up run measured for memory first); `check` gives the error of
        // the warm-up run's result, before the timed runs.
        auto measure = [&](attn::FastMethod m, const char* pass, double work, const auto& run,
                           const auto& accounted, const auto& check) {
            const auto t0 = std::chrono::steady_clock::now();
            const double peak = peak_extra_rss(run);  // the warm-up run
            const double warmup_ms =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                            .count();
            Row r;
            r.rel_err = o.check ? check() : -1;
            r.accounted_mb = static_cast<double>(accounted()) / 1e6;
            const std::size_t repeats = o.repeats ? o.repeats : default_repeats(s.L, warmup_ms);
            r.name = attn::method_name(m);
            r.pass = pass;
            r.size = s;
            r.threads = o.threads;
            r.repeats = repeats;
            const Timing timing = time_runs(run, repeats);
            r.ms = timing.ms;
            r.cpu_ms = timing.cpu_ms;
            r.gflops = work / (r.ms * 1e6);
            r.work = work;
            r.peak_mb = peak < 0 ? NAN : peak / 1e6;
            r.weights_mb = static_cast<double>(attn::weights_bytes(s.L, s.L, s.H)) / 1e6;
            rows.push_back(r);
        };
        for (attn::FastMethod m : o.forward ? methods : std::vector<attn::FastMethod>{}) {
            attn::FastResult result;
            measure(
                    m, "fwd", flops,
                    [&] { result = attn::fast_mha(m, pf, query, query, query, o.tiles); },
                    [&] { return result.peak_bytes; },
                    [&] {
                        return attn::relative_error(attn::to_double(result.output), reference);
                    });
        }
        for (attn::FastMethod m : with_backward) {
            attn::FastBackward result;
            measure(
                    m, "fwd+bwd", flops + attn::mha_backward_flops(s.L, s.L, s.E),
                    [&] {
                        result = attn::fast_mha_backward(m, pf, query, query, query, dO, o.tiles);
                    },
                    [&] { return result.peak_bytes; },
                    [&] {
                        // the worst of the output and every gradient, each relative to its own reference
                        const attn::FastGrads& g = result.grads;
                        const attn::MhaGrads& ref = grads_reference;
                        double worst =
                                attn::relative_error(attn::to_double(result.output), reference);
                        auto worse = [&](const auto& ours, const auto& theirs) {
                            worst = std::max(worst,
                                             attn::relative_error(xt::cast<double>(ours), theirs));
                        };
                        worse(g.in_proj_weight, ref.in_proj_weight);
                        worse(g.in_proj_bias, ref.in_proj_bias);
                        worse(g.out_proj_weight, ref.out_proj_weight);
                        worse(g.out_proj_bias, ref.out_proj_bias);
                        worse(g.query, ref.query);
                        return worst;
                    });
        }
        const SgemmSpeed after = sgemm_speed();
        sgemm.wall = std::max(sgemm.wall, after.wall);
        sgemm.cpu = std::max(sgemm.cpu, after.cpu);
        for (Row& r : rows) {
            r.sgemm = sgemm.wall;
            r.sgemm_cpu = sgemm.cpu;
            o.json ? print_json(r) : print_row(r);
            if (!(r.rel_err <= 1e-4) && r.rel_err != -1) {
                wrong.push_back(r.name + " (" + r.pass + ") at L = " + std::to_string(s.L));
            }
        }
    }
    if (!wrong.empty()) {
        std::fprintf(stderr, "bench: error: not equal to the reference to 1e-4 relative: %s\n",
                     wrong.front().c_str());
        return 1;
    }
    return 0;
}
