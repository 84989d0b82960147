// Internal (training): the SplitMix64 finaliser, a pure function of its argument, so that what
// the trainers draw (windows, strands, masks) depends only on (seed, step) and resumed runs
// repeat it exactly.
#pragma once

#include <cstdint>

namespace dnassm {

[[nodiscard]] inline std::uint64_t splitmix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// Uniform in [0, 1) from 53 bits of splitmix64(z).
[[nodiscard]] inline double splitmix_uniform(std::uint64_t z) {
    return static_cast<double>(splitmix64(z) >> 11) * 0x1.0p-53;
}

}  // namespace dnassm
