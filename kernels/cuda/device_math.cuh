// Device helpers shared by the forward (cuda_ops.cu) and backward (cuda_backward.cu) kernels.
#pragma once

#include <cstdint>
#include <type_traits>

#include <cuda_bf16.h>

#include "dnassm/backend.h"

#include "../common/scalar_math.h"

namespace dnassm::cuda::detail {

constexpr int kThreads = 256;

inline int blocks_for(std::int64_t n, int threads = kThreads) {
    return static_cast<int>((n + threads - 1) / threads);
}

using math::sigmoid;
using math::softplus;

__device__ inline float warp_sum(float v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

/// Sum over the whole block, returned to every thread. `shm` holds 33 floats; blockDim.x is a
/// multiple of 32. Summation order is fixed, so results are deterministic.
__device__ inline float block_sum(float v, float* shm) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, n_warps = blockDim.x / 32;
    v = warp_sum(v);
    __syncthreads();  // shm may still be read from a previous call
    if (lane == 0) shm[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float w = lane < n_warps ? shm[lane] : 0.0f;
        w = warp_sum(w);
        if (lane == 0) shm[32] = w;
    }
    __syncthreads();
    return shm[32];
}

/// Element i of an array stored as T (float or bfloat16) behind a float pointer.
template <typename T>
__device__ inline float load(const float* p, std::int64_t i) {
    if constexpr (std::is_same_v<T, float>)
        return p[i];
    else
        return __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(p)[i]);
}

template <typename T>
__device__ inline void store(float* p, std::int64_t i, float v) {
    if constexpr (std::is_same_v<T, float>)
        p[i] = v;
    else
        reinterpret_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v);
}

/// delta after bias and softplus, as the scan uses it (delta stored as T).
template <typename T = float>
__device__ inline float scan_delta(const SelectiveScanArgs& a, std::int64_t t, std::int64_t e) {
    const float raw =
        load<T>(a.delta, t * a.ld_delta + e) + (a.delta_bias ? a.delta_bias[e] : 0.0f);
    return a.delta_softplus ? softplus(raw) : raw;
}

/// The Hyena filter's exponential modulation at position j of channel d (1 without deltas).
__device__ inline float hyena_modulation(const HyenaConvArgs& a, std::int64_t j, std::int64_t d) {
    return a.deltas ? expf(-a.t[j] * fabsf(a.deltas[d])) + a.shift : 1.0f;
}

// The Hyena kernels move between the [L, D] activations and the [D, n] rows cuFFT transforms
// through 32 x 32 tiles in shared memory, so global reads and writes are coalesced on both sides.
// Blocks are (kTile, kTileRows) threads; grid x runs over positions j in tiles, grid y over
// channels d.
constexpr int kTile = 32, kTileRows = 8;

inline dim3 tile_grid(std::int64_t positions, std::int64_t channels) {
    return dim3(static_cast<unsigned>((positions + kTile - 1) / kTile),
                static_cast<unsigned>((channels + kTile - 1) / kTile));
}

// tile[r][c] = src[(row0 + r) * ld + col0 + c] where row0 + r < rows and col0 + c < cols, else
// 0: one tile read along its rows (coalesced) by the block, then a barrier.
__device__ inline void load_tile(float (&tile)[kTile][kTile + 1],
                                 const float* src,
                                 std::int64_t ld,
                                 std::int64_t row0,
                                 std::int64_t rows,
                                 std::int64_t col0,
                                 std::int64_t cols) {
    const int tx = threadIdx.x;
    for (int r = threadIdx.y; r < kTile; r += kTileRows)
        tile[r][tx] = row0 + r < rows && col0 + tx < cols ? src[(row0 + r) * ld + col0 + tx] : 0.0f;
    __syncthreads();
}

}  // namespace dnassm::cuda::detail
