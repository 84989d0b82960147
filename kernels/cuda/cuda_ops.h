// CUDA kernels and their launchers (issue C1). Every pointer in the argument structs is a DEVICE
// pointer here; the layouts and semantics are exactly those of dnassm/backend.h, so the CPU ops
// are the oracle (tests/kernels/cuda). Launchers only launch; the arithmetic that decides grids
// and chunking is in launch_plan.h.
#pragma once

#include <cuda_runtime.h>

#include "dnassm/backend.h"

#include "launch_plan.h"

namespace dnassm::cuda {

/// Throws Error(kResource) naming `what` when a CUDA call failed.
void check(cudaError_t status, const char* what);

/// Fused chunked selective scan. `scratch` holds 3 · n_chunks · E · N floats. With a.bf16, the
/// pointers u, delta, B, C, z and y point to bfloat16 arrays (same element strides).
void selective_scan(const SelectiveScanArgs& a,
                    const ScanPlan& plan,
                    float* scratch,
                    cudaStream_t s);
/// Passes 1-2 of the scan with chunks of `chunk` steps: decay (product of a chunk's decays) and
/// entry (the state before each chunk), each n_chunks · E · N floats; `reach` is scratch of the
/// same size. a.state (the initial state, or null) is only read.
void selective_scan_entry_states(const SelectiveScanArgs& a,
                                 std::int64_t chunk,
                                 std::int64_t n_chunks,
                                 float* decay,
                                 float* entry,
                                 float* reach,
                                 cudaStream_t s);
/// n floats to bfloat16 (round to nearest even) and back.
void to_bf16(const float* in, void* out, std::int64_t n, cudaStream_t s);
void from_bf16(const void* in, float* out, std::int64_t n, cudaStream_t s);
/// rows × cols floats with row stride ld to packed bfloat16 {rows, cols} (a GEMM operand).
void to_bf16_rows(const float* in,
                  std::int64_t rows,
                  std::int64_t cols,
                  std::int64_t ld,
                  void* out,
                  cudaStream_t s);
void causal_conv1d(const CausalConv1dArgs& a, cudaStream_t s);
void norm(const NormArgs& a, cudaStream_t s);
void embedding(const EmbeddingArgs& a, cudaStream_t s);
/// y{M, N} (+)= bias broadcast over rows (after the cuBLAS GEMM).
void add_bias_rows(
    float* y, std::int64_t ld_y, const float* bias, std::int64_t M, std::int64_t N, cudaStream_t s);
void add_inplace(float* x, const float* y, std::int64_t n, cudaStream_t s);
void hyena_gates(
    const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w, cudaStream_t s);
void mul_inplace(float* x, const float* y, std::int64_t n, cudaStream_t s);
void copy_block(const CopyBlockArgs& a, cudaStream_t s);
void gelu_tanh_inplace(float* x, std::int64_t n, cudaStream_t s);
void sin_activation(const float* x,
                    const float* freq,
                    std::int64_t rows,
                    std::int64_t cols,
                    float* y,
                    cudaStream_t s);

/// Hyena long-conv pieces around cuFFT (MODELS.md §6.3); n = FFT length, spectra n/2+1 wide.
/// k_pad{D, n}: the modulated filter, zero beyond L.
void hyena_filter_padded(const HyenaConvArgs& a, std::int64_t n, float* k_pad, cudaStream_t s);
/// w_pad{D, n}: w transposed to channel-major, zero beyond L.
void hyena_pad_input(const HyenaConvArgs& a, std::int64_t n, float* w_pad, cudaStream_t s);
/// W_f *= K_f, elementwise over D · (n/2 + 1) complex values (float2 pairs).
void complex_multiply(float2* wf, const float2* kf, std::int64_t count, cudaStream_t s);
/// y = x0 ⊙ (conv/n + bias·w), conv{D, n} channel-major.
void hyena_epilogue(const HyenaConvArgs& a, std::int64_t n, const float* conv, cudaStream_t s);

}  // namespace dnassm::cuda
