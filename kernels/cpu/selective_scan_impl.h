// Fast CPU selective scan (MODELS.md §2.2, design notes §5.2). Channels are vectorised kLanes at
// a time ("blocks"); a thread owns a contiguous range of blocks and walks time in the outer loop,
// so each timestep reads one contiguous stretch of every {L, E} row (streaming, prefetch
// friendly) while the N states of all its blocks stay in L1/L2. exp() is vectorised across
// channels rather than across d_state (ggml's limitation). Included once per ISA.
#pragma once

#include <algorithm>
#include <vector>

#include "dnassm/backend.h"
#include "dnassm/thread_pool.h"

#include "simd_math.h"

namespace dnassm::cpu {

constexpr std::int64_t kStateTile = 16;

template <int kLanes>
void selective_scan_blocks(const SelectiveScanArgs& a) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    const std::int64_t n_blocks = (a.E + kLanes - 1) / kLanes;
    const std::int64_t N = a.N;
    // Each channel's result is independent of how blocks are grouped, so the grain may follow
    // the thread count without affecting reproducibility.
    const std::int64_t grain =
        std::max<std::int64_t>(1, (n_blocks + num_threads() - 1) / num_threads());

    parallel_for(n_blocks, grain, [&](std::int64_t b0, std::int64_t b1) {
        const std::int64_t nb = b1 - b0;
        std::vector<F> A(static_cast<size_t>(nb * N)), s(static_cast<size_t>(nb * N));
        std::vector<F> Dv(static_cast<size_t>(nb)), bias(static_cast<size_t>(nb));
        alignas(64) float tmp[kLanes];
        auto lanes_of = [&](std::int64_t blk) {
            return static_cast<int>(std::min<std::int64_t>(kLanes, a.E - blk * kLanes));
        };
        for (std::int64_t j = 0; j < nb; ++j) {
            const std::int64_t e0 = (b0 + j) * kLanes;
            const int lanes = lanes_of(b0 + j);
            for (std::int64_t n = 0; n < N; ++n) {
                // exp(dt·A) is computed as 2^(dt·A·log2 e).
                for (int l = 0; l < kLanes; ++l)
                    tmp[l] = l < lanes ? a.A[(e0 + l) * N + n] * 1.44269504088896341f : -1.0f;
                A[j * N + n] = simd::load<F>(tmp);
                for (int l = 0; l < kLanes; ++l)
                    tmp[l] = (l < lanes && a.state) ? a.state[(e0 + l) * N + n] : 0.0f;
                s[j * N + n] = simd::load<F>(tmp);
            }
            for (int l = 0; l < kLanes; ++l) tmp[l] = (l < lanes && a.D) ? a.D[e0 + l] : 0.0f;
            Dv[j] = simd::load<F>(tmp);
            for (int l = 0; l < kLanes; ++l)
                tmp[l] = (l < lanes && a.delta_bias) ? a.delta_bias[e0 + l] : 0.0f;
            bias[j] = simd::load<F>(tmp);
        }

        for (std::int64_t t = 0; t < a.L; ++t) {
            const float* Bt = a.B + t * a.ld_B;
            const float* Ct = a.C + t * a.ld_C;
            for (std::int64_t j = 0; j < nb; ++j) {
                const std::int64_t e0 = (b0 + j) * kLanes;
                const int lanes = lanes_of(b0 + j);
                auto row = [&](const float* base, std::int64_t ld) {
                    if (lanes == kLanes) return simd::load<F>(base + t * ld + e0);
                    for (int l = 0; l < kLanes; ++l)
                        tmp[l] = l < lanes ? base[t * ld + e0 + l] : 0.0f;
                    return simd::load<F>(tmp);
                };
                F dt = row(a.delta, a.ld_delta) + bias[j];
                if (a.delta_softplus) dt = simd::softplus<F, I>(dt);
                const F u = row(a.u, a.ld_u);
                const F du = dt * u;
                F* sj = s.data() + j * N;
                const F* Aj = A.data() + j * N;
                // Two passes: all exp() first (independent, so they pipeline), then the
                // recurrence; four partial sums break the serial dependency of y over n.
                F y0 = Dv[j] * u, y1 = simd::splat<F>(0.0f), y2 = y1, y3 = y1;
                for (std::int64_t n0 = 0; n0 < N; n0 += kStateTile) {
                    const std::int64_t nt = std::min<std::int64_t>(kStateTile, N - n0);
                    F dA[kStateTile];
                    for (std::int64_t k = 0; k < nt; ++k)
                        dA[k] = simd::exp2_nonpositive<F, I>(dt * Aj[n0 + k]);
                    std::int64_t k = 0;
                    for (; k + 4 <= nt; k += 4) {
                        const std::int64_t n = n0 + k;
                        const F s0 = dA[k] * sj[n] + du * Bt[n];
                        const F s1 = dA[k + 1] * sj[n + 1] + du * Bt[n + 1];
                        const F s2 = dA[k + 2] * sj[n + 2] + du * Bt[n + 2];
                        const F s3 = dA[k + 3] * sj[n + 3] + du * Bt[n + 3];
                        y0 += s0 * Ct[n];
                        y1 += s1 * Ct[n + 1];
                        y2 += s2 * Ct[n + 2];
                        y3 += s3 * Ct[n + 3];
                        sj[n] = s0;
                        sj[n + 1] = s1;
                        sj[n + 2] = s2;
                        sj[n + 3] = s3;
                    }
                    for (; k < nt; ++k) {
                        const std::int64_t n = n0 + k;
                        const F sn = dA[k] * sj[n] + du * Bt[n];
                        y0 += sn * Ct[n];
                        sj[n] = sn;
                    }
                }
                F y = (y0 + y1) + (y2 + y3);
                if (a.z) y *= simd::silu<F, I>(row(a.z, a.ld_z));
                float* out = a.y + t * a.ld_y + e0;
                if (lanes == kLanes) {
                    simd::store<F>(out, y);
                } else {
                    simd::store<F>(tmp, y);
                    for (int l = 0; l < lanes; ++l) out[l] = tmp[l];
                }
            }
        }
        if (a.state) {
            for (std::int64_t j = 0; j < nb; ++j) {
                const std::int64_t e0 = (b0 + j) * kLanes;
                for (std::int64_t n = 0; n < N; ++n) {
                    simd::store<F>(tmp, s[j * N + n]);
                    for (int l = 0; l < lanes_of(b0 + j); ++l) a.state[(e0 + l) * N + n] = tmp[l];
                }
            }
        }
    });
}

}  // namespace dnassm::cpu
