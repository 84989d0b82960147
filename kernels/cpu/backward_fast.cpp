// Fast backward passes used by the trainer (the reference versions are the oracle).
#include <cblas.h>

#include "dnassm/thread_pool.h"

#include "backward.h"

namespace dnassm::cpu {

void linear_backward(
    const LinearArgs& a, const float* dy, float* dx, float* dweight, float* dbias) {
    const int M = static_cast<int>(a.M), K = static_cast<int>(a.K), N = static_cast<int>(a.N);
    if (dx)  // dx{M, K} += dy{M, N} · W{N, K}
        parallel_for(a.M, 256, [&](std::int64_t r0, std::int64_t r1) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(r1 - r0), K, N,
                        1.0f, dy + r0 * a.ld_y, static_cast<int>(a.ld_y), a.weight, K, 1.0f,
                        dx + r0 * a.ld_x, static_cast<int>(a.ld_x));
        });
    if (dweight)  // dW{N, K} += dy^T{N, M} · x{M, K}
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, dy,
                    static_cast<int>(a.ld_y), a.x, static_cast<int>(a.ld_x), 1.0f, dweight, K);
    if (dbias)
        for (std::int64_t i = 0; i < a.M; ++i)
            for (std::int64_t j = 0; j < a.N; ++j) dbias[j] += dy[i * a.ld_y + j];
}

}  // namespace dnassm::cpu
