// RMSNorm / LayerNorm over the last dimension, rows on the pool, statistics in double.
#include <cmath>

#include "dnassm/thread_pool.h"

#include "cpu_ops.h"

namespace dnassm::cpu {

void norm(const NormArgs& a) {
    parallel_for(a.rows, 64, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            const float* x = a.x + r * a.D;
            float* y = a.y + r * a.D;
            double mean = 0.0;
            if (a.kind == NormKind::kLayer) {
                for (std::int64_t i = 0; i < a.D; ++i) mean += x[i];
                mean /= static_cast<double>(a.D);
            }
            double sq = 0.0;
            for (std::int64_t i = 0; i < a.D; ++i) {
                const double d = x[i] - mean;
                sq += d * d;
            }
            const float rstd =
                static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(a.D) + a.eps));
            const float m = static_cast<float>(mean);
            for (std::int64_t i = 0; i < a.D; ++i) {
                float v = (x[i] - m) * rstd * a.weight[i];
                if (a.bias) v += a.bias[i];
                y[i] = v;
            }
        }
    });
}

}  // namespace dnassm::cpu
