// HyenaDNA's gate split of the short conv's output (x0, v, x1 thirds): x0 as is, w = v ⊙ x1;
// and its backward.
#include "dnassm/thread_pool.h"

#include "cpu_ops.h"

namespace dnassm::cpu {

void hyena_gates(const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w) {
    parallel_for(n, 256, [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t) {
            const float* u = uc + t * 3 * D;
            for (std::int64_t d = 0; d < D; ++d) {
                x0[t * D + d] = u[d];
                w[t * D + d] = u[2 * D + d] * u[D + d];
            }
        }
    });
}

void hyena_gates_backward(const float* uc,
                          const float* dx0,
                          const float* dw,
                          std::int64_t n,
                          std::int64_t D,
                          float* duc) {
    parallel_for(n, 256, [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t) {
            const float* u = uc + t * 3 * D;
            float* g = duc + t * 3 * D;
            for (std::int64_t d = 0; d < D; ++d) {
                const float gw = dw[t * D + d];
                g[d] += dx0[t * D + d];
                g[D + d] += gw * u[2 * D + d];
                g[2 * D + d] += gw * u[D + d];
            }
        }
    });
}

}  // namespace dnassm::cpu
