// y = x·W^T + b through BLAS sgemm. Rows are split into fixed blocks on our pool with BLAS itself
// single-threaded, so the result does not depend on the thread count.
#include <algorithm>
#include <cstring>

#include <cblas.h>

#include "dnassm/thread_pool.h"

#include "cpu_ops.h"

namespace dnassm::cpu {

void linear(const LinearArgs& a) {
    constexpr std::int64_t kRowBlock = 256;
    parallel_for(a.M, kRowBlock, [&](std::int64_t r0, std::int64_t r1) {
        const std::int64_t m = r1 - r0;
        float* y = a.y + r0 * a.ld_y;
        if (a.bias && !a.accumulate) {
            for (std::int64_t r = 0; r < m; ++r)
                std::memcpy(y + r * a.ld_y, a.bias, sizeof(float) * static_cast<size_t>(a.N));
        } else if (a.bias) {
            for (std::int64_t r = 0; r < m; ++r)
                for (std::int64_t j = 0; j < a.N; ++j) y[r * a.ld_y + j] += a.bias[j];
        }
        const float beta = (a.bias || a.accumulate) ? 1.0f : 0.0f;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                    static_cast<int>(a.N), static_cast<int>(a.K), 1.0f, a.x + r0 * a.ld_x,
                    static_cast<int>(a.ld_x), a.weight, static_cast<int>(a.K), beta, y,
                    static_cast<int>(a.ld_y));
    });
}

}  // namespace dnassm::cpu
