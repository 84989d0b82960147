// Fast CPU selective scan (MODELS.md §2.2, design notes §5.2): channels are split into blocks of
// kLanes that run on the pool; inside a block the N states of every lane stay in registers/L1
// across the whole time loop and all lanes advance together, so exp() is vectorised across
// channels rather than across d_state (ggml's limitation). Included once per ISA.
#pragma once

#include <algorithm>
#include <vector>

#include "dnassm/backend.h"
#include "dnassm/thread_pool.h"
#include "simd_math.h"

namespace dnassm::cpu {

template <int kLanes>
void selective_scan_blocks(const SelectiveScanArgs& a) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    const std::int64_t n_blocks = (a.E + kLanes - 1) / kLanes;
    const std::int64_t N = a.N;

    parallel_for(n_blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
        std::vector<F> A(N), s(N);
        for (std::int64_t blk = b0; blk < b1; ++blk) {
            const std::int64_t e0 = blk * kLanes;
            const int lanes = static_cast<int>(std::min<std::int64_t>(kLanes, a.E - e0));
            const bool full = lanes == kLanes;
            // Gather per-lane constants; padded lanes get harmless values and are never stored.
            alignas(64) float tmp[kLanes];
            for (std::int64_t n = 0; n < N; ++n) {
                for (int l = 0; l < kLanes; ++l) tmp[l] = l < lanes ? a.A[(e0 + l) * N + n] : -1.0f;
                A[n] = simd::load<F>(tmp);
                for (int l = 0; l < kLanes; ++l)
                    tmp[l] = (l < lanes && a.state) ? a.state[(e0 + l) * N + n] : 0.0f;
                s[n] = simd::load<F>(tmp);
            }
            auto gather = [&](const float* base, std::int64_t ld, std::int64_t t, float fill) {
                if (full) return simd::load<F>(base + t * ld + e0);
                for (int l = 0; l < kLanes; ++l) tmp[l] = l < lanes ? base[t * ld + e0 + l] : fill;
                return simd::load<F>(tmp);
            };
            F Dv = simd::splat<F>(0.0f), bias = simd::splat<F>(0.0f);
            for (int l = 0; l < kLanes; ++l) tmp[l] = (l < lanes && a.D) ? a.D[e0 + l] : 0.0f;
            Dv = simd::load<F>(tmp);
            for (int l = 0; l < kLanes; ++l)
                tmp[l] = (l < lanes && a.delta_bias) ? a.delta_bias[e0 + l] : 0.0f;
            bias = simd::load<F>(tmp);

            for (std::int64_t t = 0; t < a.L; ++t) {
                F dt = gather(a.delta, a.ld_delta, t, 0.0f) + bias;
                if (a.delta_softplus) dt = simd::softplus<F, I>(dt);
                const F u = gather(a.u, a.ld_u, t, 0.0f);
                const F du = dt * u;
                const float* Bt = a.B + t * a.ld_B;
                const float* Ct = a.C + t * a.ld_C;
                F y = Dv * u;
                for (std::int64_t n = 0; n < N; ++n) {
                    const F dA = simd::exp<F, I>(dt * A[n]);
                    s[n] = dA * s[n] + du * Bt[n];
                    y += s[n] * Ct[n];
                }
                if (a.z) y *= simd::silu<F, I>(gather(a.z, a.ld_z, t, 0.0f));
                float* out = a.y + t * a.ld_y + e0;
                if (full) {
                    simd::store<F>(out, y);
                } else {
                    simd::store<F>(tmp, y);
                    for (int l = 0; l < lanes; ++l) out[l] = tmp[l];
                }
            }
            if (a.state) {
                for (std::int64_t n = 0; n < N; ++n) {
                    simd::store<F>(tmp, s[n]);
                    for (int l = 0; l < lanes; ++l) a.state[(e0 + l) * N + n] = tmp[l];
                }
            }
        }
    });
}

}  // namespace dnassm::cpu
