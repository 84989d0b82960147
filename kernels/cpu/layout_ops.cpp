// Elementwise product and strided (optionally flipped) block copies: Caduceus's bidirectional and
// reverse-complement layout work, rows on the pool. Exact, so both CPU backends share them.
#include "dnassm/thread_pool.h"

#include "cpu_ops.h"

namespace dnassm::cpu {

void mul_inplace(float* x, const float* y, std::int64_t n) {
    parallel_for(n, 1 << 16, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) x[i] *= y[i];
    });
}

void copy_block(const CopyBlockArgs& a) {
    parallel_for(a.rows, 256, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            const float* s = a.src + (a.flip_rows ? a.rows - 1 - r : r) * a.ld_src;
            float* d = a.dst + r * a.ld_dst;
            if (a.flip_cols)
                for (std::int64_t c = 0; c < a.cols; ++c) d[c] = s[a.cols - 1 - c];
            else
                for (std::int64_t c = 0; c < a.cols; ++c) d[c] = s[c];
        }
    });
}

}  // namespace dnassm::cpu
