#include "track_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dnassm::gui {

std::vector<PixelBin> summarize(std::span<const float> values, int pixels) {
    std::vector<PixelBin> bins(static_cast<size_t>(std::max(pixels, 0)));
    const auto n = static_cast<std::int64_t>(values.size());
    if (n == 0) return bins;
    for (int p = 0; p < pixels; ++p) {
        std::int64_t b = n * p / pixels, e = n * (p + 1) / pixels;
        if (e <= b) e = std::min(n, b + 1);
        PixelBin& bin = bins[static_cast<size_t>(p)];
        double sum = 0;
        std::int64_t count = 0;
        bin.min = std::numeric_limits<float>::infinity();
        bin.max = -bin.min;
        for (std::int64_t i = b; i < e; ++i) {
            const float v = values[static_cast<size_t>(i)];
            if (std::isnan(v)) continue;
            bin.min = std::min(bin.min, v);
            bin.max = std::max(bin.max, v);
            sum += v;
            ++count;
        }
        bin.valid = count > 0;
        bin.mean = count ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
        if (!bin.valid) bin.min = bin.max = 0;
    }
    return bins;
}

ValueRange robust_range(std::span<const float> values, double lo_q, double hi_q) {
    std::vector<float> v;
    v.reserve(values.size());
    for (float x : values)
        if (!std::isnan(x)) v.push_back(x);
    if (v.empty()) return {};
    auto quantile = [&](double q) {
        const auto k =
            static_cast<size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1));
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
        return v[k];
    };
    ValueRange r{quantile(lo_q), quantile(hi_q)};
    if (r.hi - r.lo < 1e-6f) {
        r.lo -= 0.5f;
        r.hi += 0.5f;
    }
    return r;
}

}  // namespace dnassm::gui
