// The AdamW update of one element (Backend::adamw_update), shared by the CPU op and the CUDA
// kernel so both do the same double-precision arithmetic.
#pragma once

#include <cmath>
#include <cstdint>

#include "dnassm/backend.h"

#ifdef __CUDACC__
#define DNASSM_HOST_DEVICE __host__ __device__
#else
#define DNASSM_HOST_DEVICE
#endif

namespace dnassm {

DNASSM_HOST_DEVICE inline void adamw_element(const AdamWArgs& a, std::int64_t i) {
    const double g = a.grad[i] * a.clip;
    const double m = a.beta1 * a.m[i] + (1.0 - a.beta1) * g;
    const double v = a.beta2 * a.v[i] + (1.0 - a.beta2) * g * g;
    a.m[i] = static_cast<float>(m);
    a.v[i] = static_cast<float>(v);
    double w = a.param[i];
    if (a.decay) w -= a.lr * a.weight_decay * w;  // decoupled
    w -= a.lr * (m / a.bc1) / (sqrt(v / a.bc2) + a.eps);
    a.param[i] = static_cast<float>(w);
}

}  // namespace dnassm
