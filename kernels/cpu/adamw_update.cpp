// The AdamW parameter update (Backend::adamw_update), elementwise in double precision on the pool;
// shared by the "cpu" and "cpu-ref" backends, so training resumes bit for bit on either.
#include <cmath>

#include "dnassm/thread_pool.h"

#include "cpu_ops.h"

namespace dnassm::cpu {

void adamw_update(const AdamWArgs& a) {
    parallel_for(a.n, 1 << 14, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) {
            const double g = a.grad[i] * a.clip;
            const double m = a.beta1 * a.m[i] + (1.0 - a.beta1) * g;
            const double v = a.beta2 * a.v[i] + (1.0 - a.beta2) * g * g;
            a.m[i] = static_cast<float>(m);
            a.v[i] = static_cast<float>(v);
            double w = a.param[i];
            if (a.decay) w -= a.lr * a.weight_decay * w;  // decoupled
            w -= a.lr * (m / a.bc1) / (std::sqrt(v / a.bc2) + a.eps);
            a.param[i] = static_cast<float>(w);
        }
    });
}

}  // namespace dnassm::cpu
