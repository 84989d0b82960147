// HyenaDNA's Sin activation with per-column frequencies (the implicit filter's MLP) and its
// backward, rows on the pool. The forward is elementwise and the backward sums over fixed row
// parts, so neither depends on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "dnassm/thread_pool.h"

#include "../common/sin_backward_parts.h"
#include "cpu_ops.h"

namespace dnassm::cpu {

void sin_activation(
    const float* x, const float* freq, std::int64_t rows, std::int64_t cols, float* y) {
    parallel_for(rows, 256, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r)
            for (std::int64_t c = 0; c < cols; ++c)
                y[r * cols + c] = std::sin(freq[c] * x[r * cols + c]);
    });
}

void sin_activation_backward(const float* x,
                             const float* freq,
                             const float* dy,
                             std::int64_t rows,
                             std::int64_t cols,
                             float* dx,
                             float* dfreq) {
    // dfreq: per-part column sums over fixed row parts, then the parts in order, so the result
    // does not depend on the thread count.
    const std::int64_t parts = sin_backward_parts(rows);
    std::vector<double> partial(static_cast<size_t>(dfreq ? parts * cols : 0));
    parallel_for(parts, 1, [&](std::int64_t p0, std::int64_t p1) {
        for (std::int64_t p = p0; p < p1; ++p) {
            double* acc = dfreq ? partial.data() + p * cols : nullptr;
            for (std::int64_t r = p * kSinPart; r < std::min(rows, (p + 1) * kSinPart); ++r)
                for (std::int64_t c = 0; c < cols; ++c) {
                    const float xv = x[r * cols + c];
                    const double g = static_cast<double>(dy[r * cols + c]) * std::cos(freq[c] * xv);
                    if (dx) dx[r * cols + c] += static_cast<float>(g * freq[c]);
                    if (acc) acc[c] += g * xv;
                }
        }
    });
    if (!dfreq) return;
    for (std::int64_t c = 0; c < cols; ++c) {
        double s = 0;
        for (std::int64_t p = 0; p < parts; ++p) s += partial[static_cast<size_t>(p * cols + c)];
        dfreq[c] += static_cast<float>(s);
    }
}

}  // namespace dnassm::cpu
