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

DNASSM_HD inline float silu(float x) { return x / (1.0f + expf(-x)); }
DNASSM_HD inline double silu(double x) { return x / (1.0 + exp(-x)); }

}  // namespace dnassm::math
