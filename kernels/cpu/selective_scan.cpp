// Selective scan dispatch: AVX2 when the CPU has it (checked once), else the SSE2 baseline.
#include "selective_scan_impl.h"

namespace dnassm::cpu {

void selective_scan_avx2(const SelectiveScanArgs& a);

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

}  // namespace dnassm::cpu
