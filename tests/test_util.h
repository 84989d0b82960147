// Shared helpers for the GoogleTest suites.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <htslib/bgzf.h>

#include "dnassm/backend.h"
#include "dnassm/io/npy.h"
#include "dnassm/model.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/tensor.h"

namespace dnassm::test {

/// tests/data in the source tree ($DNASSM_TEST_DATA_DIR where the tests run from another
/// checkout, e.g. a GPU machine given binaries built here: bench/gpu_session.sh).
inline std::string data_dir() {
    const char* env = std::getenv("DNASSM_TEST_DATA_DIR");
    return env && *env ? env : DNASSM_TEST_DATA_DIR;
}
/// ../shared/data beside the project (may be absent).
inline std::string shared_data_dir() { return DNASSM_SHARED_DATA_DIR; }

/// The first (at most) max_len token ids of a golden case's input_ids.npy (its first sequence).
inline std::vector<std::int32_t> golden_ids(const std::string& dir, std::int64_t max_len) {
    const Tensor all = read_npy(dir + "/input_ids.npy");
    const std::int64_t n = std::min(all.numel(), max_len);
    return {all.data<std::int32_t>(), all.data<std::int32_t>() + n};
}

/// One shared instance per backend name ("cpu", "cpu-ref"), for training code that takes a
/// Backend&.
inline Backend& backend(const std::string& name) {
    static std::map<std::string, std::unique_ptr<Backend>> made;
    auto& b = made[name];
    if (!b) b = make_backend(name);
    return *b;
}

/// Relative L2 error ‖out − ref‖ / ‖ref‖ over n values (double accumulation).
inline double rel_l2(const float* out, const float* ref, std::int64_t n) {
    double num = 0, den = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(out[i]) - ref[i];
        num += d * d;
        den += static_cast<double>(ref[i]) * ref[i];
    }
    return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

/// run_sequence's hidden rows {L, D} gathered into one host array.
inline std::vector<float> run_hidden(const Model& model,
                                     Backend& be,
                                     std::span<const std::int32_t> ids,
                                     const RunOptions& opts) {
    std::vector<float> out;
    run_sequence(model, be, ids, opts, nullptr, [&](std::int64_t, const Tensor& h) {
        out.insert(out.end(), h.f32(), h.f32() + h.numel());
    });
    return out;
}

inline bool all_finite(const float* p, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) return false;
    return true;
}

/// Deterministic pseudo-random floats in [lo, hi) (SplitMix64; no std:: distributions, whose
/// output differs between standard libraries).
class Rng {
  public:
    explicit Rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * static_cast<float>((next() >> 40) * (1.0 / 16777216.0));
    }
    void fill(float* p, std::int64_t n, float lo, float hi) {
        for (std::int64_t i = 0; i < n; ++i) p[i] = uniform(lo, hi);
    }

  private:
    std::uint64_t s_;
};

/// An op's output buffer with sentinel guards on both sides, to catch out-of-bounds writes.
struct Guarded {
    static constexpr std::int64_t kGuard = 1024;
    static constexpr float kSentinel = -12345.678f;
    explicit Guarded(std::int64_t count)
        : buf(static_cast<size_t>(count + 2 * kGuard), kSentinel), n(count) {}
    float* data() { return buf.data() + kGuard; }
    [[nodiscard]] bool intact() const {
        for (std::int64_t i = 0; i < kGuard; ++i)
            if (buf[static_cast<size_t>(i)] != kSentinel ||
                buf[static_cast<size_t>(kGuard + n + i)] != kSentinel)
                return false;
        return true;
    }
    std::vector<float> buf;
    std::int64_t n;
};

inline std::vector<float> rand_vec(Rng& rng, std::int64_t n, float lo, float hi) {
    std::vector<float> v(static_cast<size_t>(n));
    rng.fill(v.data(), n, lo, hi);
    return v;
}

/// {B, E, L} (PyTorch kernel layout) row b -> {L, E} (dnassm time-major).
inline Tensor to_time_major(const Tensor& bel, std::int64_t b) {
    const std::int64_t E = bel.dim(1), L = bel.dim(2);
    Tensor out({L, E});
    const float* src = bel.f32() + b * E * L;
    for (std::int64_t e = 0; e < E; ++e)
        for (std::int64_t t = 0; t < L; ++t) out.f32()[t * E + e] = src[e * L + t];
    return out;
}

/// `text` written to `name` in GoogleTest's temp folder; returns its path.
inline std::string temp_text_file(const std::string& name, const std::string& text) {
    const std::string path = testing::TempDir() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

/// `text` compressed as BGZF (mode "w") or plain gzip ("wg", which faidx cannot index) into
/// `name` in GoogleTest's temp folder; returns its path.
inline std::string temp_compressed_file(const std::string& name,
                                        const std::string& text,
                                        const char* mode = "w") {
    const std::string path = testing::TempDir() + "/" + name;
    BGZF* fp = bgzf_open(path.c_str(), mode);
    EXPECT_TRUE(fp);
    if (!fp) return path;
    EXPECT_EQ(bgzf_write(fp, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    EXPECT_EQ(bgzf_close(fp), 0);
    return path;
}

}  // namespace dnassm::test
