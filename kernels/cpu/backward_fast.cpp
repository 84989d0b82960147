// Fast backward passes used by the trainer (the reference versions are the oracle).
#include <algorithm>
#include <cmath>
#include <vector>

#include <cblas.h>

#include "dnassm/thread_pool.h"

#include "activations_impl.h"
#include "backward.h"
#include "cpu_ops.h"
#include "lane_sum.h"

namespace dnassm::cpu {

void gelu_tanh_backward_avx2(const float* x, const float* dy, float* dx, std::int64_t n);

void gelu_tanh_backward(const float* x_in, const float* dy, float* dx, std::int64_t n) {
    parallel_for(n, 1 << 15, [&](std::int64_t i0, std::int64_t i1) {
        if (cpu_has_avx2_fma()) {
            gelu_tanh_backward_avx2(x_in + i0, dy + i0, dx + i0, i1 - i0);
        } else {
            gelu_tanh_backward_lanes<4>(x_in + i0, dy + i0, dx + i0, i1 - i0);
        }
    });
}

void linear_backward(
    const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) {
    const int M = static_cast<int>(a.M), K = static_cast<int>(a.K), N = static_cast<int>(a.N);
    if (dx)  // dx{M, K} += dy{M, N} · W{N, K}
        parallel_for(a.M, 256, [&](std::int64_t r0, std::int64_t r1) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(r1 - r0), K, N,
                        1.0f, dy + r0 * a.ld_y, static_cast<int>(a.ld_y), a.weight, K, 1.0f,
                        dx + r0 * a.ld_x, static_cast<int>(a.ld_x));
        });
    if (dweight)  // dW{N, K} += dy^T{N, M} · x{M, K}
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, dy,
                    static_cast<int>(a.ld_y), a.x, static_cast<int>(a.ld_x), 1.0f, dweight, K);
    if (dbias)
        for (std::int64_t i = 0; i < a.M; ++i)
            for (std::int64_t j = 0; j < a.N; ++j) dbias[j] += dy[i * a.ld_y + j];
}

void norm_backward(const NormArgs& a, const float* dy, float* dx, float* dweight, float* dbias) {
    const std::int64_t D = a.D;
    constexpr std::int64_t kBlock = 64;  // rows per partial column sum (fixed: see backward.h)
    const std::int64_t n_blocks = (a.rows + kBlock - 1) / kBlock;
    std::vector<double> part_w(dweight ? static_cast<size_t>(n_blocks * D) : 0),
        part_b(dbias ? static_cast<size_t>(n_blocks * D) : 0);
    const bool layer = a.kind == NormKind::kLayer;
    const double inv_d = 1.0 / static_cast<double>(D);
    parallel_for(n_blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
        std::vector<double> xhat(static_cast<size_t>(D)), gx(static_cast<size_t>(D));
        for (std::int64_t blk = b0; blk < b1; ++blk) {
            double* pw = dweight ? part_w.data() + blk * D : nullptr;
            double* pb = dbias ? part_b.data() + blk * D : nullptr;
            for (std::int64_t r = blk * kBlock; r < std::min(a.rows, (blk + 1) * kBlock); ++r) {
                const float* x = a.x + r * D;
                const float* d = dy + r * D;
                const RowStats st = row_stats(x, D, layer, a.eps);
                for (std::int64_t i = 0; i < D; ++i) {
                    xhat[i] = (static_cast<double>(x[i]) - st.mean) * st.rstd;
                    gx[i] = static_cast<double>(d[i]) * a.weight[i];
                }
                if (pw)
                    for (std::int64_t i = 0; i < D; ++i) pw[i] += d[i] * xhat[i];
                if (pb)
                    for (std::int64_t i = 0; i < D; ++i) pb[i] += d[i];
                if (!dx) continue;
                const double sum_g =
                    layer ? lane_sum(D, [&](std::int64_t i) { return gx[i]; }) : 0.0;
                const double sum_gx = lane_sum(D, [&](std::int64_t i) { return gx[i] * xhat[i]; });
                const double cg = inv_d * sum_g, cx = inv_d * sum_gx;
                float* dxr = dx + r * D;
                for (std::int64_t i = 0; i < D; ++i)
                    dxr[i] += static_cast<float>(st.rstd * (gx[i] - cg - xhat[i] * cx));
            }
        }
    });
    for (std::int64_t blk = 0; blk < n_blocks; ++blk)
        for (std::int64_t i = 0; i < D; ++i) {
            if (dweight) dweight[i] += static_cast<float>(part_w[blk * D + i]);
            if (dbias) dbias[i] += static_cast<float>(part_b[blk * D + i]);
        }
}

void causal_conv1d_backward(const CausalConv1dArgs& a, const CausalConv1dGrads& g) {
    const std::int64_t W = a.W, L = a.L, P = W - 1;
    // Every gradient is per channel, so channel ranges run on the pool with no shared sums. Each
    // range copies its inputs (carried state first) into a padded time-major buffer so the inner
    // loops over channels have no branches and vectorise.
    parallel_for(a.E, 64, [&](std::int64_t e0, std::int64_t e1) {
        const std::int64_t n = e1 - e0;
        std::vector<float> xp(static_cast<size_t>((L + P) * n)), dxp(xp.size(), 0.0f);
        std::vector<float> w(static_cast<size_t>(W * n)), dw(w.size(), 0.0f), pre(n), d(n);
        std::vector<float> db(static_cast<size_t>(n), 0.0f);
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t k = 0; k < W; ++k) {
                w[static_cast<size_t>(k * n + i)] = a.weight[(e0 + i) * W + k];
                if (k < P)
                    xp[static_cast<size_t>(k * n + i)] =
                        a.state ? a.state[(e0 + i) * W + (k + 1)] : 0.0f;
            }
        for (std::int64_t t = 0; t < L; ++t)
            std::copy_n(a.x + t * a.ld_x + e0, n, xp.data() + (t + P) * n);
        for (std::int64_t t = 0; t < L; ++t) {
            const float* xt = xp.data() + t * n;  // input at time t - P
            for (std::int64_t i = 0; i < n; ++i) pre[i] = a.bias ? a.bias[e0 + i] : 0.0f;
            for (std::int64_t k = 0; k < W; ++k)
                for (std::int64_t i = 0; i < n; ++i) pre[i] += w[k * n + i] * xt[k * n + i];
            const float* dyt = g.dy + t * a.ld_y + e0;
            for (std::int64_t i = 0; i < n; ++i) {
                float di = dyt[i];
                if (a.silu) {
                    const float sg = 1.0f / (1.0f + std::exp(-pre[i]));
                    di *= sg * (1.0f + pre[i] * (1.0f - sg));
                }
                d[i] = di;
                db[i] += di;
            }
            float* dxt = dxp.data() + t * n;
            for (std::int64_t k = 0; k < W; ++k)
                for (std::int64_t i = 0; i < n; ++i) {
                    dw[k * n + i] += d[i] * xt[k * n + i];
                    dxt[k * n + i] += d[i] * w[k * n + i];
                }
        }
        for (std::int64_t i = 0; i < n; ++i) {
            if (g.dbias) g.dbias[e0 + i] += db[i];
            for (std::int64_t k = 0; k < W; ++k) {
                if (g.dweight) g.dweight[(e0 + i) * W + k] += dw[k * n + i];
                if (k < P && g.dstate_init) g.dstate_init[(e0 + i) * W + (k + 1)] += dxp[k * n + i];
            }
        }
        if (g.dx)
            for (std::int64_t t = 0; t < L; ++t)
                for (std::int64_t i = 0; i < n; ++i)
                    g.dx[t * a.ld_x + e0 + i] += dxp[(t + P) * n + i];
    });
}

}  // namespace dnassm::cpu
