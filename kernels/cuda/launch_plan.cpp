#include "launch_plan.h"

#include <algorithm>
#include <string>

#include "dnassm/error.h"

namespace dnassm::cuda {

ScanPlan plan_selective_scan(std::int64_t L, std::int64_t E, std::int64_t N) {
    DNASSM_CHECK(N >= 1 && N <= 32, ErrorKind::kUsage,
                 "CUDA selective scan supports d_state 1..32, not " + std::to_string(N));
    DNASSM_CHECK(L >= 1 && E >= 1, ErrorKind::kUsage, "selective scan needs L >= 1 and E >= 1");
    ScanPlan p;
    // Enough chunks to fill the device even for one sequence, but chunks long enough that the
    // sequential carry pass (n_chunks steps) stays negligible.
    p.chunk = std::clamp<std::int64_t>(L / 64, 64, 2048);
    p.n_chunks = (L + p.chunk - 1) / p.chunk;
    p.grid_x = (E + p.warps_per_block - 1) / p.warps_per_block;
    return p;
}

std::int64_t span_floats(std::int64_t rows, std::int64_t cols, std::int64_t ld) {
    return rows <= 0 ? 0 : (rows - 1) * ld + cols;
}

std::int64_t long_conv_fft_size(std::int64_t L) { return 2 * L; }

std::size_t pool_size_class(std::size_t bytes) {
    std::size_t c = 256;
    while (c < bytes) c <<= 1;
    return c;
}

}  // namespace dnassm::cuda
