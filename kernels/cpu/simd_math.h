// Vectorised exp/log for GCC vector types (float lanes), Cephes-style polynomials (~2 ulp).
// Included by the per-ISA translation units of the CPU kernels; V is e.g. float[8] for AVX2.
#pragma once

#include <cstdint>
#include <cstring>

namespace dnassm::cpu::simd {

template <int kLanes>
struct VecTypes {
    typedef float F __attribute__((vector_size(kLanes * 4)));
    typedef std::int32_t I __attribute__((vector_size(kLanes * 4)));
};

template <typename F>
inline F splat(float x) {
    return F{} + x;
}

template <typename F>
inline F load(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof(F));
    return v;
}

template <typename F>
inline void store(float* p, F v) {
    std::memcpy(p, &v, sizeof(F));
}

/// exp(x), ~2 ulp, for x <= 88.3; underflows smoothly to 0 below -87.3 (inputs are clamped
/// there, returning ~1e-38, which is 0 for every use here). Round-to-nearest via the 1.5·2^23
/// trick, Cody-Waite reduction, degree-5 minimax polynomial (Cephes expf coefficients).
template <typename F, typename I>
inline F exp(F x) {
    x = x < -87.3365478515625f ? splat<F>(-87.3365478515625f) : x;
    x = x > 88.3762626647949f ? splat<F>(88.3762626647949f) : x;
    const float kShift = 12582912.0f;  // 1.5 * 2^23
    F t = x * 1.44269504088896341f + kShift;
    F n = t - kShift;  // round(x / ln 2)
    I ti;
    std::memcpy(&ti, &t, sizeof(F));
    I e = (ti - 0x4B400000) << 23;  // integer n shifted into the exponent field
    F r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    F z = r * r;
    F y = splat<F>(1.9875691500E-4f);
    y = y * r + 1.3981999507E-3f;
    y = y * r + 8.3334519073E-3f;
    y = y * r + 4.1665795894E-2f;
    y = y * r + 1.6666665459E-1f;
    y = y * r + 5.0000001201E-1f;
    y = y * z + r + 1.0f;
    I yi;
    std::memcpy(&yi, &y, sizeof(F));
    yi += e;
    std::memcpy(&y, &yi, sizeof(F));
    return y;
}

/// 2^x for x <= 0 (the scan's decay factors; A·log2(e) is folded into x by the caller).
/// Inputs below -126 are clamped (result ~1e-38, i.e. 0 for the scan). Degree-6 Taylor
/// polynomial of 2^f on |f| <= 0.5: relative error < 2e-7.
template <typename F, typename I>
inline F exp2_nonpositive(F x) {
    x = x < -126.0f ? splat<F>(-126.0f) : x;
    const float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    F t = x + kShift;
    F n = t - kShift;
    F f = x - n;  // in [-0.5, 0.5]
    I ti;
    std::memcpy(&ti, &t, sizeof(F));
    I e = (ti - 0x4B400000) << 23;
    F y = splat<F>(1.5403530393381609e-4f);
    y = y * f + 1.3333558146428443e-3f;
    y = y * f + 9.6181291076284772e-3f;
    y = y * f + 5.5504108664821580e-2f;
    y = y * f + 2.4022650695910071e-1f;
    y = y * f + 6.9314718055994531e-1f;
    y = y * f + 1.0f;
    I yi;
    std::memcpy(&yi, &y, sizeof(F));
    yi += e;
    std::memcpy(&y, &yi, sizeof(F));
    return y;
}

/// Natural log for x > 0 (normal numbers).
template <typename F, typename I>
inline F log(F x) {
    I bits;
    std::memcpy(&bits, &x, sizeof(F));
    I exponent = ((bits >> 23) & 0xff) - 126;
    bits = (bits & 0x007fffff) | 0x3f000000;  // mantissa in [0.5, 1)
    F m;
    std::memcpy(&m, &bits, sizeof(F));
    F e = __builtin_convertvector(exponent, F);
    auto small = m < 0.707106781186547524f;
    e = small ? e - 1.0f : e;
    m = small ? m + m - 1.0f : m - 1.0f;
    F z = m * m;
    F y = splat<F>(7.0376836292E-2f);
    y = y * m - 1.1514610310E-1f;
    y = y * m + 1.1676998740E-1f;
    y = y * m - 1.2420140846E-1f;
    y = y * m + 1.4249322787E-1f;
    y = y * m - 1.6668057665E-1f;
    y = y * m + 2.0000714765E-1f;
    y = y * m - 2.4999993993E-1f;
    y = y * m + 3.3333331174E-1f;
    y = y * m * z;
    y = y + e * -2.12194440e-4f;
    y = y - z * 0.5f;
    return m + y + e * 0.693359375f;
}

/// mamba_ssm softplus: x > 20 ? x : log1p(exp(x)), with log1p done accurately (Goldberg's trick).
template <typename F, typename I>
inline F softplus(F x) {
    F ex = exp<F, I>(x);
    F u = ex + 1.0f;
    F denom = u - 1.0f;
    F safe = denom == 0.0f ? splat<F>(1.0f) : denom;
    F r = log<F, I>(u) * (ex / safe);
    r = denom == 0.0f ? ex : r;
    return x > 20.0f ? x : r;
}

template <typename F, typename I>
inline F silu(F x) {
    return x / (exp<F, I>(-x) + 1.0f);
}

}  // namespace dnassm::cpu::simd
