// Fast selective-scan backward (MODELS.md §4.3) for training, vectorised like the forward kernel:
// kLanes channels per vector, so every per-channel quantity (du, dΔ, dD, dA, the adjoint λ) is a
// lane and nothing needs a horizontal sum inside the time loop. The forward states are not kept
// for all of L: the forward sweep stores one state every kChunk steps, and the reverse sweep
// recomputes each chunk's states from its checkpoint into a small buffer (cache resident).
// dB and dC sum over channels: each fixed group of channels writes its own partial sums, added
// afterwards in group order, so the result does not depend on the thread count.
// Included once per ISA.
#pragma once

#include <algorithm>
#include <vector>

#include "dnassm/thread_pool.h"

#include "backward.h"
#include "simd_math.h"

namespace dnassm::cpu {

template <int kLanes>
void selective_scan_backward_lanes(const SelectiveScanArgs& a, const SelectiveScanGrads& g) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    constexpr std::int64_t kChunk = 64;
    constexpr std::int64_t kBlocksPerGroup = 4;  // fixed: partial sums must not follow threads
    constexpr float kLog2e = 1.44269504088896341f;
    const std::int64_t L = a.L, E = a.E, N = a.N;
    const std::int64_t n_blocks = (E + kLanes - 1) / kLanes;
    const std::int64_t n_groups = (n_blocks + kBlocksPerGroup - 1) / kBlocksPerGroup;
    const std::int64_t n_chunks = (L + kChunk - 1) / kChunk;
    const bool want_B = g.dB != nullptr, want_C = g.dC != nullptr;
    std::vector<float> partial_B(want_B ? static_cast<size_t>(n_groups * L * N) : 0);
    std::vector<float> partial_C(want_C ? static_cast<size_t>(n_groups * L * N) : 0);

    parallel_for(n_groups, 1, [&](std::int64_t g0, std::int64_t g1) {
        std::vector<F> checkpoints(static_cast<size_t>((n_chunks + 1) * N));
        std::vector<F> s(static_cast<size_t>((kChunk + 1) * N)), y(static_cast<size_t>(kChunk));
        std::vector<F> pB(want_B ? static_cast<size_t>(L * N) : 0);
        std::vector<F> pC(want_C ? static_cast<size_t>(L * N) : 0);
        std::vector<F> A2(static_cast<size_t>(N)), A(static_cast<size_t>(N)),
            lam(static_cast<size_t>(N)), dA(static_cast<size_t>(N));
        alignas(64) float tmp[kLanes];

        for (std::int64_t grp = g0; grp < g1; ++grp) {
            std::fill(pB.begin(), pB.end(), F{});
            std::fill(pC.begin(), pC.end(), F{});
            const std::int64_t blk_end = std::min(n_blocks, (grp + 1) * kBlocksPerGroup);
            for (std::int64_t blk = grp * kBlocksPerGroup; blk < blk_end; ++blk) {
                const std::int64_t e0 = blk * kLanes;
                const int lanes = static_cast<int>(std::min<std::int64_t>(kLanes, E - e0));
                auto gather = [&](const float* base, float pad) {
                    for (int l = 0; l < kLanes; ++l) tmp[l] = l < lanes && base ? base[l] : pad;
                    return simd::load<F>(tmp);
                };
                auto row = [&](const float* base, std::int64_t t, std::int64_t ld) {
                    if (lanes == kLanes) return simd::load<F>(base + t * ld + e0);
                    return gather(base + t * ld + e0, 0.0f);
                };
                auto scatter_add = [&](float* base, F v) {
                    if (!base) return;
                    simd::store<F>(tmp, v);
                    for (int l = 0; l < lanes; ++l) base[l] += tmp[l];
                };
                for (std::int64_t n = 0; n < N; ++n) {
                    for (int l = 0; l < kLanes; ++l)
                        tmp[l] = l < lanes ? a.A[(e0 + l) * N + n] : -1.0f;
                    A[n] = simd::load<F>(tmp);
                    A2[n] = A[n] * kLog2e;
                    for (int l = 0; l < kLanes; ++l)
                        tmp[l] = l < lanes && a.state ? a.state[(e0 + l) * N + n] : 0.0f;
                    checkpoints[n] = simd::load<F>(tmp);
                    for (int l = 0; l < kLanes; ++l)
                        tmp[l] =
                            l < lanes && g.dstate_final ? g.dstate_final[(e0 + l) * N + n] : 0.0f;
                    lam[n] = simd::load<F>(tmp);
                }
                const F Dv = gather(a.D ? a.D + e0 : nullptr, 0.0f);
                const F bias = gather(a.delta_bias ? a.delta_bias + e0 : nullptr, 0.0f);
                auto delta_at = [&](std::int64_t t) {
                    const F raw = row(a.delta, t, a.ld_delta) + bias;
                    return a.delta_softplus ? simd::softplus<F, I>(raw) : raw;
                };
                // s_{t+1} = exp(Δ_t A) s_t + Δ_t u_t B_t, from `state` at t0 for `count` steps;
                // stores s_{t0..t0+count} into `out` and the ungated outputs into y.
                auto forward = [&](std::int64_t t0, std::int64_t count, F* out, bool keep) {
                    for (std::int64_t t = t0; t < t0 + count; ++t) {
                        const F dt = delta_at(t), u = row(a.u, t, a.ld_u), du = dt * u;
                        const float* Bt = a.B + t * a.ld_B;
                        const float* Ct = a.C + t * a.ld_C;
                        F* prev = keep ? out + (t - t0) * N : out;
                        F* next = keep ? prev + N : out;
                        F yt = Dv * u;
                        for (std::int64_t n = 0; n < N; ++n) {
                            const F sn =
                                simd::exp2_nonpositive<F, I>(dt * A2[n]) * prev[n] + du * Bt[n];
                            next[n] = sn;
                            yt += sn * Ct[n];
                        }
                        if (keep) y[static_cast<size_t>(t - t0)] = yt;
                    }
                };
                {  // checkpoints[c] = state entering chunk c
                    std::vector<F> run(checkpoints.begin(), checkpoints.begin() + N);
                    for (std::int64_t c = 0; c + 1 < n_chunks; ++c) {
                        forward(c * kChunk, kChunk, run.data(), false);
                        std::copy(run.begin(), run.end(), checkpoints.begin() + (c + 1) * N);
                    }
                }
                F dD{}, dbias{};
                std::fill(dA.begin(), dA.end(), F{});
                for (std::int64_t c = n_chunks - 1; c >= 0; --c) {
                    const std::int64_t t0 = c * kChunk, count = std::min(kChunk, L - t0);
                    std::copy(checkpoints.begin() + c * N, checkpoints.begin() + (c + 1) * N,
                              s.begin());
                    forward(t0, count, s.data(), true);
                    for (std::int64_t t = t0 + count - 1; t >= t0; --t) {
                        const F dt = delta_at(t), u = row(a.u, t, a.ld_u);
                        const F dout = row(g.dy, t, a.ld_y);
                        F gt = dout;
                        if (a.z) {
                            const F z = row(a.z, t, a.ld_z);
                            const F sz = 1.0f / (1.0f + simd::exp<F, I>(-z));
                            gt = dout * z * sz;
                            if (g.dz) {
                                const F yt = y[static_cast<size_t>(t - t0)];
                                scatter_add(g.dz + t * a.ld_z + e0,
                                            dout * yt * sz * (1.0f + z * (1.0f - sz)));
                            }
                        }
                        dD += gt * u;
                        const float* Bt = a.B + t * a.ld_B;
                        const float* Ct = a.C + t * a.ld_C;
                        const F* prev = s.data() + (t - t0) * N;
                        const F* next = prev + N;
                        const F dtu = dt * u;
                        F dacc_u{}, dacc_d{};
                        F* pBt = want_B ? pB.data() + t * N : nullptr;
                        F* pCt = want_C ? pC.data() + t * N : nullptr;
                        for (std::int64_t n = 0; n < N; ++n) {
                            const F at = simd::exp2_nonpositive<F, I>(dt * A2[n]);
                            const F l = lam[n] + Ct[n] * gt;  // λ_t
                            const F w = l * at * prev[n];
                            dacc_u += l * Bt[n];
                            dacc_d += l * Bt[n] * u + A[n] * w;
                            dA[n] += dt * w;
                            if (pBt) pBt[n] += l * dtu;
                            if (pCt) pCt[n] += gt * next[n];
                            lam[n] = l * at;
                        }
                        scatter_add(g.du ? g.du + t * a.ld_u + e0 : nullptr, Dv * gt + dt * dacc_u);
                        // d softplus(raw)/d raw = sigmoid(raw) = 1 - exp(-softplus(raw)).
                        const F draw =
                            a.delta_softplus ? dacc_d * (1.0f - simd::exp<F, I>(-dt)) : dacc_d;
                        scatter_add(g.ddelta ? g.ddelta + t * a.ld_delta + e0 : nullptr, draw);
                        dbias += draw;
                    }
                }
                for (std::int64_t n = 0; n < N; ++n) {
                    simd::store<F>(tmp, dA[n]);
                    if (g.dA)
                        for (int l = 0; l < lanes; ++l) g.dA[(e0 + l) * N + n] += tmp[l];
                    simd::store<F>(tmp, lam[n]);
                    if (g.dstate_init)
                        for (int l = 0; l < lanes; ++l) g.dstate_init[(e0 + l) * N + n] += tmp[l];
                }
                scatter_add(g.dD ? g.dD + e0 : nullptr, dD);
                scatter_add(g.ddelta_bias ? g.ddelta_bias + e0 : nullptr, dbias);
            }
            auto collapse = [&](const std::vector<F>& from, std::vector<float>& to) {
                float* dst = to.data() + grp * L * N;
                for (std::int64_t i = 0; i < L * N; ++i) {
                    simd::store<F>(tmp, from[static_cast<size_t>(i)]);
                    float sum = 0.0f;
                    for (int l = 0; l < kLanes; ++l) sum += tmp[l];
                    dst[i] = sum;
                }
            };
            if (want_B) collapse(pB, partial_B);
            if (want_C) collapse(pC, partial_C);
        }
    });
    for (std::int64_t grp = 0; grp < n_groups; ++grp)
        for (std::int64_t t = 0; t < L; ++t)
            for (std::int64_t n = 0; n < N; ++n) {
                const size_t i = static_cast<size_t>((grp * L + t) * N + n);
                if (want_B) g.dB[t * a.ld_B + n] += partial_B[i];
                if (want_C) g.dC[t * a.ld_C + n] += partial_C[i];
            }
}

}  // namespace dnassm::cpu
