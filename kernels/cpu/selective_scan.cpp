// Run-time ISA dispatch for the vectorised kernels: AVX2+FMA when the CPU has both (checked
// once), else the SSE2 baseline every x86-64 CPU has.
#include "activations_impl.h"
#include "cpu_ops.h"
#include "selective_scan_impl.h"

namespace dnassm::cpu {

void selective_scan_avx2(const SelectiveScanArgs& a);
void silu_inplace_avx2(float* x, std::int64_t n);

static bool cpu_has_avx2_fma() {
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
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

}  // namespace dnassm::cpu
