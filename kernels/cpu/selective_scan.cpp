// Run-time ISA dispatch for the vectorised kernels (selective scan, activations): AVX2+FMA when the
// CPU has both (checked once), else the SSE2 baseline every x86-64 CPU has.
#include <cstdlib>

#include "activations_impl.h"
#include "cpu_ops.h"
#include "selective_scan_impl.h"

namespace dnassm::cpu {

void selective_scan_avx2(const SelectiveScanArgs& a);
void silu_inplace_avx2(float* x, std::int64_t n);
void gelu_tanh_inplace_avx2(float* x, std::int64_t n);
void exp_inplace_avx2(float* x, std::int64_t n);

bool cpu_has_avx2_fma() {
    // DNASSM_CPU_BASELINE=1 forces the SSE2 instances (their tests run on AVX2 machines too).
    static const bool has = std::getenv("DNASSM_CPU_BASELINE") == nullptr &&
                            __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
}

void selective_scan(const SelectiveScanArgs& a) {
    if (cpu_has_avx2_fma()) {
        selective_scan_avx2(a);
    } else {
        selective_scan_blocks<4>(a);
    }
}

void silu_inplace(float* x, std::int64_t n) {
    if (cpu_has_avx2_fma()) {
        silu_inplace_avx2(x, n);
    } else {
        silu_inplace_lanes<4>(x, n);
    }
}

void gelu_tanh_inplace(float* x, std::int64_t n) {
    parallel_for(n, 1 << 15, [&](std::int64_t i0, std::int64_t i1) {
        if (cpu_has_avx2_fma()) {
            gelu_tanh_inplace_avx2(x + i0, i1 - i0);
        } else {
            gelu_tanh_inplace_lanes<4>(x + i0, i1 - i0);
        }
    });
}

void exp_inplace(float* x, std::int64_t n) {
    if (cpu_has_avx2_fma()) {
        exp_inplace_avx2(x, n);
    } else {
        exp_inplace_lanes<4>(x, n);
    }
}

}  // namespace dnassm::cpu
