// CUDA kernels (issue C1): layouts and semantics of dnassm/backend.h, fp32 throughout.
#include <string>

#include "dnassm/error.h"

#include "cuda_ops.h"
#include "device_math.cuh"

namespace dnassm::cuda {

void check(cudaError_t status, const char* what) {
    if (status != cudaSuccess)
        throw Error(ErrorKind::kResource,
                    std::string("CUDA: ") + what + ": " + cudaGetErrorString(status));
}

namespace {

using namespace detail;

// ---- selective scan: thread = channel e, block = (128 channels, chunk c); a thread keeps its
// channel's N states in registers, and the block stages B and C for a tile of time steps in shared
// memory (every channel reads the same B[t], C[t]: broadcasts). Per step and state: one exp2, an
// FFMA for the state, one for y.

struct ScanView {
    SelectiveScanArgs a;
    std::int64_t chunk, n_chunks;
    bool write_final;     // the carry pass writes the final state into a.state
    bool staged = false;  // ScanPlan::staged_inputs
};

constexpr int kScanTile = 32;  // time steps of B and C staged at once
constexpr float kLog2e = 1.4426950408889634f;

// One chunk of the recurrence for each of a block's channels. kOutputs = false (pass 1): from a
// zero state, the state the chunk reaches and the product of its decays. kOutputs = true (pass 3):
// from the chunk's entry state, y (with the D skip and the SiLU(z) gate). T: how u, delta, B, C, z
// and y are stored (float or bfloat16). kMaxN >= N; the states n >= N stay zero (A = 0: decay 1).
// kStaged (ScanPlan::staged_inputs): each thread first loads its channel's delta, u and z for a
// whole tile into shared memory, all loads in flight at once, instead of step by step.
template <typename T, int kMaxN, bool kOutputs, bool kStaged>
__global__ void __launch_bounds__(ScanPlan::kChannelsPerBlock)
    scan_chunk_pass(ScanView v, const float* entry, float* reach, float* decay) {
    constexpr int kSteps = kStaged ? 16 : kScanTile, kC = ScanPlan::kChannelsPerBlock;
    const SelectiveScanArgs& a = v.a;
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const std::int64_t c = blockIdx.y;
    const bool live = e < a.E;  // dead threads still help stage B and C
    const int N = a.N;
    // float4 rows: a step's B (or C) is read with kMaxN / 4 wide shared loads
    __shared__ float4 sB[kSteps][kMaxN / 4];
    __shared__ float4 sC[kOutputs ? kSteps : 1][kMaxN / 4];
    __shared__ float s_delta[kStaged ? kSteps : 1][kC], s_u[kStaged ? kSteps : 1][kC],
        s_z[kStaged && kOutputs ? kSteps : 1][kC];
    float A2[kMaxN], s[kMaxN], p[kMaxN];
#pragma unroll
    for (int n = 0; n < kMaxN; ++n) {
        const bool has = live && n < N;
        A2[n] = has ? a.A[e * N + n] * kLog2e : 0.0f;
        s[n] = kOutputs && has ? entry[(c * a.E + e) * N + n] : 0.0f;
        p[n] = 1.0f;
    }
    const float bias = live && a.delta_bias ? a.delta_bias[e] : 0.0f;
    const float Dd = live && a.D ? a.D[e] : 0.0f;
    const std::int64_t t0 = c * v.chunk, t1 = min(a.L, t0 + v.chunk);
    for (std::int64_t tile = t0; tile < t1; tile += kSteps) {
        const int steps = static_cast<int>(min(static_cast<std::int64_t>(kSteps), t1 - tile));
        __syncthreads();  // the previous tile has been read
        for (int i = threadIdx.x; i < steps * kMaxN; i += blockDim.x) {
            const int k = i / kMaxN, n = i % kMaxN;
            reinterpret_cast<float*>(sB[k])[n] =
                n < N ? load<T>(a.B, (tile + k) * a.ld_B + n) : 0.0f;
            if constexpr (kOutputs)
                reinterpret_cast<float*>(sC[k])[n] =
                    n < N ? load<T>(a.C, (tile + k) * a.ld_C + n) : 0.0f;
        }
        if constexpr (kStaged) {  // only this thread reads its column: no barrier needed for it
            if (live) {
#pragma unroll
                for (int k = 0; k < kSteps; ++k) {
                    if (k >= steps) break;
                    const std::int64_t t = tile + k;
                    s_delta[k][threadIdx.x] = load<T>(a.delta, t * a.ld_delta + e);
                    s_u[k][threadIdx.x] = load<T>(a.u, t * a.ld_u + e);
                    if constexpr (kOutputs)
                        if (a.z) s_z[k][threadIdx.x] = load<T>(a.z, t * a.ld_z + e);
                }
            }
        }
        __syncthreads();
        if (!live) continue;
#pragma unroll 4
        for (int k = 0; k < steps; ++k) {
            const std::int64_t t = tile + k;
            const float raw =
                (kStaged ? s_delta[k][threadIdx.x] : load<T>(a.delta, t * a.ld_delta + e)) + bias;
            const float dt = a.delta_softplus ? softplus(raw) : raw;
            const float u = kStaged ? s_u[k][threadIdx.x] : load<T>(a.u, t * a.ld_u + e);
            const float du = dt * u;
            float Bk[kMaxN], Ck[kMaxN];
#pragma unroll
            for (int q = 0; q < kMaxN / 4; ++q) {
                *reinterpret_cast<float4*>(Bk + 4 * q) = sB[k][q];
                if constexpr (kOutputs) *reinterpret_cast<float4*>(Ck + 4 * q) = sC[k][q];
            }
            float y = 0.0f;
#pragma unroll
            for (int n = 0; n < kMaxN; ++n) {
                const float da = exp2f(dt * A2[n]);
                s[n] = fmaf(da, s[n], du * Bk[n]);
                if constexpr (kOutputs)
                    y = fmaf(Ck[n], s[n], y);
                else
                    p[n] *= da;
            }
            if constexpr (kOutputs) {
                y = fmaf(Dd, u, y);
                if (a.z) {
                    const float z = kStaged ? s_z[k][threadIdx.x] : load<T>(a.z, t * a.ld_z + e);
                    y *= z / (1.0f + expf(-z));
                }
                store<T>(a.y, t * a.ld_y + e, y);
            }
        }
    }
    if constexpr (!kOutputs) {
        if (!live) return;
#pragma unroll
        for (int n = 0; n < kMaxN; ++n) {
            if (n >= N) continue;
            const std::int64_t i = (c * a.E + e) * N + n;
            reach[i] = s[n];
            decay[i] = p[n];
        }
    }
}

template <typename T, bool kOutputs>
void launch_scan_pass(
    const ScanView& v, const float* entry, float* reach, float* decay, cudaStream_t s) {
    constexpr int kChannels = ScanPlan::kChannelsPerBlock;
    const dim3 grid(static_cast<unsigned>((v.a.E + kChannels - 1) / kChannels),
                    static_cast<unsigned>(v.n_chunks));
    auto launch = [&](auto kernel) { kernel<<<grid, kChannels, 0, s>>>(v, entry, reach, decay); };
    if (v.a.N <= 16)
        v.staged ? launch(scan_chunk_pass<T, 16, kOutputs, true>)
                 : launch(scan_chunk_pass<T, 16, kOutputs, false>);
    else
        v.staged ? launch(scan_chunk_pass<T, 32, kOutputs, true>)
                 : launch(scan_chunk_pass<T, 32, kOutputs, false>);
}

// Pass 2: entry state of every chunk (sequential over chunks), final state out.
__global__ void scan_carry(ScanView v, const float* reach, const float* decay, float* entry) {
    const SelectiveScanArgs& a = v.a;
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.E * a.N) return;
    float s = a.state ? a.state[i] : 0.0f;
    for (std::int64_t c = 0; c < v.n_chunks; ++c) {
        const std::int64_t k = c * a.E * a.N + i;
        entry[k] = s;
        s = decay[k] * s + reach[k];
    }
    if (a.state && v.write_final) a.state[i] = s;
}

// Passes 1-3 (pass 3 only when `outputs`).
template <typename T>
void scan_passes(
    const ScanView& v, float* reach, float* decay, float* entry, bool outputs, cudaStream_t s) {
    launch_scan_pass<T, false>(v, nullptr, reach, decay, s);
    scan_carry<<<blocks_for(v.a.E * v.a.N), kThreads, 0, s>>>(v, reach, decay, entry);
    if (outputs) launch_scan_pass<T, true>(v, entry, nullptr, nullptr, s);
}

// ---- causal depthwise conv with carried state

__global__ void conv_kernel(CausalConv1dArgs a) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.L * a.E) return;
    const std::int64_t t = i / a.E, e = i % a.E;
    float acc = a.bias ? a.bias[e] : 0.0f;
    for (std::int64_t k = 0; k < a.W; ++k) {
        const std::int64_t src = t - (a.W - 1) + k;
        const float x =
            src >= 0 ? a.x[src * a.ld_x + e] : (a.state ? a.state[e * a.W + a.W + src] : 0.0f);
        acc += a.weight[e * a.W + k] * x;
    }
    if (a.silu) acc = acc / (1.0f + expf(-acc));
    a.y[t * a.ld_y + e] = acc;
}

// After the conv: state = the last W inputs (old state first when L < W). One thread per channel,
// reading everything it needs before writing.
__global__ void conv_state_kernel(CausalConv1dArgs a) {
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= a.E) return;
    float next[16];
    const std::int64_t W = a.W;
    for (std::int64_t k = 0; k < W; ++k) {
        const std::int64_t src = a.L - W + k;  // time of the k-th kept input
        next[k] = src >= 0 ? a.x[src * a.ld_x + e] : a.state[e * W + W + src];
    }
    for (std::int64_t k = 0; k < W; ++k) a.state[e * W + k] = next[k];
}

// ---- norms: one block per row

// One block per row. The variance is summed around the mean (two passes over the row, as the
// CPU op does), not as E[x²] − mean², which loses digits when |mean| is large against the spread.
__global__ void norm_kernel(NormArgs a) {
    __shared__ float shm[33];
    const std::int64_t r = blockIdx.x;
    const float* x = a.x + r * a.D;
    float* y = a.y + r * a.D;
    const float inv_d = 1.0f / static_cast<float>(a.D);
    const bool layer = a.kind == NormKind::kLayer;
    float part = 0.0f;
    if (layer)
        for (std::int64_t d = threadIdx.x; d < a.D; d += blockDim.x) part += x[d];
    const float mean = layer ? block_sum(part, shm) * inv_d : 0.0f;
    part = 0.0f;
    for (std::int64_t d = threadIdx.x; d < a.D; d += blockDim.x)
        part += (x[d] - mean) * (x[d] - mean);
    const float scale = rsqrtf(block_sum(part, shm) * inv_d + a.eps);
    for (std::int64_t d = threadIdx.x; d < a.D; d += blockDim.x) {
        float v = (x[d] - mean) * scale * a.weight[d];
        if (a.bias) v += a.bias[d];
        y[d] = v;
    }
}

__global__ void embedding_kernel(EmbeddingArgs a) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.L * a.D) return;
    const std::int64_t t = i / a.D, d = i % a.D;
    a.y[i] = a.table[static_cast<std::int64_t>(a.ids[t]) * a.D + d];
}

__global__ void bias_rows_kernel(
    float* y, std::int64_t ld, const float* b, std::int64_t M, std::int64_t N) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= M * N) return;
    y[(i / N) * ld + i % N] += b[i % N];
}

__global__ void add_kernel(float* x, const float* y, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}

__global__ void gelu_kernel(float* x, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
}

__global__ void mul_kernel(float* x, const float* y, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= y[i];
}

__global__ void copy_block_kernel(CopyBlockArgs a) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.rows * a.cols) return;
    const std::int64_t r = i / a.cols, c = i % a.cols;
    a.dst[r * a.ld_dst + c] =
        a.src[(a.flip_rows ? a.rows - 1 - r : r) * a.ld_src + (a.flip_cols ? a.cols - 1 - c : c)];
}

__global__ void hyena_gates_kernel(
    const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n * D) return;
    const std::int64_t t = i / D, d = i % D;
    const float* u = uc + t * 3 * D;
    x0[i] = u[d];
    w[i] = u[2 * D + d] * u[D + d];
}

__global__ void sin_kernel(
    const float* x, const float* freq, std::int64_t rows, std::int64_t cols, float* y) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < rows * cols) y[i] = sinf(freq[i % cols] * x[i]);
}

// ---- Hyena long conv around cuFFT

constexpr int kFilterChunk = 64;  // filter-basis columns staged at once

// k_pad[d, j] = (sum_f basis[j, f] filter_w[d, f]) * modulation(j, d) for j < L, zero up to n.
__global__ void filter_kernel(HyenaConvArgs a, std::int64_t n, float* k_pad) {
    __shared__ float sb[kTile][kFilterChunk + 1];  // basis rows j0.., padded: lanes read columns
    __shared__ float sw[kTile][kFilterChunk + 1];  // filter_w rows d0..
    const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.x) * kTile,
                       d0 = static_cast<std::int64_t>(blockIdx.y) * kTile;
    const int tx = threadIdx.x, ty = threadIdx.y;
    constexpr int kPer = kTile / kTileRows;
    float acc[kPer] = {};
    for (std::int64_t f0 = 0; f0 < a.F; f0 += kFilterChunk) {
        const std::int64_t fc = min(static_cast<std::int64_t>(kFilterChunk), a.F - f0);
        __syncthreads();
        for (int r = ty; r < kTile; r += kTileRows)
            for (int f = tx; f < kFilterChunk; f += kTile) {
                const bool in_f = f < fc;
                sb[r][f] = in_f && j0 + r < a.L ? a.basis[(j0 + r) * a.F + f0 + f] : 0.0f;
                sw[r][f] = in_f && d0 + r < a.D ? a.filter_w[(d0 + r) * a.F + f0 + f] : 0.0f;
            }
        __syncthreads();
        for (int f = 0; f < fc; ++f) {
            const float b = sb[tx][f];
#pragma unroll
            for (int r = 0; r < kPer; ++r) acc[r] += b * sw[ty + kTileRows * r][f];
        }
    }
    const std::int64_t j = j0 + tx;
    if (j >= n) return;
#pragma unroll
    for (int r = 0; r < kPer; ++r) {
        const std::int64_t d = d0 + ty + kTileRows * r;
        if (d < a.D) k_pad[d * n + j] = j < a.L ? acc[r] * hyena_modulation(a, j, d) : 0.0f;
    }
}

// w_pad[d, j] = w[j, d] for j < L, zero up to n.
__global__ void pad_input_kernel(HyenaConvArgs a, std::int64_t n, float* w_pad) {
    __shared__ float tile[kTile][kTile + 1];
    const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.x) * kTile,
                       d0 = static_cast<std::int64_t>(blockIdx.y) * kTile;
    const int tx = threadIdx.x, ty = threadIdx.y;
    load_tile(tile, a.w, a.D, j0, a.L, d0, a.D);  // tile[j][d]
    for (int r = ty; r < kTile; r += kTileRows) {
        const std::int64_t d = d0 + r, j = j0 + tx;
        if (d < a.D && j < n) w_pad[d * n + j] = tile[tx][r];
    }
}

__global__ void complex_multiply_kernel(float2* wf, const float2* kf, std::int64_t count) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const float2 p = wf[i], q = kf[i];
    wf[i] = make_float2(p.x * q.x - p.y * q.y, p.x * q.y + p.y * q.x);
}

// y[j, d] = x0[j, d] * (conv[d, j] / n + bias[d] * w[j, d]) (cuFFT's C2R is unnormalised).
__global__ void epilogue_kernel(HyenaConvArgs a, std::int64_t n, const float* conv) {
    __shared__ float tile[kTile][kTile + 1];
    const std::int64_t j0 = static_cast<std::int64_t>(blockIdx.x) * kTile,
                       d0 = static_cast<std::int64_t>(blockIdx.y) * kTile;
    const int tx = threadIdx.x, ty = threadIdx.y;
    load_tile(tile, conv, n, d0, a.D, j0, a.L);  // tile[d][j]
    for (int r = ty; r < kTile; r += kTileRows) {
        const std::int64_t j = j0 + r, d = d0 + tx;
        if (j >= a.L || d >= a.D) continue;
        const std::int64_t i = j * a.D + d;
        a.y[i] = a.x0[i] * (tile[tx][r] / static_cast<float>(n) + a.bias[d] * a.w[i]);
    }
}

}  // namespace

void selective_scan(const SelectiveScanArgs& a,
                    const ScanPlan& plan,
                    float* scratch,
                    cudaStream_t s) {
    const ScanView v{a, plan.chunk, plan.n_chunks, true, plan.staged_inputs};
    const std::int64_t per = plan.n_chunks * a.E * a.N;
    float *reach = scratch, *decay = scratch + per, *entry = scratch + 2 * per;
    if (a.bf16)
        scan_passes<__nv_bfloat16>(v, reach, decay, entry, true, s);
    else
        scan_passes<float>(v, reach, decay, entry, true, s);
    check(cudaGetLastError(), "selective scan launch");
}

namespace {
__global__ void to_bf16_kernel(const float* in, __nv_bfloat16* out, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = __float2bfloat16_rn(in[i]);
}
__global__ void to_bf16_rows_kernel(
    const float* in, std::int64_t rows, std::int64_t cols, std::int64_t ld, __nv_bfloat16* out) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < rows * cols) out[i] = __float2bfloat16_rn(in[(i / cols) * ld + i % cols]);
}
__global__ void from_bf16_kernel(const __nv_bfloat16* in, float* out, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = __bfloat162float(in[i]);
}
}  // namespace

void to_bf16(const float* in, void* out, std::int64_t n, cudaStream_t s) {
    if (n > 0)
        to_bf16_kernel<<<blocks_for(n), kThreads, 0, s>>>(in, static_cast<__nv_bfloat16*>(out), n);
    check(cudaGetLastError(), "bf16 conversion launch");
}

void to_bf16_rows(const float* in,
                  std::int64_t rows,
                  std::int64_t cols,
                  std::int64_t ld,
                  void* out,
                  cudaStream_t s) {
    if (rows * cols > 0)
        to_bf16_rows_kernel<<<blocks_for(rows * cols), kThreads, 0, s>>>(
            in, rows, cols, ld, static_cast<__nv_bfloat16*>(out));
    check(cudaGetLastError(), "bf16 conversion launch");
}

void from_bf16(const void* in, float* out, std::int64_t n, cudaStream_t s) {
    if (n > 0)
        from_bf16_kernel<<<blocks_for(n), kThreads, 0, s>>>(static_cast<const __nv_bfloat16*>(in),
                                                            out, n);
    check(cudaGetLastError(), "bf16 conversion launch");
}

void selective_scan_entry_states(const SelectiveScanArgs& a,
                                 std::int64_t chunk,
                                 std::int64_t n_chunks,
                                 float* decay,
                                 float* entry,
                                 float* reach,
                                 cudaStream_t s) {
    const ScanView v{a, chunk, n_chunks, false};
    scan_passes<float>(v, reach, decay, entry, false, s);
    check(cudaGetLastError(), "selective scan (entry states) launch");
}

void causal_conv1d(const CausalConv1dArgs& a, cudaStream_t s) {
    DNASSM_CHECK(a.W <= 16, ErrorKind::kUsage, "CUDA causal conv supports up to 16 taps");
    conv_kernel<<<blocks_for(a.L * a.E), kThreads, 0, s>>>(a);
    if (a.state) conv_state_kernel<<<blocks_for(a.E), kThreads, 0, s>>>(a);
    check(cudaGetLastError(), "causal conv launch");
}

void norm(const NormArgs& a, cudaStream_t s) {
    norm_kernel<<<static_cast<unsigned>(a.rows), kThreads, 0, s>>>(a);
    check(cudaGetLastError(), "norm launch");
}

void embedding(const EmbeddingArgs& a, cudaStream_t s) {
    embedding_kernel<<<blocks_for(a.L * a.D), kThreads, 0, s>>>(a);
    check(cudaGetLastError(), "embedding launch");
}

void add_bias_rows(float* y,
                   std::int64_t ld_y,
                   const float* bias,
                   std::int64_t M,
                   std::int64_t N,
                   cudaStream_t s) {
    bias_rows_kernel<<<blocks_for(M * N), kThreads, 0, s>>>(y, ld_y, bias, M, N);
    check(cudaGetLastError(), "bias launch");
}

void add_inplace(float* x, const float* y, std::int64_t n, cudaStream_t s) {
    add_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
    check(cudaGetLastError(), "add launch");
}

void gelu_tanh_inplace(float* x, std::int64_t n, cudaStream_t s) {
    gelu_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, n);
    check(cudaGetLastError(), "gelu launch");
}

void mul_inplace(float* x, const float* y, std::int64_t n, cudaStream_t s) {
    if (n > 0) mul_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
    check(cudaGetLastError(), "mul launch");
}

void copy_block(const CopyBlockArgs& a, cudaStream_t s) {
    if (a.rows * a.cols > 0) copy_block_kernel<<<blocks_for(a.rows * a.cols), kThreads, 0, s>>>(a);
    check(cudaGetLastError(), "copy block launch");
}

void hyena_gates(
    const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w, cudaStream_t s) {
    if (n * D > 0) hyena_gates_kernel<<<blocks_for(n * D), kThreads, 0, s>>>(uc, n, D, x0, w);
    check(cudaGetLastError(), "hyena gates launch");
}

void sin_activation(const float* x,
                    const float* freq,
                    std::int64_t rows,
                    std::int64_t cols,
                    float* y,
                    cudaStream_t s) {
    sin_kernel<<<blocks_for(rows * cols), kThreads, 0, s>>>(x, freq, rows, cols, y);
    check(cudaGetLastError(), "sin launch");
}

void hyena_filter_padded(const HyenaConvArgs& a, std::int64_t n, float* k_pad, cudaStream_t s) {
    filter_kernel<<<tile_grid(n, a.D), dim3(kTile, kTileRows), 0, s>>>(a, n, k_pad);
    check(cudaGetLastError(), "hyena filter launch");
}

void hyena_pad_input(const HyenaConvArgs& a, std::int64_t n, float* w_pad, cudaStream_t s) {
    pad_input_kernel<<<tile_grid(n, a.D), dim3(kTile, kTileRows), 0, s>>>(a, n, w_pad);
    check(cudaGetLastError(), "hyena pad launch");
}

void complex_multiply(float2* wf, const float2* kf, std::int64_t count, cudaStream_t s) {
    complex_multiply_kernel<<<blocks_for(count), kThreads, 0, s>>>(wf, kf, count);
    check(cudaGetLastError(), "complex multiply launch");
}

void hyena_epilogue(const HyenaConvArgs& a, std::int64_t n, const float* conv, cudaStream_t s) {
    epilogue_kernel<<<tile_grid(a.L, a.D), dim3(kTile, kTileRows), 0, s>>>(a, n, conv);
    check(cudaGetLastError(), "hyena epilogue launch");
}

}  // namespace dnassm::cuda
