// Internal: the fast CPU op implementations behind CpuBackend (one file per op).
#pragma once

#include "dnassm/backend.h"

namespace dnassm::cpu {

void linear(const LinearArgs& a);
void norm(const NormArgs& a);
void causal_conv1d(const CausalConv1dArgs& a);
void selective_scan(const SelectiveScanArgs& a);
void embedding(const EmbeddingArgs& a);
void add_inplace(float* x, const float* y, std::int64_t n);
void hyena_conv(const HyenaConvArgs& a);
void gelu_tanh_inplace(float* x, std::int64_t n);
void sin_activation(
    const float* x, const float* freq, std::int64_t rows, std::int64_t cols, float* y);
void hyena_gates(const float* uc, std::int64_t n, std::int64_t D, float* x0, float* w);
/// Backward of hyena_gates and sin_activation (Backend's contracts; exact or summed in double in
/// a fixed order, so both CPU backends use them).
void hyena_gates_backward(
    const float* uc, const float* dx0, const float* dw, std::int64_t n, std::int64_t D, float* duc);
void sin_activation_backward(const float* x,
                             const float* freq,
                             const float* dy,
                             std::int64_t rows,
                             std::int64_t cols,
                             float* dx,
                             float* dfreq);
void mul_inplace(float* x, const float* y, std::int64_t n);
void copy_block(const CopyBlockArgs& a);
void adamw_update(const AdamWArgs& a);
void embedding_backward(const EmbeddingArgs& a, const float* dy, std::int64_t ld, float* dtable);
double next_token_loss(
    const float* logits, std::int64_t L, std::int64_t V, const std::int32_t* ids, float* dlogits);
/// x = exp(x) elementwise (vectorised, single thread).
void exp_inplace(float* x, std::int64_t n);
/// True when the CPU has AVX2 and FMA (checked once); picks the vectorised kernel instances.
bool cpu_has_avx2_fma();
/// x = silu(x) elementwise (vectorised).
void silu_inplace(float* x, std::int64_t n);

/// The naive single-threaded double-accumulating reference ops ("cpu-ref"), the oracle for the
/// other backends.
namespace ref {
void linear(const LinearArgs& a);
void norm(const NormArgs& a);
void causal_conv1d(const CausalConv1dArgs& a);
void selective_scan(const SelectiveScanArgs& a);
void hyena_conv(const HyenaConvArgs& a);
void gelu_tanh_inplace(float* x, std::int64_t n);
void sin_activation(
    const float* x, const float* freq, std::int64_t rows, std::int64_t cols, float* y);
}  // namespace ref

}  // namespace dnassm::cpu
