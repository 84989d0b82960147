// Internal (training, issue B): backward passes of the CPU ops, reference versions (naive loops,
// double accumulation) written next to the equations of MODELS.md §4.3. They are checked against
// finite differences in tests/kernels/cpu/grad_test.cpp; the fast versions below are the "cpu"
// backend's, the reference ones the "cpu-ref" backend's.
#pragma once

#include "dnassm/backend.h"

namespace dnassm::cpu::ref {

/// Backward ops with the contracts of dnassm/backend.h (Backend::*_backward).
void selective_scan_backward(const SelectiveScanArgs& fwd, const SelectiveScanGrads& g);

void causal_conv1d_backward(const CausalConv1dArgs& fwd, const CausalConv1dGrads& g);

void hyena_conv_backward(const HyenaConvArgs& fwd, const HyenaConvGrads& g);

/// x = gelu_tanh(x_in): dx += dy · gelu'(x_in).
void gelu_tanh_backward(const float* x_in, const float* dy, float* dx, std::int64_t n);

/// y = x W^T + b: dx {M, K} += dy W; dW {N, K} += dy^T x; db {N} += Σ dy.
void linear_backward(
    const LinearArgs& fwd, const float* dy, float* dx, float* dweight, float* dbias);

/// RMSNorm / LayerNorm: dx {rows, D} += ..., dweight/dbias {D} += ...
void norm_backward(const NormArgs& fwd, const float* dy, float* dx, float* dweight, float* dbias);

}  // namespace dnassm::cpu::ref

namespace dnassm::cpu {

/// BLAS-backed linear backward (same contract as ref::linear_backward), rows split on the pool
/// for dx; dW and db are single sgemm / loops so the result does not depend on the thread count.
void linear_backward(
    const LinearArgs& fwd, const float* dy, float* dx, float* dweight, float* dbias);

}  // namespace dnassm::cpu

namespace dnassm::cpu {

/// Threaded float causal-conv backward (same contract as ref::causal_conv1d_backward);
/// deterministic for any thread count (all sums are per channel).
void causal_conv1d_backward(const CausalConv1dArgs& fwd, const CausalConv1dGrads& g);

/// Vectorised, threaded x = gelu_tanh(x_in) backward (same contract as ref::gelu_tanh_backward).
void gelu_tanh_backward(const float* x_in, const float* dy, float* dx, std::int64_t n);

/// FFT-based float Hyena long-conv backward (same contract as ref::hyena_conv_backward), channels
/// on the pool; deterministic for any thread count.
void hyena_conv_backward(const HyenaConvArgs& fwd, const HyenaConvGrads& g);

/// Threaded float selective-scan backward (same contract as ref::selective_scan_backward);
/// deterministic for any thread count.
void selective_scan_backward(const SelectiveScanArgs& fwd, const SelectiveScanGrads& g);

/// Threaded norm backward (same contract as ref::norm_backward): rows on the pool, dweight/dbias
/// summed per fixed block of rows and the blocks added in order, so deterministic for any thread
/// count.
void norm_backward(const NormArgs& fwd, const float* dy, float* dx, float* dweight, float* dbias);

}  // namespace dnassm::cpu
