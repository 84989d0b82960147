// Internal (training, issue B): backward passes of the CPU ops, reference versions (naive loops,
// double accumulation) written next to the equations of MODELS.md §4.3. They are checked against
// finite differences in tests/kernels/cpu/grad_test.cpp; fast versions and the Backend entry
// points follow once the trainer uses them.
#pragma once

#include "dnassm/backend.h"

namespace dnassm::cpu::ref {

/// Gradients of the selective scan (§4.3). `fwd` holds the forward arguments exactly as given to
/// selective_scan (its state pointer = the INITIAL state, read only here; y is not used).
/// dy {L, E}: gradient of the (gated) output. dstate_final {E, N}: gradient of the final state
/// (may be null). Outputs are ACCUMULATED (+=) and may be null when not wanted:
/// du, ddelta (w.r.t. the raw delta before bias/softplus), dz {L, E}; dA {E, N}; dB, dC {L, N};
/// dD, ddelta_bias {E}; dstate_init {E, N}.
struct SelectiveScanGrads {
    const float* dy = nullptr;
    const float* dstate_final = nullptr;
    float *du = nullptr, *ddelta = nullptr, *dz = nullptr, *dA = nullptr, *dB = nullptr,
          *dC = nullptr, *dD = nullptr, *ddelta_bias = nullptr, *dstate_init = nullptr;
};
void selective_scan_backward(const SelectiveScanArgs& fwd, const SelectiveScanGrads& g);

/// Gradients of the causal depthwise conv (+ optional SiLU). dy {L, E}; outputs accumulated:
/// dx {L, E}, dweight {E, W}, dbias {E}, dstate_init {E, W} (gradient of the carried inputs).
struct CausalConv1dGrads {
    const float* dy = nullptr;
    float *dx = nullptr, *dweight = nullptr, *dbias = nullptr, *dstate_init = nullptr;
};
void causal_conv1d_backward(const CausalConv1dArgs& fwd, const CausalConv1dGrads& g);

/// Gradients of the fused Hyena long convolution (MODELS.md §6.4, direct sums): with g = dy ⊙ x0,
/// dw[t] = Σ_{s>=t} g[s] k[s−t] + bias·g[t], dk[j] = Σ_{t>=j} g[t] w[t−j], dbias = Σ_t g[t] w[t],
/// dx0 = dy ⊙ (conv + bias·w); dk is carried back through the modulation into the filter basis
/// and the filter projection (t and deltas have no gradient). Outputs accumulated, may be null.
struct HyenaConvGrads {
    const float* dy = nullptr;
    float *dx0 = nullptr, *dw = nullptr, *dbasis = nullptr, *dfilter_w = nullptr, *dbias = nullptr;
};
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
void causal_conv1d_backward(const CausalConv1dArgs& fwd, const ref::CausalConv1dGrads& g);

/// Vectorised, threaded x = gelu_tanh(x_in) backward (same contract as ref::gelu_tanh_backward).
void gelu_tanh_backward(const float* x_in, const float* dy, float* dx, std::int64_t n);

/// FFT-based float Hyena long-conv backward (same contract as ref::hyena_conv_backward), channels
/// on the pool; deterministic for any thread count.
void hyena_conv_backward(const HyenaConvArgs& fwd, const ref::HyenaConvGrads& g);

/// Threaded float selective-scan backward (same contract as ref::selective_scan_backward);
/// deterministic for any thread count.
void selective_scan_backward(const SelectiveScanArgs& fwd, const ref::SelectiveScanGrads& g);

}  // namespace dnassm::cpu
