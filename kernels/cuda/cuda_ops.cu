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

// ---- selective scan: warp = (channel e, chunk c), lane = state n.

struct ScanView {
    SelectiveScanArgs a;
    std::int64_t chunk, n_chunks;
    bool write_final;  // pass 2 writes the final state into a.state
};

// Pass 1: the state each chunk reaches from zero, and the product of its decays. T: how u,
// delta, B, C, z and y are stored (float or bfloat16).
template <typename T>
__global__ void scan_chunk_summaries(ScanView v, float* reach, float* decay) {
    const SelectiveScanArgs& a = v.a;
    const int lane = threadIdx.x & 31;
    const std::int64_t e =
        static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    const std::int64_t c = blockIdx.y;
    if (e >= a.E || lane >= a.N) return;
    const float An = a.A[e * a.N + lane];
    float s = 0.0f, p = 1.0f;
    const std::int64_t t1 = min(a.L, (c + 1) * v.chunk);
    for (std::int64_t t = c * v.chunk; t < t1; ++t) {
        const float dt = scan_delta<T>(a, t, e);
        const float da = expf(dt * An);
        s = da * s + dt * load<T>(a.u, t * a.ld_u + e) * load<T>(a.B, t * a.ld_B + lane);
        p *= da;
    }
    const std::int64_t i = (c * a.E + e) * a.N + lane;
    reach[i] = s;
    decay[i] = p;
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

// Pass 3: recompute each chunk from its entry state; y = C·s summed over the warp.
template <typename T>
__global__ void scan_outputs(ScanView v, const float* entry) {
    const SelectiveScanArgs& a = v.a;
    const int lane = threadIdx.x & 31;
    const std::int64_t e =
        static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    const std::int64_t c = blockIdx.y;
    if (e >= a.E) return;  // whole warps exit together: shuffles below see full warps
    const bool live = lane < a.N;
    const float An = live ? a.A[e * a.N + lane] : 0.0f;
    float s = live ? entry[(c * a.E + e) * a.N + lane] : 0.0f;
    const float Dd = a.D ? a.D[e] : 0.0f;
    const std::int64_t t1 = min(a.L, (c + 1) * v.chunk);
    for (std::int64_t t = c * v.chunk; t < t1; ++t) {
        const float dt = scan_delta<T>(a, t, e);
        const float u = load<T>(a.u, t * a.ld_u + e);
        float part = 0.0f;
        if (live) {
            s = expf(dt * An) * s + dt * u * load<T>(a.B, t * a.ld_B + lane);
            part = load<T>(a.C, t * a.ld_C + lane) * s;
        }
        const float y = warp_sum(part) + Dd * u;
        if (lane == 0) {
            float out = y;
            if (a.z) {
                const float z = load<T>(a.z, t * a.ld_z + e);
                out *= z / (1.0f + expf(-z));
            }
            store<T>(a.y, t * a.ld_y + e, out);
        }
    }
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

__global__ void norm_kernel(NormArgs a) {
    const std::int64_t r = blockIdx.x;
    const float* x = a.x + r * a.D;
    float* y = a.y + r * a.D;
    __shared__ float red[2][32];
    float s1 = 0.0f, s2 = 0.0f;
    for (std::int64_t d = threadIdx.x; d < a.D; d += blockDim.x) {
        s1 += x[d];
        s2 += x[d] * x[d];
    }
    s1 = warp_sum(s1);
    s2 = warp_sum(s2);
    const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, n_warps = blockDim.x / 32;
    if (lane == 0) {
        red[0][warp] = s1;
        red[1][warp] = s2;
    }
    __syncthreads();
    if (warp == 0) {
        s1 = lane < n_warps ? red[0][lane] : 0.0f;
        s2 = lane < n_warps ? red[1][lane] : 0.0f;
        s1 = warp_sum(s1);
        s2 = warp_sum(s2);
        if (lane == 0) {
            red[0][0] = s1;
            red[1][0] = s2;
        }
    }
    __syncthreads();
    const float inv_d = 1.0f / static_cast<float>(a.D);
    const float mean = red[0][0] * inv_d;
    const bool layer = a.kind == NormKind::kLayer;
    const float var = layer ? fmaxf(red[1][0] * inv_d - mean * mean, 0.0f) : red[1][0] * inv_d;
    const float scale = rsqrtf(var + a.eps);
    for (std::int64_t d = threadIdx.x; d < a.D; d += blockDim.x) {
        float v = layer ? (x[d] - mean) * scale : x[d] * scale;
        v *= a.weight[d];
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

__global__ void sin_kernel(
    const float* x, const float* freq, std::int64_t rows, std::int64_t cols, float* y) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < rows * cols) y[i] = sinf(freq[i % cols] * x[i]);
}

// ---- Hyena long conv around cuFFT

__global__ void filter_kernel(HyenaConvArgs a, std::int64_t n, float* k_pad) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.D * n) return;
    const std::int64_t d = i / n, j = i % n;
    if (j >= a.L) {
        k_pad[i] = 0.0f;
        return;
    }
    float v = 0.0f;
    for (std::int64_t f = 0; f < a.F; ++f) v += a.basis[j * a.F + f] * a.filter_w[d * a.F + f];
    k_pad[i] = v * hyena_modulation(a, j, d);
}

__global__ void pad_input_kernel(HyenaConvArgs a, std::int64_t n, float* w_pad) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.D * n) return;
    const std::int64_t d = i / n, j = i % n;
    w_pad[i] = j < a.L ? a.w[j * a.D + d] : 0.0f;
}

__global__ void complex_multiply_kernel(float2* wf, const float2* kf, std::int64_t count) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const float2 p = wf[i], q = kf[i];
    wf[i] = make_float2(p.x * q.x - p.y * q.y, p.x * q.y + p.y * q.x);
}

__global__ void epilogue_kernel(HyenaConvArgs a, std::int64_t n, const float* conv) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.L * a.D) return;
    const std::int64_t j = i / a.D, d = i % a.D;
    const float w = a.w[i];
    a.y[i] = a.x0[i] * (conv[d * n + j] / static_cast<float>(n) + a.bias[d] * w);
}

}  // namespace

void selective_scan(const SelectiveScanArgs& a,
                    const ScanPlan& plan,
                    float* scratch,
                    cudaStream_t s) {
    const ScanView v{a, plan.chunk, plan.n_chunks, true};
    const std::int64_t per = plan.n_chunks * a.E * a.N;
    float *reach = scratch, *decay = scratch + per, *entry = scratch + 2 * per;
    const dim3 grid(static_cast<unsigned>(plan.grid_x), static_cast<unsigned>(plan.n_chunks));
    const int threads = 32 * plan.warps_per_block;
    if (a.bf16) {
        scan_chunk_summaries<__nv_bfloat16><<<grid, threads, 0, s>>>(v, reach, decay);
        scan_carry<<<blocks_for(a.E * a.N), kThreads, 0, s>>>(v, reach, decay, entry);
        scan_outputs<__nv_bfloat16><<<grid, threads, 0, s>>>(v, entry);
    } else {
        scan_chunk_summaries<float><<<grid, threads, 0, s>>>(v, reach, decay);
        scan_carry<<<blocks_for(a.E * a.N), kThreads, 0, s>>>(v, reach, decay, entry);
        scan_outputs<float><<<grid, threads, 0, s>>>(v, entry);
    }
    check(cudaGetLastError(), "selective scan launch");
}

namespace {
__global__ void to_bf16_kernel(const float* in, __nv_bfloat16* out, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = __float2bfloat16_rn(in[i]);
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
    const int warps = 4;
    const dim3 grid(static_cast<unsigned>((a.E + warps - 1) / warps),
                    static_cast<unsigned>(n_chunks));
    scan_chunk_summaries<float><<<grid, 32 * warps, 0, s>>>(v, reach, decay);
    scan_carry<<<blocks_for(a.E * a.N), kThreads, 0, s>>>(v, reach, decay, entry);
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
    filter_kernel<<<blocks_for(a.D * n), kThreads, 0, s>>>(a, n, k_pad);
    check(cudaGetLastError(), "hyena filter launch");
}

void hyena_pad_input(const HyenaConvArgs& a, std::int64_t n, float* w_pad, cudaStream_t s) {
    pad_input_kernel<<<blocks_for(a.D * n), kThreads, 0, s>>>(a, n, w_pad);
    check(cudaGetLastError(), "hyena pad launch");
}

void complex_multiply(float2* wf, const float2* kf, std::int64_t count, cudaStream_t s) {
    complex_multiply_kernel<<<blocks_for(count), kThreads, 0, s>>>(wf, kf, count);
    check(cudaGetLastError(), "complex multiply launch");
}

void hyena_epilogue(const HyenaConvArgs& a, std::int64_t n, const float* conv, cudaStream_t s) {
    epilogue_kernel<<<blocks_for(a.L * a.D), kThreads, 0, s>>>(a, n, conv);
    check(cudaGetLastError(), "hyena epilogue launch");
}

}  // namespace dnassm::cuda
