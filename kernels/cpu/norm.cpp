// RMSNorm / LayerNorm over the last dimension, rows on the pool, statistics in double.
#include "dnassm/thread_pool.h"

#include "cpu_ops.h"
#include "lane_sum.h"

namespace dnassm::cpu {

void norm(const NormArgs& a) {
    parallel_for(a.rows, 64, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            const float* x = a.x + r * a.D;
            float* y = a.y + r * a.D;
            const RowStats s = row_stats(x, a.D, a.kind == NormKind::kLayer, a.eps);
            const float m = static_cast<float>(s.mean), rstd = static_cast<float>(s.rstd);
            if (a.bias) {
                for (std::int64_t i = 0; i < a.D; ++i)
                    y[i] = (x[i] - m) * rstd * a.weight[i] + a.bias[i];
            } else {
                for (std::int64_t i = 0; i < a.D; ++i) y[i] = (x[i] - m) * rstd * a.weight[i];
            }
        }
    });
}

}  // namespace dnassm::cpu
