// Σ f(x[i]) in double over independent partial sums added in a fixed order: results do not depend
// on the thread count, and the compiler can keep the lanes in vector registers (one running
// double sum is a chain of dependent adds, which was the norms' whole cost).
#pragma once

#include <cmath>
#include <cstdint>

namespace dnassm::cpu {

inline constexpr int kSumLanes = 8;

template <class F>
double lane_sum(std::int64_t n, F f) {
    double lanes[kSumLanes] = {};
    std::int64_t i = 0;
    for (; i + kSumLanes <= n; i += kSumLanes)
        for (int j = 0; j < kSumLanes; ++j) lanes[j] += f(i + j);
    double s = 0.0;
    for (double l : lanes) s += l;
    for (; i < n; ++i) s += f(i);
    return s;
}

/// Mean (0 for RMSNorm) and 1/sqrt(var + eps) of one row, as the forward norm computes them.
struct RowStats {
    double mean = 0.0, rstd = 0.0;
};

inline RowStats row_stats(const float* x, std::int64_t D, bool centre, float eps) {
    RowStats s;
    if (centre)
        s.mean = lane_sum(D, [x](std::int64_t i) { return static_cast<double>(x[i]); }) /
                 static_cast<double>(D);
    const double m = s.mean;
    const double sq = lane_sum(D, [x, m](std::int64_t i) {
        const double d = static_cast<double>(x[i]) - m;
        return d * d;
    });
    s.rstd = 1.0 / std::sqrt(sq / static_cast<double>(D) + eps);
    return s;
}

}  // namespace dnassm::cpu
