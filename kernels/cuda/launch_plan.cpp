#include "launch_plan.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "dnassm/error.h"

#include "scan_backward_channel.h"

namespace dnassm::cuda {

ScanPlan plan_selective_scan(std::int64_t L, std::int64_t E, std::int64_t N) {
    DNASSM_CHECK(N >= 1 && N <= 32, ErrorKind::kUsage,
                 "CUDA selective scan supports d_state 1..32, not " + std::to_string(N));
    DNASSM_CHECK(L >= 1 && E >= 1, ErrorKind::kUsage, "selective scan needs L >= 1 and E >= 1");
    ScanPlan p;
    // Enough chunks to fill the device even for one sequence, but chunks long enough that the
    // sequential carry pass (n_chunks steps) stays negligible.
    p.chunk = std::clamp<std::int64_t>(L / 64, 64, 2048);
    p.n_chunks = (L + p.chunk - 1) / p.chunk;
    p.grid_x = (E + ScanPlan::kChannelsPerBlock - 1) / ScanPlan::kChannelsPerBlock;
    p.staged_inputs = std::getenv("DNASSM_CUDA_SCAN_STAGED") != nullptr;
    return p;
}

ScanBackwardPlan plan_selective_scan_backward(std::int64_t L, std::int64_t E, std::int64_t N) {
    const char* variant = std::getenv("DNASSM_CUDA_SCAN_BACKWARD");
    return plan_selective_scan_backward(L, E, N, variant && std::string(variant) == "channel");
}

ScanBackwardPlan plan_selective_scan_backward(std::int64_t L,
                                              std::int64_t E,
                                              std::int64_t N,
                                              bool per_channel) {
    (void)plan_selective_scan(L, E, N);  // the same limits
    ScanBackwardPlan p;
    p.per_channel = per_channel;
    const std::int64_t max_chunk =
        p.per_channel ? ChannelScanBackward::kSub * ChannelScanBackward::kMaxCheckpoints
                      : ScanBackwardPlan::kSub * ScanBackwardPlan::kCheckpoints;
    const std::int64_t channels_per_block =
        p.per_channel ? ChannelScanBackward::kThreads : ScanBackwardPlan::kWarps;
    p.chunk = std::clamp<std::int64_t>(L / 64, 64, max_chunk);
    p.n_chunks = (L + p.chunk - 1) / p.chunk;
    p.grid_x = (E + channels_per_block - 1) / channels_per_block;
    // dB and dC partials: 2 · grid_x · (segment length) · N floats, kept under 64 M floats.
    const std::int64_t per_chunk = 2 * p.grid_x * p.chunk * N;
    p.segment_chunks = std::clamp<std::int64_t>((64LL << 20) / per_chunk, 1, p.n_chunks);
    return p;
}

ScanBackwardScratch scan_backward_scratch(const ScanBackwardPlan& p,
                                          std::int64_t E,
                                          std::int64_t N) {
    const std::int64_t per = p.n_chunks * E * N,
                       partials = p.grid_x * p.segment_chunks * p.chunk * N;
    ScanBackwardScratch s;
    std::int64_t at = 0;
    auto take = [&](std::int64_t n) {
        const std::int64_t here = at;
        at += n;
        return here;
    };
    s.decay = take(per);
    s.entry = take(per);
    s.reach = take(per);
    s.back_reach = take(per);
    s.exit_carry = take(per);
    s.dA = take(per);
    s.dD = take(p.n_chunks * E);
    s.dbias = take(p.n_chunks * E);
    s.dB = take(partials);
    s.dC = take(partials);
    s.total = at;
    return s;
}

RowParts plan_row_parts(std::int64_t rows) {
    RowParts p;
    p.rows_per_part = rows;
    if (rows <= 0 || std::getenv("DNASSM_CUDA_ONE_ROW_PART")) return p;
    p.parts = std::clamp<std::int64_t>((rows + RowParts::kMinRows - 1) / RowParts::kMinRows, 1,
                                       RowParts::kMaxParts);
    p.rows_per_part = (rows + p.parts - 1) / p.parts;
    p.parts = (rows + p.rows_per_part - 1) / p.rows_per_part;  // no empty last part
    return p;
}

std::int64_t span_floats(std::int64_t rows, std::int64_t cols, std::int64_t ld) {
    return rows <= 0 ? 0 : (rows - 1) * ld + cols;
}

}  // namespace dnassm::cuda
