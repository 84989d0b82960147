// AVX2+FMA instance of the selective scan (compiled with -mavx2 -mfma; chosen at run time).
#include "selective_scan_impl.h"

namespace dnassm::cpu {
void selective_scan_avx2(const SelectiveScanArgs& a) { selective_scan_blocks<8>(a); }
}  // namespace dnassm::cpu
