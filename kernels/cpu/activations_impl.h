// Vectorised elementwise activations, included once per ISA.
#pragma once

#include <cmath>
#include <cstdint>

#include "simd_math.h"

namespace dnassm::cpu {

/// x[i] = f(x[i]) for a vector function f, kLanes at a time; the tail is padded into one more
/// vector so every element goes through the same f.
template <int kLanes, typename Fn>
void map_inplace_lanes(float* x, std::int64_t n, Fn f) {
    using F = typename simd::VecTypes<kLanes>::F;
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) simd::store<F>(x + i, f(simd::load<F>(x + i)));
    if (i < n) {
        float tmp[kLanes] = {};
        for (std::int64_t k = i; k < n; ++k) tmp[k - i] = x[k];
        simd::store<F>(tmp, f(simd::load<F>(tmp)));
        for (std::int64_t k = i; k < n; ++k) x[k] = tmp[k - i];
    }
}

/// x = x · sigmoid(x), in place.
template <int kLanes>
void silu_inplace_lanes(float* x, std::int64_t n) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    map_inplace_lanes<kLanes>(x, n, [](F v) { return simd::silu<F, I>(v); });
}

/// x = gelu_tanh(x) = 0.5·x·(1 + tanh(u)) = x · sigmoid(2u), u = √(2/π)(x + 0.044715x³).
template <int kLanes>
void gelu_tanh_inplace_lanes(float* x, std::int64_t n) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    map_inplace_lanes<kLanes>(x, n, [](F v) {
        const F u = (v + v * v * v * 0.044715f) * 0.7978845608028654f;
        return v / (simd::exp<F, I>(u * -2.0f) + 1.0f);
    });
}

/// dx += dy · gelu_tanh'(x): with s = sigmoid(2u), gelu = x·s and
/// gelu' = s + 2·x·s·(1 − s)·u'(x), u'(x) = √(2/π)(1 + 3·0.044715x²).
template <int kLanes>
void gelu_tanh_backward_lanes(const float* x, const float* dy, float* dx, std::int64_t n) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    auto grad = [](F v) {
        const F v2 = v * v;
        const F u = (v + v * v2 * 0.044715f) * 0.7978845608028654f;
        const F du = (v2 * (3.0f * 0.044715f) + 1.0f) * 0.7978845608028654f;
        const F s = 1.0f / (simd::exp<F, I>(u * -2.0f) + 1.0f);
        return s + v * s * (1.0f - s) * du * 2.0f;
    };
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        simd::store<F>(dx + i,
                       simd::load<F>(dx + i) + simd::load<F>(dy + i) * grad(simd::load<F>(x + i)));
    if (i < n) {
        float tx[kLanes] = {}, tg[kLanes];
        for (std::int64_t k = i; k < n; ++k) tx[k - i] = x[k];
        simd::store<F>(tg, grad(simd::load<F>(tx)));
        for (std::int64_t k = i; k < n; ++k) dx[k] += dy[k] * tg[k - i];
    }
}

/// x = exp(x), in place.
template <int kLanes>
void exp_inplace_lanes(float* x, std::int64_t n) {
    using F = typename simd::VecTypes<kLanes>::F;
    using I = typename simd::VecTypes<kLanes>::I;
    std::int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        simd::store<F>(x + i, simd::exp<F, I>(simd::load<F>(x + i)));
    for (; i < n; ++i) x[i] = std::exp(x[i]);
}

}  // namespace dnassm::cpu
