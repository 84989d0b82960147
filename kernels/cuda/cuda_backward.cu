// CUDA backward kernels (issue C2): the CPU backward ops' arithmetic in fp32, with every sum
// over time or channels done in a fixed order (no atomics), so a run repeats bit for bit.
#include <algorithm>

#include "dnassm/error.h"

#include "../common/adamw_math.h"
#include "cuda_backward.h"
#include "cuda_ops.h"
#include "device_math.cuh"
#include "scan_backward_channel.h"

namespace dnassm::cuda {

namespace {

using namespace detail;

// ---- selective scan backward (plan in launch_plan.h)

struct ScanBwdView {
    SelectiveScanArgs a;
    SelectiveScanGrads g;
    std::int64_t chunk, n_chunks;
};

// Pass B1: per (channel, chunk) the carry a chunk passes to the one before it when nothing
// enters it from the one after: λ_t = C_t·g_t + μ_t, μ_{t−1} = a_t·λ_t, from μ = 0.
__global__ void scan_bwd_summaries(ScanBwdView v, float* back_reach) {
    const SelectiveScanArgs& a = v.a;
    const int lane = threadIdx.x & 31;
    const std::int64_t e =
        static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    const std::int64_t c = blockIdx.y;
    if (e >= a.E || lane >= a.N) return;
    const float An = a.A[e * a.N + lane];
    const std::int64_t t0 = c * v.chunk, t1 = min(a.L, t0 + v.chunk);
    float mu = 0.0f;
    for (std::int64_t t = t1 - 1; t >= t0; --t) {
        const float lam = mu + a.C[t * a.ld_C + lane] * scan_gated_grad(a, v.g.dy, t, e);
        mu = expf(scan_delta(a, t, e) * An) * lam;
    }
    back_reach[(c * a.E + e) * a.N + lane] = mu;
}

// Pass B2: the carry entering every chunk from the one after it (sequential over chunks, last
// first, seeded with d/d final state); what leaves the first chunk is d/d initial state.
__global__ void scan_bwd_carry(ScanBwdView v,
                               const float* back_reach,
                               const float* decay,
                               float* exit_carry) {
    const SelectiveScanArgs& a = v.a;
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.E * a.N) return;
    float mu = v.g.dstate_final ? v.g.dstate_final[i] : 0.0f;
    for (std::int64_t c = v.n_chunks - 1; c >= 0; --c) {
        const std::int64_t k = c * a.E * a.N + i;
        exit_carry[k] = mu;
        mu = back_reach[k] + decay[k] * mu;
    }
    if (v.g.dstate_init) v.g.dstate_init[i] += mu;
}

struct ScanBwdOut {
    float *dA, *dD, *dbias, *dB, *dC;  // partials (null when not wanted)
    std::int64_t c_begin, seg_t0, seg_len;
};

// Pass B3: one block = kWarps channels of one chunk; warp = channel, lane = state n. States are
// recomputed forward from the chunk's entry state, checkpointed every kSub steps, then each
// sub-block's states are recomputed into shared memory and swept in reverse.
__global__ void scan_bwd_grads(ScanBwdView v,
                               const float* entry,
                               const float* exit_carry,
                               ScanBwdOut out) {
    constexpr int kW = ScanBackwardPlan::kWarps, kSub = ScanBackwardPlan::kSub;
    __shared__ float ckpt[kW][ScanBackwardPlan::kCheckpoints][32];
    __shared__ float hist[kW][kSub][32];
    __shared__ float red_b[kW][32], red_c[kW][32];
    const SelectiveScanArgs& a = v.a;
    const SelectiveScanGrads& g = v.g;
    const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * kW + warp;
    const std::int64_t c = out.c_begin + blockIdx.y;
    // Every warp runs every step (block-wide syncs below); idle ones compute zeros.
    const bool chan = e < a.E, live = chan && lane < a.N;
    const std::int64_t t0 = c * v.chunk, t1 = min(a.L, t0 + v.chunk);
    const std::int64_t n_sub = (t1 - t0 + kSub - 1) / kSub;
    const float An = live ? a.A[e * a.N + lane] : 0.0f;
    const float Dd = chan && a.D ? a.D[e] : 0.0f;
    const std::int64_t k_state = (c * a.E + e) * a.N + lane;

    auto step = [&](std::int64_t t, float s) {
        if (!live) return 0.0f;
        const float dt = scan_delta(a, t, e);
        return expf(dt * An) * s + dt * a.u[t * a.ld_u + e] * a.B[t * a.ld_B + lane];
    };
    float s = live ? entry[k_state] : 0.0f;
    for (std::int64_t sb = 0; sb < n_sub; ++sb) {
        ckpt[warp][sb][lane] = s;
        const std::int64_t tb = t0 + sb * kSub, te = min(t1, tb + kSub);
        for (std::int64_t t = tb; t < te; ++t) s = step(t, s);
    }

    float mu = live ? exit_carry[k_state] : 0.0f;
    float dA = 0.0f, dD = 0.0f, dbias = 0.0f;
    for (std::int64_t sb = n_sub - 1; sb >= 0; --sb) {
        const std::int64_t tb = t0 + sb * kSub, te = min(t1, tb + kSub);
        s = ckpt[warp][sb][lane];
        for (std::int64_t t = tb; t < te; ++t) {
            s = step(t, s);
            hist[warp][t - tb][lane] = s;
        }
        for (std::int64_t t = te - 1; t >= tb; --t) {
            const float st = hist[warp][t - tb][lane];
            const float prev = t > tb ? hist[warp][t - tb - 1][lane] : ckpt[warp][sb][lane];
            float dt = 0.0f, u = 0.0f, dout = 0.0f, Bt = 0.0f, Ct = 0.0f;
            if (chan) {
                dt = scan_delta(a, t, e);
                u = a.u[t * a.ld_u + e];
                dout = g.dy[t * a.ld_y + e];
            }
            if (live) {
                Bt = a.B[t * a.ld_B + lane];
                Ct = a.C[t * a.ld_C + lane];
            }
            const float y = warp_sum(Ct * st) + Dd * u;
            float gt = dout;
            if (chan && a.z) {
                const float z = a.z[t * a.ld_z + e], sz = sigmoid(z);
                gt = dout * z * sz;
                if (g.dz && lane == 0)
                    g.dz[t * a.ld_z + e] += dout * y * sz * (1.0f + z * (1.0f - sz));
            }
            const float at = live ? expf(dt * An) : 0.0f;
            const float lam = live ? mu + Ct * gt : 0.0f;
            const float du = warp_sum(lam * dt * Bt) + Dd * gt;
            const float dd = warp_sum(lam * (Bt * u + An * at * prev));
            dA += lam * dt * at * prev;
            if (chan && lane == 0) {
                if (g.du) g.du[t * a.ld_u + e] += du;
                const float raw =
                    a.delta[t * a.ld_delta + e] + (a.delta_bias ? a.delta_bias[e] : 0.0f);
                const float draw = a.delta_softplus && raw <= 20.0f ? dd * sigmoid(raw) : dd;
                if (g.ddelta) g.ddelta[t * a.ld_delta + e] += draw;
                dbias += draw;
                dD += gt * u;
            }
            red_b[warp][lane] = lam * dt * u;
            red_c[warp][lane] = live ? gt * st : 0.0f;
            __syncthreads();
            if (warp == 0 && lane < a.N) {
                float sum_b = 0.0f, sum_c = 0.0f;
                for (int w = 0; w < kW; ++w) {
                    sum_b += red_b[w][lane];
                    sum_c += red_c[w][lane];
                }
                const std::int64_t k =
                    (static_cast<std::int64_t>(blockIdx.x) * out.seg_len + (t - out.seg_t0)) * a.N +
                    lane;
                if (out.dB) out.dB[k] = sum_b;
                if (out.dC) out.dC[k] = sum_c;
            }
            __syncthreads();
            mu = at * lam;
        }
    }
    if (live && out.dA) out.dA[k_state] = dA;
    if (chan && lane == 0) {
        if (out.dD) out.dD[c * a.E + e] = dD;
        if (out.dbias) out.dbias[c * a.E + e] = dbias;
    }
}

// ---- the thread-per-channel variant (ScanBackwardPlan::per_channel): a thread runs
// channel_scan_backward (scan_backward_channel.h) for its channel; dB and dC are summed over a
// warp's channels with shuffles, over the block's warps in shared memory.

// Sums 32 values over the warp's lanes, lane l getting the total of v[l]: a butterfly of halving
// exchanges (31 shuffles for 32 sums, in a fixed order).
__device__ __forceinline__ float warp_reduce_scatter(float (&v)[32]) {
    const int lane = threadIdx.x & 31;
#pragma unroll
    for (int half = 16; half >= 1; half >>= 1) {
        const bool upper = (lane & half) != 0;
#pragma unroll
        for (int i = 0; i < half; ++i) {
            const float send = upper ? v[i] : v[i + half];
            const float keep = upper ? v[i + half] : v[i];
            v[i] = keep + __shfl_xor_sync(0xffffffffu, send, half);
        }
    }
    return v[0];
}

constexpr int kChannelWarps = ChannelScanBackward::kThreads / 32;

// The block's dB/dC partials of one kSub-step block: per step, the warp sums over its channels
// land in red[warp][k][j] (j < kMaxN: dB[n = j], else dC[n = j − kMaxN]); end_block adds the
// warps in order and writes the channel block's partial rows.
template <int kMaxN>
struct BlockSink {
    static constexpr int kVals = 2 * kMaxN;
    float (*red)[ChannelScanBackward::kSub][kVals];
    const SelectiveScanArgs& a;
    const ScanBwdOut& out;
    std::int64_t block;

    __device__ __forceinline__ void step(int k,
                                         const float (&vB)[kMaxN],
                                         const float (&vC)[kMaxN]) {
        float v[kVals];
#pragma unroll
        for (int n = 0; n < kMaxN; ++n) {
            v[n] = vB[n];
            v[kMaxN + n] = vC[n];
        }
        const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
#pragma unroll
        for (int q = 0; q < kVals / 32; ++q) {
            float part[32];
#pragma unroll
            for (int i = 0; i < 32; ++i) part[i] = v[32 * q + i];
            red[warp][k][32 * q + lane] = warp_reduce_scatter(part);
        }
    }
    __device__ void end_block(std::int64_t tb, int steps) {
        __syncthreads();
        const std::int64_t N = a.N;
        for (int i = threadIdx.x; i < steps * kVals; i += blockDim.x) {
            const int k = i / kVals, j = i % kVals;
            const bool is_b = j < kMaxN;
            const int n = is_b ? j : j - kMaxN;
            float* dst = is_b ? out.dB : out.dC;
            if (n >= N || !dst) continue;
            float sum = 0.0f;
            for (int w = 0; w < kChannelWarps; ++w) sum += red[w][k][j];
            dst[(block * out.seg_len + (tb + k - out.seg_t0)) * N + n] = sum;
        }
        __syncthreads();  // red is refilled by the next block of steps
    }
};

template <int kMaxN>
__global__ void __launch_bounds__(ChannelScanBackward::kThreads)
    scan_bwd_channel_reach(ScanBwdView v, float* back_reach) {
    const SelectiveScanArgs& a = v.a;
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const std::int64_t c = blockIdx.y;
    if (e >= a.E) return;
    const std::int64_t t0 = c * v.chunk, t1 = min(a.L, t0 + v.chunk);
    channel_back_reach<kMaxN>(a, v.g.dy, e, t0, t1, back_reach + (c * a.E + e) * a.N);
}

template <int kMaxN>
__global__ void __launch_bounds__(ChannelScanBackward::kThreads) scan_bwd_channel_grads(
    ScanBwdView v, const float* entry, const float* exit_carry, ScanBwdOut out) {
    __shared__ float red[kChannelWarps][ChannelScanBackward::kSub][2 * kMaxN];
    const SelectiveScanArgs& a = v.a;
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const std::int64_t c = out.c_begin + blockIdx.y;
    const bool live = e < a.E;
    const std::int64_t t0 = c * v.chunk, t1 = min(a.L, t0 + v.chunk);
    const std::int64_t k = (c * a.E + e) * a.N, ce = c * a.E + e;
    BlockSink<kMaxN> sink{red, a, out, blockIdx.x};
    channel_scan_backward<kMaxN>(
        a, v.g, e, live, t0, t1, live ? entry + k : nullptr, live ? exit_carry + k : nullptr,
        live && out.dA ? out.dA + k : nullptr, live && out.dD ? out.dD + ce : nullptr,
        live && out.dbias ? out.dbias + ce : nullptr, sink);
}

// out[i] += Σ_c part[c · count + i], parts (chunks of time, row parts) in order, summed as T.
template <typename T>
__global__ void sum_over_chunks(const T* part,
                                std::int64_t n_chunks,
                                std::int64_t count,
                                float* out) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    T acc = 0;
    for (std::int64_t c = 0; c < n_chunks; ++c) acc += part[c * count + i];
    out[i] += static_cast<float>(acc);
}

// out[(t0 + t)·ld + n] += Σ_b part[(b · seg_len + t) · N + n] for t < len, channel blocks in order.
__global__ void sum_over_channel_blocks(const float* part,
                                        std::int64_t blocks,
                                        std::int64_t seg_len,
                                        std::int64_t len,
                                        std::int64_t N,
                                        std::int64_t t0,
                                        float* out,
                                        std::int64_t ld) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= len * N) return;
    const std::int64_t t = i / N, n = i % N;
    float acc = 0.0f;
    for (std::int64_t b = 0; b < blocks; ++b) acc += part[(b * seg_len + t) * N + n];
    out[(t0 + t) * ld + n] += acc;
}

// ---- causal depthwise conv backward

__device__ float conv_input(const CausalConv1dArgs& a, std::int64_t src, std::int64_t e) {
    if (src >= 0) return a.x[src * a.ld_x + e];
    return a.state ? a.state[e * a.W + a.W + src] : 0.0f;
}

// d{L, E} = dy ⊙ act'(pre-activation).
__global__ void conv_bwd_pre(CausalConv1dArgs a, const float* dy, float* d) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.L * a.E) return;
    const std::int64_t t = i / a.E, e = i % a.E;
    float v = dy[t * a.ld_y + e];
    if (a.silu) {
        float pre = a.bias ? a.bias[e] : 0.0f;
        for (std::int64_t k = 0; k < a.W; ++k)
            pre += a.weight[e * a.W + k] * conv_input(a, t - (a.W - 1) + k, e);
        const float sg = sigmoid(pre);
        v *= sg * (1.0f + pre * (1.0f - sg));
    }
    d[i] = v;
}

// Input gradients gathered per input position src ∈ [−W, L): dx for src >= 0, the carried state's
// for src < 0. Each position is written by one thread.
__global__ void conv_bwd_input(CausalConv1dArgs a, const float* d, float* dx, float* dstate) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= (a.L + a.W) * a.E) return;
    const std::int64_t src = i / a.E - a.W, e = i % a.E;
    float acc = 0.0f;
    for (std::int64_t k = 0; k < a.W; ++k) {
        const std::int64_t t = src + (a.W - 1) - k;
        if (t >= 0 && t < a.L) acc += d[t * a.E + e] * a.weight[e * a.W + k];
    }
    if (src >= 0) {
        if (dx) dx[src * a.ld_x + e] += acc;
    } else if (dstate) {
        dstate[e * a.W + a.W + src] += acc;
    }
}

constexpr int kColPhases = 8;  // rows summed by each of 8 threads per column, then combined

// The column-sum kernels below run on a grid of (column blocks, row parts): block (x, y) sums the
// rows of part y (RowParts). With one part it adds its sums into the output; with several it
// writes them to part y's slice of the partials, which sum_over_chunks then adds in part order.
__device__ void part_rows(const RowParts& rp,
                          std::int64_t rows,
                          std::int64_t& r0,
                          std::int64_t& r1) {
    r0 = static_cast<std::int64_t>(blockIdx.y) * rp.rows_per_part;
    r1 = r0 + rp.rows_per_part < rows ? r0 + rp.rows_per_part : rows;
}

__device__ void put_part_sum(
    const RowParts& rp, float sum, float* out, float* partial, std::int64_t i, std::int64_t count) {
    if (rp.parts == 1)
        out[i] += sum;
    else
        partial[static_cast<std::int64_t>(blockIdx.y) * count + i] = sum;
}

dim3 part_grid(std::int64_t cols, const RowParts& rp) {
    return dim3(static_cast<unsigned>(blocks_for(cols, 32)), static_cast<unsigned>(rp.parts));
}

// Adds the parts' partial sums (count values each) into out, in part order.
void add_parts(
    const float* partial, const RowParts& rp, std::int64_t count, float* out, cudaStream_t s) {
    if (rp.parts > 1 && count > 0)
        sum_over_chunks<<<blocks_for(count), kThreads, 0, s>>>(partial, rp.parts, count, out);
}

// dweight[e, k] += Σ_t d[t, e] · input(t − (W−1) + k, e), dbias[e] += Σ_t d[t, e].
// Block = 32 channels × kColPhases row phases; partials {parts, E, W} then {parts, E}.
__global__ void conv_bwd_params(
    CausalConv1dArgs a, const float* d, RowParts rp, float* dweight, float* dbias, float* partial) {
    __shared__ float red[kColPhases][32][17];
    const int lane = threadIdx.x, ph = threadIdx.y;
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * 32 + lane;
    std::int64_t r0 = 0, r1 = 0;
    part_rows(rp, a.L, r0, r1);
    float acc[17] = {};
    if (e < a.E)
        for (std::int64_t t = r0 + ph; t < r1; t += kColPhases) {
            const float dv = d[t * a.E + e];
            acc[16] += dv;
            for (std::int64_t k = 0; k < a.W; ++k)
                acc[k] += dv * conv_input(a, t - (a.W - 1) + k, e);
        }
    for (int k = 0; k < 17; ++k) red[ph][lane][k] = acc[k];
    __syncthreads();
    if (ph != 0 || e >= a.E) return;
    for (std::int64_t k = 0; k < a.W; ++k) {
        float s = 0.0f;
        for (int p = 0; p < kColPhases; ++p) s += red[p][lane][k];
        if (dweight) put_part_sum(rp, s, dweight, partial, e * a.W + k, a.E * a.W);
    }
    if (dbias) {
        float s = 0.0f;
        for (int p = 0; p < kColPhases; ++p) s += red[p][lane][16];
        put_part_sum(rp, s, dbias, partial ? partial + rp.parts * a.E * a.W : nullptr, e, a.E);
    }
}

// ---- norms

// One block per row: dx, and the row's mean and rstd for the parameter pass.
__global__ void norm_bwd_rows(NormArgs a, const float* dy, float* dx, float* stats) {
    __shared__ float shm[33];
    const std::int64_t r = blockIdx.x, D = a.D;
    const float* x = a.x + r * D;
    const float* g = dy + r * D;
    const bool layer = a.kind == NormKind::kLayer;
    float part = 0.0f;
    if (layer)
        for (std::int64_t i = threadIdx.x; i < D; i += blockDim.x) part += x[i];
    const float mean = layer ? block_sum(part, shm) / static_cast<float>(D) : 0.0f;
    part = 0.0f;
    for (std::int64_t i = threadIdx.x; i < D; i += blockDim.x)
        part += (x[i] - mean) * (x[i] - mean);
    const float rstd = rsqrtf(block_sum(part, shm) / static_cast<float>(D) + a.eps);
    float pg = 0.0f, pgx = 0.0f;
    for (std::int64_t i = threadIdx.x; i < D; i += blockDim.x) {
        const float gx = g[i] * a.weight[i];
        pg += gx;
        pgx += gx * (x[i] - mean) * rstd;
    }
    const float sum_g = block_sum(pg, shm), sum_gx = block_sum(pgx, shm);
    const float inv_d = 1.0f / static_cast<float>(D);
    if (dx)
        for (std::int64_t i = threadIdx.x; i < D; i += blockDim.x) {
            const float gx = g[i] * a.weight[i], xhat = (x[i] - mean) * rstd;
            dx[r * D + i] += layer ? rstd * (gx - inv_d * sum_g - xhat * inv_d * sum_gx)
                                   : rstd * (gx - xhat * inv_d * sum_gx);
        }
    if (threadIdx.x == 0) {
        stats[2 * r] = mean;
        stats[2 * r + 1] = rstd;
    }
}

// dweight[i] += Σ_r dy·xhat, dbias[i] += Σ_r dy. Block = 32 columns × kColPhases row phases;
// partials {parts, D} for dweight, then {parts, D} for dbias.
__global__ void norm_bwd_params(NormArgs a,
                                const float* dy,
                                const float* stats,
                                RowParts rp,
                                float* dweight,
                                float* dbias,
                                float* partial) {
    __shared__ float red[2][kColPhases][32];
    const int lane = threadIdx.x, ph = threadIdx.y;
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * 32 + lane;
    std::int64_t r0 = 0, r1 = 0;
    part_rows(rp, a.rows, r0, r1);
    float sw = 0.0f, sb = 0.0f;
    if (i < a.D)
        for (std::int64_t r = r0 + ph; r < r1; r += kColPhases) {
            const float g = dy[r * a.D + i];
            sw += g * (a.x[r * a.D + i] - stats[2 * r]) * stats[2 * r + 1];
            sb += g;
        }
    red[0][ph][lane] = sw;
    red[1][ph][lane] = sb;
    __syncthreads();
    if (ph != 0 || i >= a.D) return;
    float tw = 0.0f, tb = 0.0f;
    for (int p = 0; p < kColPhases; ++p) {
        tw += red[0][p][lane];
        tb += red[1][p][lane];
    }
    if (dweight) put_part_sum(rp, tw, dweight, partial, i, a.D);
    if (dbias) put_part_sum(rp, tb, dbias, partial ? partial + rp.parts * a.D : nullptr, i, a.D);
}

// out[c] += Σ_r x[r·ld + c]. Block = 32 columns × kColPhases row phases; partials {parts, cols}.
__global__ void column_sums(const float* x,
                            std::int64_t rows,
                            std::int64_t cols,
                            std::int64_t ld,
                            RowParts rp,
                            float* out,
                            float* partial) {
    __shared__ float red[kColPhases][32];
    const int lane = threadIdx.x, ph = threadIdx.y;
    const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * 32 + lane;
    std::int64_t r0 = 0, r1 = 0;
    part_rows(rp, rows, r0, r1);
    float s = 0.0f;
    if (c < cols)
        for (std::int64_t r = r0 + ph; r < r1; r += kColPhases) s += x[r * ld + c];
    red[ph][lane] = s;
    __syncthreads();
    if (ph != 0 || c >= cols) return;
    float t = 0.0f;
    for (int p = 0; p < kColPhases; ++p) t += red[p][lane];
    put_part_sum(rp, t, out, partial, c, cols);
}

__global__ void gelu_bwd_kernel(const float* x_in, const float* dy, float* dx, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    constexpr float c = 0.7978845608028654f, k3 = 0.044715f;
    const float x = x_in[i], th = tanhf(c * (x + k3 * x * x * x));
    dx[i] +=
        dy[i] * (0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * c * (1.0f + 3.0f * k3 * x * x));
}

__global__ void hyena_gates_bwd_kernel(const float* uc,
                                       const float* dx0,
                                       const float* dw,
                                       std::int64_t n,
                                       std::int64_t D,
                                       float* duc) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n * D) return;
    const std::int64_t t = i / D, d = i % D;
    const float* u = uc + t * 3 * D;
    float* g = duc + t * 3 * D;
    const float gw = dw[i];
    g[d] += dx0[i];
    g[D + d] += gw * u[2 * D + d];
    g[2 * D + d] += gw * u[D + d];
}

// Block = 32 columns × kColPhases row phases over one part of kSinPart rows (blockIdx.y): dx,
// and the part's dfreq sums into partial{parts, cols}, in double.
__global__ void sin_bwd_kernel(const float* x,
                               const float* freq,
                               const float* dy,
                               std::int64_t rows,
                               std::int64_t cols,
                               float* dx,
                               double* partial) {
    __shared__ double red[kColPhases][32];
    const int lane = threadIdx.x, ph = threadIdx.y;
    const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * 32 + lane;
    const std::int64_t part = blockIdx.y;
    double acc = 0.0;
    if (c < cols) {
        const float f = freq[c];
        const std::int64_t end = min(rows, (part + 1) * kSinPart);
        for (std::int64_t r = part * kSinPart + ph; r < end; r += kColPhases) {
            const float xv = x[r * cols + c];
            const double g = static_cast<double>(dy[r * cols + c]) * cosf(f * xv);
            if (dx) dx[r * cols + c] += static_cast<float>(g * f);
            acc += g * xv;
        }
    }
    red[ph][lane] = acc;
    __syncthreads();
    if (ph != 0 || c >= cols || !partial) return;
    double sum = 0.0;
    for (int p = 0; p < kColPhases; ++p) sum += red[p][lane];
    partial[part * cols + c] = sum;
}

// dtable[v, d] += Σ_{t: ids[t] = v} dy[t, d] for V <= kEmbeddingBwdMaxV (the DNA vocabularies).
// Block = 32 columns × kColPhases row phases; each thread keeps its V sums in shared memory
// ([phase][v][lane], dynamic: kColPhases · V · 32 floats), so no two threads add to one place.
// Partials {parts, V, D}.
constexpr std::int64_t kEmbeddingBwdMaxV = 32;
__global__ void embedding_bwd_columns(
    EmbeddingArgs a, const float* dy, std::int64_t ld, RowParts rp, float* dtable, float* partial) {
    extern __shared__ float sums[];
    const int lane = threadIdx.x, ph = threadIdx.y;
    const std::int64_t d = static_cast<std::int64_t>(blockIdx.x) * 32 + lane;
    float* mine = sums + ph * a.V * 32 + lane;  // mine[v · 32]
    for (std::int64_t v = 0; v < a.V; ++v) mine[v * 32] = 0.0f;
    std::int64_t r0 = 0, r1 = 0;
    part_rows(rp, a.L, r0, r1);
    if (d < a.D)
        for (std::int64_t t = r0 + ph; t < r1; t += kColPhases)
            mine[a.ids[t] * 32] += dy[t * ld + d];
    __syncthreads();
    if (ph != 0 || d >= a.D) return;
    for (std::int64_t v = 0; v < a.V; ++v) {
        float s = 0.0f;
        for (int p = 0; p < kColPhases; ++p) s += sums[(p * a.V + v) * 32 + lane];
        put_part_sum(rp, s, dtable, partial, v * a.D + d, a.V * a.D);
    }
}

// The same for any V: a thread per table entry over all positions.
__global__ void embedding_bwd_kernel(EmbeddingArgs a,
                                     const float* dy,
                                     std::int64_t ld,
                                     float* dtable) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.V * a.D) return;
    const std::int64_t v = i / a.D, d = i % a.D;
    float acc = 0.0f;
    for (std::int64_t t = 0; t < a.L; ++t)
        if (a.ids[t] == v) acc += dy[t * ld + d];
    dtable[i] += acc;
}

// One thread per row t < L−1 (V is the DNA vocabulary: small).
__global__ void next_token_loss_kernel(const float* logits,
                                       std::int64_t L,
                                       std::int64_t V,
                                       const std::int32_t* ids,
                                       double* row_loss,
                                       float* dlogits) {
    const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= L) return;
    if (t == L - 1) {
        if (dlogits)
            for (std::int64_t v = 0; v < V; ++v) dlogits[t * V + v] = 0.0f;
        return;
    }
    const float* row = logits + t * V;
    double mx = row[0];
    for (std::int64_t v = 1; v < V; ++v) mx = fmax(mx, static_cast<double>(row[v]));
    double z = 0;
    for (std::int64_t v = 0; v < V; ++v) z += exp(row[v] - mx);
    const std::int32_t target = ids[t + 1];
    row_loss[t] = -(row[target] - mx - log(z));
    if (!dlogits) return;
    const double scale = 1.0 / static_cast<double>(L - 1);
    for (std::int64_t v = 0; v < V; ++v)
        dlogits[t * V + v] =
            static_cast<float>((exp(row[v] - mx) / z - (v == target ? 1.0 : 0.0)) * scale);
}

__global__ void adamw_kernel(AdamWArgs a) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < a.n) adamw_element(a, i);
}

// ---- Hyena long-conv backward pieces

// The kernels between [L, D] and [D, n] layouts go through shared-memory tiles (device_math.cuh).

// gg[d, j] = dy[j, d] * x0[j, d] for j < L, zero up to n.
__global__ void pad_gated_grad_kernel(HyenaConvArgs a, const float* dy, std::int64_t n, float* gg) {
    __shared__ float t_dy[kTile][kTile + 1], t_x0[kTile][kTile + 1];
    const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.x) * kTile,
                       d0 = static_cast<std::int64_t>(blockIdx.y) * kTile;
    load_tile(t_dy, dy, a.D, j0, a.L, d0, a.D);  // [j][d]
    load_tile(t_x0, a.x0, a.D, j0, a.L, d0, a.D);
    const int tx = threadIdx.x;
    for (int r = threadIdx.y; r < kTile; r += kTileRows) {
        const std::int64_t d = d0 + r, j = j0 + tx;
        if (d < a.D && j < n) gg[d * n + j] = t_dy[tx][r] * t_x0[tx][r];
    }
}

__global__ void complex_product_kernel(
    float2* out, const float2* p, const float2* q, std::int64_t count, bool conj_q) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const float2 x = p[i];
    const float2 y = conj_q ? make_float2(q[i].x, -q[i].y) : q[i];
    out[i] = make_float2(x.x * y.x - x.y * y.y, x.x * y.y + x.y * y.x);
}

// The C2R result c{D, n} (rows d) back into an [L, D] gradient, through a tile:
//   kDw = false: dx0[j, d] += dy[j, d] * (conv[d, j] / n + bias[d] * w[j, d]);
//   kDw = true:  dw[j, d] += corr[d, j] / n + bias[d] * dy[j, d] * x0[j, d].
template <bool kDw>
__global__ void hyena_grad_epilogue_kernel(
    HyenaConvArgs a, const float* dy, std::int64_t n, const float* c, float* out) {
    __shared__ float tile[kTile][kTile + 1];
    const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.x) * kTile,
                       d0 = static_cast<std::int64_t>(blockIdx.y) * kTile;
    load_tile(tile, c, n, d0, a.D, j0, a.L);  // [d][j]
    const int tx = threadIdx.x;
    for (int r = threadIdx.y; r < kTile; r += kTileRows) {
        const std::int64_t j = j0 + r, d = d0 + tx;
        if (j >= a.L || d >= a.D) continue;
        const std::int64_t i = j * a.D + d;
        const float cn = tile[tx][r] / static_cast<float>(n);
        out[i] += kDw ? cn + a.bias[d] * dy[i] * a.x0[i] : dy[i] * (cn + a.bias[d] * a.w[i]);
    }
}

__global__ void hyena_modulate_kernel(HyenaConvArgs a, std::int64_t n, float* dk) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.D * a.L) return;
    const std::int64_t d = i / a.L, j = i % a.L;
    dk[d * n + j] *= hyena_modulation(a, j, d) / static_cast<float>(n);
}

// One block per channel.
__global__ void channel_dots_kernel(
    const float* p, const float* q, std::int64_t L, std::int64_t n, float* out) {
    __shared__ float shm[33];
    const std::int64_t d = blockIdx.x;
    float s = 0.0f;
    for (std::int64_t j = threadIdx.x; j < L; j += blockDim.x) s += p[d * n + j] * q[d * n + j];
    s = block_sum(s, shm);
    if (threadIdx.x == 0) out[d] += s;
}

}  // namespace

void selective_scan_backward(const SelectiveScanArgs& a,
                             const SelectiveScanGrads& g,
                             const ScanBackwardPlan& p,
                             float* scratch,
                             cudaStream_t s) {
    const ScanBackwardScratch at = scan_backward_scratch(p, a.E, a.N);
    const ScanBwdView v{a, g, p.chunk, p.n_chunks};
    selective_scan_entry_states(a, p.chunk, p.n_chunks, scratch + at.decay, scratch + at.entry,
                                scratch + at.reach, s);
    const int threads =
        p.per_channel ? ChannelScanBackward::kThreads : 32 * ScanBackwardPlan::kWarps;
    const bool small_n = a.N <= 16;
    const dim3 all(static_cast<unsigned>(p.grid_x), static_cast<unsigned>(p.n_chunks));
    if (!p.per_channel)
        scan_bwd_summaries<<<all, threads, 0, s>>>(v, scratch + at.back_reach);
    else if (small_n)
        scan_bwd_channel_reach<16><<<all, threads, 0, s>>>(v, scratch + at.back_reach);
    else
        scan_bwd_channel_reach<32><<<all, threads, 0, s>>>(v, scratch + at.back_reach);
    scan_bwd_carry<<<blocks_for(a.E * a.N), kThreads, 0, s>>>(
        v, scratch + at.back_reach, scratch + at.decay, scratch + at.exit_carry);
    const std::int64_t seg_len = p.segment_chunks * p.chunk;
    for (std::int64_t c0 = 0; c0 < p.n_chunks; c0 += p.segment_chunks) {
        const std::int64_t c1 = std::min(p.n_chunks, c0 + p.segment_chunks);
        const std::int64_t t0 = c0 * p.chunk, len = std::min(a.L, c1 * p.chunk) - t0;
        const ScanBwdOut out{g.dA ? scratch + at.dA : nullptr,
                             g.dD ? scratch + at.dD : nullptr,
                             g.ddelta_bias ? scratch + at.dbias : nullptr,
                             g.dB ? scratch + at.dB : nullptr,
                             g.dC ? scratch + at.dC : nullptr,
                             c0,
                             t0,
                             seg_len};
        const dim3 grid(static_cast<unsigned>(p.grid_x), static_cast<unsigned>(c1 - c0));
        const float *entry = scratch + at.entry, *exit_carry = scratch + at.exit_carry;
        if (!p.per_channel)
            scan_bwd_grads<<<grid, threads, 0, s>>>(v, entry, exit_carry, out);
        else if (small_n)
            scan_bwd_channel_grads<16><<<grid, threads, 0, s>>>(v, entry, exit_carry, out);
        else
            scan_bwd_channel_grads<32><<<grid, threads, 0, s>>>(v, entry, exit_carry, out);
        if (g.dB)
            sum_over_channel_blocks<<<blocks_for(len * a.N), kThreads, 0, s>>>(
                scratch + at.dB, p.grid_x, seg_len, len, a.N, t0, g.dB, a.ld_B);
        if (g.dC)
            sum_over_channel_blocks<<<blocks_for(len * a.N), kThreads, 0, s>>>(
                scratch + at.dC, p.grid_x, seg_len, len, a.N, t0, g.dC, a.ld_C);
    }
    if (g.dA)
        sum_over_chunks<<<blocks_for(a.E * a.N), kThreads, 0, s>>>(scratch + at.dA, p.n_chunks,
                                                                   a.E * a.N, g.dA);
    if (g.dD)
        sum_over_chunks<<<blocks_for(a.E), kThreads, 0, s>>>(scratch + at.dD, p.n_chunks, a.E,
                                                             g.dD);
    if (g.ddelta_bias)
        sum_over_chunks<<<blocks_for(a.E), kThreads, 0, s>>>(scratch + at.dbias, p.n_chunks, a.E,
                                                             g.ddelta_bias);
    check(cudaGetLastError(), "selective scan backward launch");
}

void causal_conv1d_backward(const CausalConv1dArgs& a,
                            const CausalConv1dGrads& g,
                            float* scratch,
                            cudaStream_t s) {
    DNASSM_CHECK(a.W <= 16, ErrorKind::kUsage, "CUDA causal conv supports up to 16 taps");
    conv_bwd_pre<<<blocks_for(a.L * a.E), kThreads, 0, s>>>(a, g.dy, scratch);
    if (g.dx || g.dstate_init)
        conv_bwd_input<<<blocks_for((a.L + a.W) * a.E), kThreads, 0, s>>>(a, scratch, g.dx,
                                                                          g.dstate_init);
    if (g.dweight || g.dbias) {
        const RowParts rp = plan_row_parts(a.L);
        float* partial = scratch + a.L * a.E;
        conv_bwd_params<<<part_grid(a.E, rp), dim3(32, kColPhases), 0, s>>>(
            a, scratch, rp, g.dweight, g.dbias, partial);
        if (g.dweight) add_parts(partial, rp, a.E * a.W, g.dweight, s);
        if (g.dbias) add_parts(partial + rp.parts * a.E * a.W, rp, a.E, g.dbias, s);
    }
    check(cudaGetLastError(), "causal conv backward launch");
}

void norm_backward(const NormArgs& a,
                   const float* dy,
                   float* dx,
                   float* dweight,
                   float* dbias,
                   float* scratch,
                   cudaStream_t s) {
    if (a.rows == 0) return;
    norm_bwd_rows<<<static_cast<unsigned>(a.rows), kThreads, 0, s>>>(a, dy, dx, scratch);
    if (dweight || dbias) {
        const RowParts rp = plan_row_parts(a.rows);
        float* partial = scratch + 2 * a.rows;
        norm_bwd_params<<<part_grid(a.D, rp), dim3(32, kColPhases), 0, s>>>(
            a, dy, scratch, rp, dweight, dbias, partial);
        if (dweight) add_parts(partial, rp, a.D, dweight, s);
        if (dbias) add_parts(partial + rp.parts * a.D, rp, a.D, dbias, s);
    }
    check(cudaGetLastError(), "norm backward launch");
}

void gelu_tanh_backward(
    const float* x_in, const float* dy, float* dx, std::int64_t n, cudaStream_t s) {
    gelu_bwd_kernel<<<blocks_for(n), kThreads, 0, s>>>(x_in, dy, dx, n);
    check(cudaGetLastError(), "gelu backward launch");
}

void hyena_gates_backward(const float* uc,
                          const float* dx0,
                          const float* dw,
                          std::int64_t n,
                          std::int64_t D,
                          float* duc,
                          cudaStream_t s) {
    if (n * D > 0)
        hyena_gates_bwd_kernel<<<blocks_for(n * D), kThreads, 0, s>>>(uc, dx0, dw, n, D, duc);
    check(cudaGetLastError(), "hyena gates backward launch");
}

void sin_activation_backward(const float* x,
                             const float* freq,
                             const float* dy,
                             std::int64_t rows,
                             std::int64_t cols,
                             float* dx,
                             float* dfreq,
                             double* scratch,
                             cudaStream_t s) {
    const std::int64_t parts = sin_backward_parts(rows);
    if (parts == 0 || cols == 0) return;
    const dim3 grid(static_cast<unsigned>(blocks_for(cols, 32)), static_cast<unsigned>(parts));
    sin_bwd_kernel<<<grid, dim3(32, kColPhases), 0, s>>>(x, freq, dy, rows, cols, dx,
                                                         dfreq ? scratch : nullptr);
    if (dfreq) sum_over_chunks<<<blocks_for(cols), kThreads, 0, s>>>(scratch, parts, cols, dfreq);
    check(cudaGetLastError(), "sin backward launch");
}

void embedding_backward(const EmbeddingArgs& a,
                        const float* dy,
                        std::int64_t ld,
                        float* dtable,
                        float* scratch,
                        cudaStream_t s) {
    if (a.V * a.D == 0 || a.L == 0) return;
    if (a.V > kEmbeddingBwdMaxV) {
        embedding_bwd_kernel<<<blocks_for(a.V * a.D), kThreads, 0, s>>>(a, dy, ld, dtable);
    } else {
        const RowParts rp = plan_row_parts(a.L);
        const auto shared = static_cast<std::size_t>(kColPhases * a.V * 32) * sizeof(float);
        embedding_bwd_columns<<<part_grid(a.D, rp), dim3(32, kColPhases), shared, s>>>(
            a, dy, ld, rp, dtable, scratch);
        add_parts(scratch, rp, a.V * a.D, dtable, s);
    }
    check(cudaGetLastError(), "embedding backward launch");
}

void next_token_loss(const float* logits,
                     std::int64_t L,
                     std::int64_t V,
                     const std::int32_t* ids,
                     double* row_loss,
                     float* dlogits,
                     cudaStream_t s) {
    next_token_loss_kernel<<<blocks_for(L), kThreads, 0, s>>>(logits, L, V, ids, row_loss, dlogits);
    check(cudaGetLastError(), "next-token loss launch");
}

void adamw_update(const AdamWArgs& a, cudaStream_t s) {
    if (a.n > 0) adamw_kernel<<<blocks_for(a.n), kThreads, 0, s>>>(a);
    check(cudaGetLastError(), "adamw launch");
}

void add_column_sums(const float* x,
                     std::int64_t rows,
                     std::int64_t cols,
                     std::int64_t ld,
                     float* out,
                     float* scratch,
                     cudaStream_t s) {
    if (rows == 0 || cols == 0) return;
    const RowParts rp = plan_row_parts(rows);
    column_sums<<<part_grid(cols, rp), dim3(32, kColPhases), 0, s>>>(x, rows, cols, ld, rp, out,
                                                                     scratch);
    add_parts(scratch, rp, cols, out, s);
    check(cudaGetLastError(), "column sums launch");
}

void hyena_pad_gated_grad(
    const HyenaConvArgs& a, const float* dy, std::int64_t n, float* gg_pad, cudaStream_t s) {
    pad_gated_grad_kernel<<<tile_grid(n, a.D), dim3(kTile, kTileRows), 0, s>>>(a, dy, n, gg_pad);
    check(cudaGetLastError(), "hyena gated grad launch");
}

void complex_product(float2* out,
                     const float2* p,
                     const float2* q,
                     std::int64_t count,
                     bool conj_q,
                     cudaStream_t s) {
    complex_product_kernel<<<blocks_for(count), kThreads, 0, s>>>(out, p, q, count, conj_q);
    check(cudaGetLastError(), "complex product launch");
}

void hyena_backward_epilogue(const HyenaConvArgs& a,
                             const float* dy,
                             std::int64_t n,
                             const float* c,
                             float* out,
                             bool dw,
                             cudaStream_t s) {
    const dim3 grid = tile_grid(a.L, a.D), block(kTile, kTileRows);
    if (dw)
        hyena_grad_epilogue_kernel<true><<<grid, block, 0, s>>>(a, dy, n, c, out);
    else
        hyena_grad_epilogue_kernel<false><<<grid, block, 0, s>>>(a, dy, n, c, out);
    check(cudaGetLastError(), "hyena gradient epilogue launch");
}

void hyena_backward_modulate(const HyenaConvArgs& a, std::int64_t n, float* dk, cudaStream_t s) {
    hyena_modulate_kernel<<<blocks_for(a.D * a.L), kThreads, 0, s>>>(a, n, dk);
    check(cudaGetLastError(), "hyena modulation backward launch");
}

void add_channel_dots(const float* p,
                      const float* q,
                      std::int64_t D,
                      std::int64_t L,
                      std::int64_t n,
                      float* out,
                      cudaStream_t s) {
    channel_dots_kernel<<<static_cast<unsigned>(D), kThreads, 0, s>>>(p, q, L, n, out);
    check(cudaGetLastError(), "channel dots launch");
}

}  // namespace dnassm::cuda
