// Rounding fp32 to bfloat16 (nearest, ties to even, as CUDA's __float2bfloat16_rn), kept in a
// float: how the CPU backends emulate bfloat16 storage (the scan's bf16 flag) and autocast's
// bfloat16 GEMM inputs (Backend::set_bf16_gemms).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace dnassm {

inline float round_bf16(float x) {
    std::uint32_t b = 0;
    std::memcpy(&b, &x, 4);
    if ((b & 0x7f800000u) == 0x7f800000u) {
        if (b & 0x007fffffu) b |= 0x00400000u;  // NaN stays a (quiet) NaN
    } else {
        b += 0x7fffu + ((b >> 16) & 1u);
    }
    b &= 0xffff0000u;
    std::memcpy(&x, &b, 4);
    return x;
}

/// A rounded copy of `rows` rows of `cols` floats with row stride ld, in the same layout (the
/// values between rows are rounded too and never read). Empty for a null p or no rows.
inline std::vector<float> bf16_rounded(const float* p,
                                       std::int64_t rows,
                                       std::int64_t cols,
                                       std::int64_t ld) {
    std::vector<float> v;
    if (!p || rows <= 0) return v;
    v.assign(p, p + (rows - 1) * ld + cols);
    for (float& x : v) x = round_bf16(x);
    return v;
}

}  // namespace dnassm
