// Entry point of the fast selective-scan backward: the AVX2 instance when the CPU has it, else
// the SSE (4-lane) instance compiled here. See selective_scan_backward_impl.h.
#include "backward.h"
#include "cpu_ops.h"
#include "selective_scan_backward_impl.h"

namespace dnassm::cpu {

void selective_scan_backward_avx2(const SelectiveScanArgs& a, const SelectiveScanGrads& g);

void selective_scan_backward(const SelectiveScanArgs& a, const SelectiveScanGrads& g) {
    if (cpu_has_avx2_fma()) {
        selective_scan_backward_avx2(a, g);
        return;
    }
    selective_scan_backward_lanes<4>(a, g);
}

}  // namespace dnassm::cpu
