// The embedding backward and the next-token loss of the CPU backends ("cpu" and "cpu-ref" share
// them: both are exact sums in a fixed order).
#include <algorithm>
#include <cmath>

#include "dnassm/thread_pool.h"

#include "cpu_ops.h"

namespace dnassm::cpu {

void embedding_backward(const EmbeddingArgs& a, const float* dy, std::int64_t ld, float* dtable) {
    // Columns on the pool; each column sums over t in order, so any thread count gives the same.
    parallel_for(a.D, 16, [&](std::int64_t d0, std::int64_t d1) {
        for (std::int64_t t = 0; t < a.L; ++t) {
            float* row = dtable + static_cast<std::int64_t>(a.ids[t]) * a.D;
            for (std::int64_t d = d0; d < d1; ++d) row[d] += dy[t * ld + d];
        }
    });
}

double next_token_loss(
    const float* logits, std::int64_t L, std::int64_t V, const std::int32_t* ids, float* dlogits) {
    double loss = 0.0;
    const double scale = 1.0 / static_cast<double>(L - 1);
    for (std::int64_t t = 0; t + 1 < L; ++t) {
        const float* row = logits + t * V;
        double mx = row[0];
        for (std::int64_t v = 1; v < V; ++v) mx = std::max(mx, static_cast<double>(row[v]));
        double z = 0;
        for (std::int64_t v = 0; v < V; ++v) z += std::exp(row[v] - mx);
        const std::int32_t target = ids[t + 1];
        loss -= (row[target] - mx - std::log(z)) * scale;
        if (dlogits)
            for (std::int64_t v = 0; v < V; ++v)
                dlogits[t * V + v] = static_cast<float>(
                    (std::exp(row[v] - mx) / z - (v == target ? 1.0 : 0.0)) * scale);
    }
    if (dlogits) std::fill(dlogits + (L - 1) * V, dlogits + L * V, 0.0f);
    return loss;
}

}  // namespace dnassm::cpu
