// Vectorised elementwise activations, included once per ISA.
#pragma once

#include <cstdint>

#include "simd_math.h"

namespace dnassm::cpu {

/// x = x · sigmoid(x), in place.
template <int kLanes>
void silu_inplace_lanes(float* x, std::int64_t n) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        simd::store<F>(x + i, simd::silu<F, I>(simd::load<F>(x + i)));
    if (i < n) {
        float tmp[kLanes] = {};
        for (std::int64_t k = i; k < n; ++k) tmp[k - i] = x[k];
        const F v = simd::silu<F, I>(simd::load<F>(tmp));
        simd::store<F>(tmp, v);
        for (std::int64_t k = i; k < n; ++k) x[k] = tmp[k - i];
    }
}

}  // namespace dnassm::cpu
