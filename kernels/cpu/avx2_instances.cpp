// AVX2+FMA instances of the vectorised CPU kernels (this file alone is compiled with
// -mavx2 -mfma; selective_scan.cpp picks it at run time when the CPU has both).
#include "activations_impl.h"
#include "selective_scan_backward_impl.h"
#include "selective_scan_impl.h"

namespace dnassm::cpu {
void selective_scan_avx2(const SelectiveScanArgs& a) { selective_scan_blocks<8>(a); }
void silu_inplace_avx2(float* x, std::int64_t n) { silu_inplace_lanes<8>(x, n); }
void gelu_tanh_inplace_avx2(float* x, std::int64_t n) { gelu_tanh_inplace_lanes<8>(x, n); }
void exp_inplace_avx2(float* x, std::int64_t n) { exp_inplace_lanes<8>(x, n); }
void gelu_tanh_backward_avx2(const float* x, const float* dy, float* dx, std::int64_t n) {
    gelu_tanh_backward_lanes<8>(x, dy, dx, n);
}
void selective_scan_backward_avx2(const SelectiveScanArgs& a, const SelectiveScanGrads& g) {
    selective_scan_backward_lanes<8>(a, g);
}
}  // namespace dnassm::cpu
