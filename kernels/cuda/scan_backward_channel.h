// The selective-scan backward of one channel over one chunk of time (MODELS.md §4.3), written once
// for the CUDA kernels that run it a thread per channel (cuda_backward.cu) and for the CPU tests
// that check its arithmetic against the reference backward on machines without a GPU.
//
// The thread keeps its channel's N states, adjoints μ and dA sums in registers. It recomputes the
// chunk's states forward from the chunk's entry state, keeping a checkpoint every kSub steps,
// then for each kSub-step block, last first, recomputes the block's states and sweeps it in
// reverse. What is summed over channels (dB, dC) goes to a Sink, per step:
//   sink.step(k, vB, vC)        k = t − tb; vB[n] = λ·δ·u and vC[n] = g·s_t of this channel
//   sink.end_block(tb, steps)   after the steps of block [tb, tb + steps)
// Every thread of a block makes the same calls (a channel past E passes zeros), so a Sink may
// synchronise the block.
#pragma once

#include <cmath>
#include <cstdint>

#include "dnassm/backend.h"

#include "../common/scalar_math.h"

// Loops over the N states are unrolled in device code so the per-state arrays stay in registers.
#if defined(__CUDA_ARCH__)
#define DNASSM_UNROLL _Pragma("unroll")
#else
#define DNASSM_UNROLL
#endif

namespace dnassm::cuda {

struct ChannelScanBackward {
    static constexpr int kSub = 16;             // steps recomputed and swept at once
    static constexpr int kMaxCheckpoints = 32;  // => chunk <= kSub · kMaxCheckpoints
    static constexpr int kThreads = 128;        // channels per block
};

/// d loss / d y before the SiLU(z) gate at (t, e).
DNASSM_HD inline float scan_gated_grad(const SelectiveScanArgs& a,
                                       const float* dy,
                                       std::int64_t t,
                                       std::int64_t e) {
    const float dout = dy[t * a.ld_y + e];
    if (!a.z) return dout;
    const float z = a.z[t * a.ld_z + e];
    return dout * z * math::sigmoid(z);
}

/// The channel's inputs at one step.
struct ScanStep {
    float raw = 0, dt = 0, u = 0;
};

DNASSM_HD inline ScanStep scan_step_inputs(const SelectiveScanArgs& a,
                                           std::int64_t t,
                                           std::int64_t e,
                                           float bias) {
    ScanStep s;
    s.raw = a.delta[t * a.ld_delta + e] + bias;
    s.dt = a.delta_softplus ? math::softplus(s.raw) : s.raw;
    s.u = a.u[t * a.ld_u + e];
    return s;
}

/// Pass B1 for one channel: the adjoint carry μ a chunk [t0, t1) passes to the chunk before it
/// when nothing enters it from the chunk after (λ_t = C_t·g_t + μ_t, μ_{t−1} = a_t·λ_t from
/// μ = 0), into reach[0, N).
template <int kMaxN>
DNASSM_HD void channel_back_reach(const SelectiveScanArgs& a,
                                  const float* dy,
                                  std::int64_t e,
                                  std::int64_t t0,
                                  std::int64_t t1,
                                  float* reach) {
    const int N = static_cast<int>(a.N);
    const float bias = a.delta_bias ? a.delta_bias[e] : 0.0f;
    float A[kMaxN], mu[kMaxN];
    DNASSM_UNROLL
    for (int n = 0; n < kMaxN; ++n) {
        A[n] = n < N ? a.A[e * N + n] : 0.0f;
        mu[n] = 0.0f;
    }
    for (std::int64_t t = t1 - 1; t >= t0; --t) {
        const float g = scan_gated_grad(a, dy, t, e);
        const float dt = scan_step_inputs(a, t, e, bias).dt;
        DNASSM_UNROLL
        for (int n = 0; n < kMaxN; ++n) {
            const float Cn = n < N ? a.C[t * a.ld_C + n] : 0.0f;
            mu[n] = expf(dt * A[n]) * (mu[n] + Cn * g);
        }
    }
    for (int n = 0; n < N; ++n) reach[n] = mu[n];
}

/// Pass B3 for one channel e over the chunk [t0, t1): adds du, ddelta and dz at every step,
/// sets the chunk's partial sums dA_out[0, N), *dD_out and *dbias_out (null: not wanted), and
/// hands the per-step dB/dC contributions to the sink. `entry` holds the state before t0 and
/// `exit_carry` the adjoint μ entering from after t1 (N values each). live = false (a thread
/// past the last channel): no reads or writes of the channel's data, zeros to the sink.
template <int kMaxN, class Sink>
DNASSM_HD void channel_scan_backward(const SelectiveScanArgs& a,
                                     const SelectiveScanGrads& g,
                                     std::int64_t e,
                                     bool live,
                                     std::int64_t t0,
                                     std::int64_t t1,
                                     const float* entry,
                                     const float* exit_carry,
                                     float* dA_out,
                                     float* dD_out,
                                     float* dbias_out,
                                     Sink& sink) {
    constexpr int kSub = ChannelScanBackward::kSub;
    const int N = static_cast<int>(a.N);
    const float bias = live && a.delta_bias ? a.delta_bias[e] : 0.0f;
    const float Dd = live && a.D ? a.D[e] : 0.0f;
    float A[kMaxN], s[kMaxN], mu[kMaxN], dA[kMaxN];
    DNASSM_UNROLL
    for (int n = 0; n < kMaxN; ++n) {
        const bool has = live && n < N;
        A[n] = has ? a.A[e * N + n] : 0.0f;
        s[n] = has ? entry[n] : 0.0f;
        mu[n] = has ? exit_carry[n] : 0.0f;
        dA[n] = 0.0f;
    }
    // s ← the state after step t.
    auto advance = [&](std::int64_t t) {
        if (!live) return;
        const ScanStep in = scan_step_inputs(a, t, e, bias);
        DNASSM_UNROLL
        for (int n = 0; n < kMaxN; ++n) {
            const float Bn = n < N ? a.B[t * a.ld_B + n] : 0.0f;
            s[n] = expf(in.dt * A[n]) * s[n] + in.dt * Bn * in.u;
        }
    };
    float ckpt[ChannelScanBackward::kMaxCheckpoints][kMaxN];
    const std::int64_t n_sub = (t1 - t0 + kSub - 1) / kSub;
    for (std::int64_t sb = 0; sb < n_sub; ++sb) {
        DNASSM_UNROLL
        for (int n = 0; n < kMaxN; ++n) ckpt[sb][n] = s[n];
        for (std::int64_t t = t0 + sb * kSub; t < t1 && t < t0 + (sb + 1) * kSub; ++t) advance(t);
    }

    float hist[kSub][kMaxN];  // hist[k] = the state after step tb + k
    float dD = 0.0f, dbias = 0.0f;
    for (std::int64_t sb = n_sub - 1; sb >= 0; --sb) {
        const std::int64_t tb = t0 + sb * kSub;
        const int steps = static_cast<int>(t1 - tb < kSub ? t1 - tb : kSub);
        DNASSM_UNROLL
        for (int n = 0; n < kMaxN; ++n) s[n] = ckpt[sb][n];
        for (int k = 0; k < steps; ++k) {
            advance(tb + k);
            DNASSM_UNROLL
            for (int n = 0; n < kMaxN; ++n) hist[k][n] = s[n];
        }
        for (int k = steps - 1; k >= 0; --k) {
            const std::int64_t t = tb + k;
            const float* st = hist[k];
            const float* prev = k > 0 ? hist[k - 1] : ckpt[sb];
            ScanStep in;
            float dout = 0.0f;
            if (live) {
                in = scan_step_inputs(a, t, e, bias);
                dout = g.dy[t * a.ld_y + e];
            }
            float Cn[kMaxN];
            float y = Dd * in.u;
            DNASSM_UNROLL
            for (int n = 0; n < kMaxN; ++n) {
                Cn[n] = n < N ? a.C[t * a.ld_C + n] : 0.0f;
                y += Cn[n] * st[n];
            }
            float gt = dout;
            if (live && a.z) {
                const float z = a.z[t * a.ld_z + e], sz = math::sigmoid(z);
                gt = dout * z * sz;
                if (g.dz) g.dz[t * a.ld_z + e] += dout * y * sz * (1.0f + z * (1.0f - sz));
            }
            float du = Dd * gt, dd = 0.0f;
            float vB[kMaxN], vC[kMaxN];
            DNASSM_UNROLL
            for (int n = 0; n < kMaxN; ++n) {
                const float Bn = n < N ? a.B[t * a.ld_B + n] : 0.0f;
                const float at = expf(in.dt * A[n]);
                const float lam = mu[n] + Cn[n] * gt;
                du += lam * in.dt * Bn;
                dd += lam * (Bn * in.u + A[n] * at * prev[n]);
                dA[n] += lam * in.dt * at * prev[n];
                vB[n] = lam * in.dt * in.u;
                vC[n] = gt * st[n];
                mu[n] = at * lam;
            }
            if (live) {
                if (g.du) g.du[t * a.ld_u + e] += du;
                const float draw =
                    a.delta_softplus && in.raw <= 20.0f ? dd * math::sigmoid(in.raw) : dd;
                if (g.ddelta) g.ddelta[t * a.ld_delta + e] += draw;
                dbias += draw;
                dD += gt * in.u;
            }
            sink.step(k, vB, vC);
        }
        sink.end_block(tb, steps);
    }
    if (!live) return;
    if (dA_out)
        for (int n = 0; n < N; ++n) dA_out[n] = dA[n];
    if (dD_out) *dD_out = dD;
    if (dbias_out) *dbias_out = dbias;
}

}  // namespace dnassm::cuda
