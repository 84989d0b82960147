// Host-side launch arithmetic of the CUDA kernels (issue C1). Plain C++ so the CPU test suite
// checks it on machines without a GPU; the .cu files only launch what these functions decide.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dnassm::cuda {

/// The fused selective scan runs in three passes over chunks of the time axis: per-chunk summaries
/// (state reached from zero, product of decays), a carry pass over chunks, then the outputs from
/// each chunk's entry state. One thread per (channel, chunk) holding the channel's N <= 32 states
/// in registers; a block covers kChannelsPerBlock channels of one chunk.
struct ScanPlan {
    static constexpr int kChannelsPerBlock = 128;
    std::int64_t chunk = 0;     // timesteps per chunk
    std::int64_t n_chunks = 0;  // ceil(L / chunk)
    std::int64_t grid_x = 0;    // ceil(E / kChannelsPerBlock)
    /// Stage each tile's delta, u and z through shared memory (all loads issued up front) rather
    /// than loading them step by step: a variant for benchmarks until a GPU run picks one (set
    /// for every scan by the environment variable DNASSM_CUDA_SCAN_STAGED, so the parity suite
    /// can check it).
    bool staged_inputs = false;
};

/// Throws Error(kUsage) for N > 32 (the kernels keep at most 32 states per thread).
ScanPlan plan_selective_scan(std::int64_t L, std::int64_t E, std::int64_t N);

/// The selective-scan backward (MODELS.md §4.3) in chunks, without any [L, E, N] tensor:
/// the forward's chunk entry states (passes 1-2 of the forward), per-chunk summaries of the
/// reverse (adjoint) recurrence, a reverse carry pass over chunks, then one gradient pass per
/// chunk that recomputes the chunk's states from checkpoints every `sub` steps and sweeps it in
/// reverse. Sums over time (dA, dD, d delta_bias) are per-chunk partials added in chunk order;
/// sums over channels (dB, dC) are reduced over a block's warps in shared memory, then over
/// channel blocks in order, a segment of chunks at a time, so results are deterministic.
struct ScanBackwardPlan {
    static constexpr int kSub = 32;          // states a warp holds at once
    static constexpr int kCheckpoints = 32;  // => chunk <= kSub · kCheckpoints
    static constexpr int kWarps = 4;         // channels per block
    std::int64_t chunk = 0, n_chunks = 0;
    std::int64_t grid_x = 0;          // channel blocks: ceil(E / kWarps), or ceil(E / 128)
    std::int64_t segment_chunks = 0;  // chunks per gradient launch (bounds the dB/dC partials)
    /// A thread per channel with its N states in registers (scan_backward_channel.h; blocks of
    /// ChannelScanBackward::kThreads channels, chunks of at most 512 steps) instead of a warp per
    /// channel and a lane per state: set by the environment variable DNASSM_CUDA_SCAN_BACKWARD=
    /// channel until a GPU run has checked and timed it.
    bool per_channel = false;
};

/// Throws Error(kUsage) for N > 32. The variant is the environment's (per_channel above) unless
/// given.
ScanBackwardPlan plan_selective_scan_backward(std::int64_t L, std::int64_t E, std::int64_t N);
ScanBackwardPlan plan_selective_scan_backward(std::int64_t L,
                                              std::int64_t E,
                                              std::int64_t N,
                                              bool per_channel);

/// Where the backward's scratch floats go (offsets into one buffer of `total` floats).
struct ScanBackwardScratch {
    std::int64_t decay = 0, entry = 0, reach = 0, back_reach = 0, exit_carry = 0, dA = 0, dD = 0,
                 dbias = 0, dB = 0, dC = 0, total = 0;
};
ScanBackwardScratch scan_backward_scratch(const ScanBackwardPlan& p,
                                          std::int64_t E,
                                          std::int64_t N);

/// The column sums over long windows (bias, norm and conv parameter gradients, the embedding
/// backward) cut the rows into `parts` consecutive ranges of `rows_per_part` (the last may be
/// shorter, none is empty), each summed by blocks of its own, then add the parts in order: a
/// 1 Mb window then fills the device instead of a few SMs, and the result depends only on the row
/// count. Up to kMinRows rows are one part, summed straight into the output; so are all rows
/// when the environment sets DNASSM_CUDA_ONE_ROW_PART (to rule the parts out of a fault).
struct RowParts {
    static constexpr std::int64_t kMinRows = 2048, kMaxParts = 128;
    std::int64_t parts = 1, rows_per_part = 0;
};
RowParts plan_row_parts(std::int64_t rows);

/// Floats spanned by `rows` rows of `cols` values with row stride `ld` (0 when rows == 0).
std::int64_t span_floats(std::int64_t rows, std::int64_t cols, std::int64_t ld);

}  // namespace dnassm::cuda
