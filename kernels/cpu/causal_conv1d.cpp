// Causal depthwise conv with carried state (MODELS.md §2.2, xc). Time ranges run on the pool;
// the inner loop over channels is contiguous and vectorises.
#include <algorithm>
#include <vector>

#include "dnassm/thread_pool.h"

#include "cpu_ops.h"

namespace dnassm::cpu {

void causal_conv1d(const CausalConv1dArgs& a) {
    const std::int64_t E = a.E, W = a.W, L = a.L;
    // history{W, E}: the W inputs before t = 0 (oldest first), time-major for the inner loop.
    std::vector<float> history(static_cast<size_t>(W * E), 0.0f);
    if (a.state)
        for (std::int64_t e = 0; e < E; ++e)
            for (std::int64_t k = 0; k < W; ++k) history[k * E + e] = a.state[e * W + k];
    // Transposed weights {W, E}.
    std::vector<float> wt(static_cast<size_t>(W * E));
    for (std::int64_t e = 0; e < E; ++e)
        for (std::int64_t k = 0; k < W; ++k) wt[k * E + e] = a.weight[e * W + k];

    auto row = [&](std::int64_t pos) -> const float* {  // input at time pos (may be < 0)
        return pos >= 0 ? a.x + pos * a.ld_x : history.data() + (W + pos) * E;
    };
    parallel_for(L, 512, [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t) {
            float* y = a.y + t * a.ld_y;
            for (std::int64_t e = 0; e < E; ++e) y[e] = a.bias ? a.bias[e] : 0.0f;
            for (std::int64_t k = 0; k < W; ++k) {
                const float* xr = row(t - (W - 1) + k);
                const float* w = wt.data() + k * E;
                for (std::int64_t e = 0; e < E; ++e) y[e] += w[e] * xr[e];
            }
            if (a.silu) silu_inplace(y, E);
        }
    });
    if (a.state)
        for (std::int64_t k = 0; k < W; ++k) {
            const float* xr = row(L - W + k);
            for (std::int64_t e = 0; e < E; ++e) a.state[e * W + k] = xr[e];
        }
}

void embedding(const EmbeddingArgs& a) {
    parallel_for(a.L, 1024, [&](std::int64_t t0, std::int64_t t1) {
        for (std::int64_t t = t0; t < t1; ++t) {
            const float* src = a.table + static_cast<std::int64_t>(a.ids[t]) * a.D;
            std::copy(src, src + a.D, a.y + t * a.D);
        }
    });
}

void add_inplace(float* x, const float* y, std::int64_t n) {
    parallel_for(n, 1 << 16, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) x[i] += y[i];
    });
}

}  // namespace dnassm::cpu
