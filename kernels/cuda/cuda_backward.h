// CUDA backward kernels and their launchers (issue C2). Every pointer is a DEVICE pointer; the
// contracts are those of Backend::*_backward in dnassm/backend.h (gradients are accumulated),
// so the CPU backward ops are the oracle (tests/kernels/cuda). GEMMs (linear backward and the
// Hyena filter's projections) are cuBLAS calls made by the backend.
#pragma once

#include <cuda_runtime.h>

#include "dnassm/backend.h"

#include "../common/sin_backward_parts.h"
#include "launch_plan.h"

namespace dnassm::cuda {

/// `scratch` holds scan_backward_scratch(plan, E, N).total floats.
void selective_scan_backward(const SelectiveScanArgs& a,
                             const SelectiveScanGrads& g,
                             const ScanBackwardPlan& plan,
                             float* scratch,
                             cudaStream_t s);

/// The column sums' scratch floats (partials of each row part, RowParts) for `per_row` values
/// summed over `rows` rows; none when the rows are one part.
inline std::int64_t row_part_floats(std::int64_t rows, std::int64_t per_row) {
    const RowParts p = plan_row_parts(rows);
    return p.parts > 1 ? p.parts * per_row : 0;
}

/// `scratch` holds L · E + row_part_floats(L, E · (W + 1)) floats.
void causal_conv1d_backward(const CausalConv1dArgs& a,
                            const CausalConv1dGrads& g,
                            float* scratch,
                            cudaStream_t s);

/// `scratch` holds 2 · rows + row_part_floats(rows, 2 · D) floats.
void norm_backward(const NormArgs& a,
                   const float* dy,
                   float* dx,
                   float* dweight,
                   float* dbias,
                   float* scratch,
                   cudaStream_t s);

void gelu_tanh_backward(
    const float* x_in, const float* dy, float* dx, std::int64_t n, cudaStream_t s);

void hyena_gates_backward(const float* uc,
                          const float* dx0,
                          const float* dw,
                          std::int64_t n,
                          std::int64_t D,
                          float* duc,
                          cudaStream_t s);

/// `scratch` holds sin_backward_parts(rows) · cols doubles.
void sin_activation_backward(const float* x,
                             const float* freq,
                             const float* dy,
                             std::int64_t rows,
                             std::int64_t cols,
                             float* dx,
                             float* dfreq,
                             double* scratch,
                             cudaStream_t s);

/// dtable{V, D} += dy rows into the rows of their ids, summed over row parts in order; `scratch`
/// holds row_part_floats(L, V · D) floats.
void embedding_backward(const EmbeddingArgs& a,
                        const float* dy,
                        std::int64_t ld,
                        float* dtable,
                        float* scratch,
                        cudaStream_t s);
/// Per-row next-token losses row_loss{L−1} (double, −log p of the next id) and dlogits{L, V}
/// (null: not wanted; rows scaled by 1/(L−1), last row zero).
void next_token_loss(const float* logits,
                     std::int64_t L,
                     std::int64_t V,
                     const std::int32_t* ids,
                     double* row_loss,
                     float* dlogits,
                     cudaStream_t s);

/// One AdamW update (Backend::adamw_update), double precision per element.
void adamw_update(const AdamWArgs& a, cudaStream_t s);

/// out{cols} += x{rows, cols} (row stride ld) summed over rows; `scratch` holds
/// row_part_floats(rows, cols) floats.
void add_column_sums(const float* x,
                     std::int64_t rows,
                     std::int64_t cols,
                     std::int64_t ld,
                     float* out,
                     float* scratch,
                     cudaStream_t s);

// ---- Hyena long-conv backward pieces around cuFFT (MODELS.md §6.4); n = FFT length,
// channel-major padded buffers {D, n}, spectra {D, n/2 + 1}.

/// gg_pad{D, n} = (dy ⊙ x0) transposed to channel-major, zero beyond L.
void hyena_pad_gated_grad(
    const HyenaConvArgs& a, const float* dy, std::int64_t n, float* gg_pad, cudaStream_t s);
/// out = p ⊙ q, or p ⊙ conj(q), over `count` complex values.
void complex_product(
    float2* out, const float2* p, const float2* q, std::int64_t count, bool conj_q, cudaStream_t s);
/// The C2R result c{D, n} (channel-major) into an {L, D} gradient:
///   dw = false: dx0 += dy ⊙ (conv/n + bias·w), c = the convolution w * k;
///   dw = true:  dw += corr/n + bias·gg, c = the correlation of gg with the filter.
void hyena_backward_epilogue(const HyenaConvArgs& a,
                             const float* dy,
                             std::int64_t n,
                             const float* c,
                             float* out,
                             bool dw,
                             cudaStream_t s);
/// dk{D, n} (first L columns) = dk/n · modulation, in place: the gradient of basis·filter_wᵀ.
void hyena_backward_modulate(const HyenaConvArgs& a, std::int64_t n, float* dk, cudaStream_t s);
/// out[d] += Σ_{j<L} p[d·n + j] · q[d·n + j].
void add_channel_dots(const float* p,
                      const float* q,
                      std::int64_t D,
                      std::int64_t L,
                      std::int64_t n,
                      float* out,
                      cudaStream_t s);

}  // namespace dnassm::cuda
