// Scalar math shared by every backend (host and, later, device code): the reference definitions
// that the fast paths are checked against.
#pragma once

#include <cmath>

#if defined(__CUDACC__)
#define DNASSM_HD __host__ __device__
#else
#define DNASSM_HD
#endif

namespace dnassm::math {

/// mamba_ssm's softplus (selective_scan kernel l.158-161): identity above 20.
DNASSM_HD inline float softplus(float x) { return x <= 20.0f ? log1pf(expf(x)) : x; }
DNASSM_HD inline double softplus(double x) { return x <= 20.0 ? log1p(exp(x)) : x; }

DNASSM_HD inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
DNASSM_HD inline double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

DNASSM_HD inline float silu(float x) { return x / (1.0f + expf(-x)); }
DNASSM_HD inline double silu(double x) { return x / (1.0 + exp(-x)); }

/// GELU with the tanh approximation (PyTorch approximate='tanh').
DNASSM_HD inline float gelu_tanh(float x) {
    return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}
DNASSM_HD inline double gelu_tanh(double x) {
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

}  // namespace dnassm::math
