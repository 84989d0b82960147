// HyenaDNA's Sin activation with per-column frequencies (the implicit filter's MLP), rows on the
// pool. Elementwise, so the result does not depend on the thread count.
#include <cmath>

#include "dnassm/thread_pool.h"

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

}  // namespace dnassm::cpu
