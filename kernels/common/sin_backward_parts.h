// The fixed row parts of the Sin activation backward's frequency sum (Backend::
// sin_activation_backward), the same on the CPU and the GPU: each part is summed, then the parts
// in order, so the result depends on neither the thread count nor the device's.
#pragma once

#include <cstdint>

namespace dnassm {

constexpr std::int64_t kSinPart = 1024;  // rows per part

inline std::int64_t sin_backward_parts(std::int64_t rows) {
    return (rows + kSinPart - 1) / kSinPart;
}

}  // namespace dnassm
