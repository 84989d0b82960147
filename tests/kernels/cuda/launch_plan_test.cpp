// The CUDA launch arithmetic (launch_plan.h): host code, tested on every machine.
#include "cuda/launch_plan.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dnassm/error.h"

#include "cuda/scan_backward_channel.h"

namespace dnassm {
namespace {

TEST(CudaLaunchPlan, ChunksCoverEveryLengthAndStayBounded) {
    for (std::int64_t L : {1LL, 2LL, 63LL, 64LL, 65LL, 4095LL, 100000LL, 1LL << 20, 3LL << 22}) {
        const cuda::ScanPlan p = cuda::plan_selective_scan(L, 513, 16);
        EXPECT_GE(p.chunk * p.n_chunks, L) << L;
        EXPECT_LT(p.chunk * (p.n_chunks - 1), L) << L;  // no empty chunk
        EXPECT_GE(p.chunk, 64);
        EXPECT_LE(p.chunk, 2048);
        EXPECT_GE(p.grid_x * cuda::ScanPlan::kChannelsPerBlock, 513);
        EXPECT_LT((p.grid_x - 1) * cuda::ScanPlan::kChannelsPerBlock, 513);
    }
    EXPECT_THROW((void)cuda::plan_selective_scan(100, 8, 33), Error);
    EXPECT_FALSE(cuda::plan_selective_scan(100, 8, 16).staged_inputs);
    setenv("DNASSM_CUDA_SCAN_STAGED", "1", 1);  // the variant the GPU run checks and times
    EXPECT_TRUE(cuda::plan_selective_scan(100, 8, 16).staged_inputs);
    unsetenv("DNASSM_CUDA_SCAN_STAGED");
    EXPECT_EQ(cuda::span_floats(0, 5, 9), 0);
    EXPECT_EQ(cuda::span_floats(3, 5, 9), 23);
}

TEST(CudaLaunchPlan, RowPartsCoverEveryRowOnceInBoundedParts) {
    using cuda::RowParts;
    for (std::int64_t rows : {1LL, 2LL, 2047LL, 2048LL, 2049LL, 4097LL, 100000LL, 262143LL,
                              1LL << 20, (1LL << 24) + 3}) {
        const RowParts p = cuda::plan_row_parts(rows);
        EXPECT_GE(p.parts, 1) << rows;
        EXPECT_LE(p.parts, RowParts::kMaxParts) << rows;
        EXPECT_GE(p.parts * p.rows_per_part, rows) << rows;
        EXPECT_LT((p.parts - 1) * p.rows_per_part, rows) << rows << ": empty last part";
        EXPECT_EQ(p.parts == 1, rows <= RowParts::kMinRows) << rows;
        if (p.parts < RowParts::kMaxParts) {
            EXPECT_LE(p.rows_per_part, RowParts::kMinRows) << rows;
        }
    }
    EXPECT_EQ(cuda::plan_row_parts(4097).parts, 3);  // the parity shapes cover several parts
    EXPECT_EQ(cuda::plan_row_parts(0).parts, 1);
    setenv("DNASSM_CUDA_ONE_ROW_PART", "1", 1);  // the switch a GPU run rules the parts out with
    EXPECT_EQ(cuda::plan_row_parts(1 << 20).parts, 1);
    EXPECT_EQ(cuda::plan_row_parts(1 << 20).rows_per_part, 1 << 20);
    unsetenv("DNASSM_CUDA_ONE_ROW_PART");
}

TEST(CudaLaunchPlan, ScanBackwardChunksSegmentsAndScratch) {
    using P = cuda::ScanBackwardPlan;
    using Channel = cuda::ChannelScanBackward;
    for (const bool per_channel : {false, true})
        for (std::int64_t L : {1LL, 63LL, 64LL, 65LL, 4095LL, 100000LL, 1LL << 20}) {
            for (std::int64_t E : {1LL, 5LL, 513LL, 1536LL}) {
                const P p = cuda::plan_selective_scan_backward(L, E, 16, per_channel);
                EXPECT_EQ(p.per_channel, per_channel);
                EXPECT_GE(p.chunk * p.n_chunks, L);
                EXPECT_LT(p.chunk * (p.n_chunks - 1), L);
                // Checkpoints fit in shared memory (warp variant) or in the thread's array.
                EXPECT_LE(p.chunk, per_channel ? Channel::kSub * Channel::kMaxCheckpoints
                                               : P::kSub * P::kCheckpoints);
                const std::int64_t per_block = per_channel ? Channel::kThreads : P::kWarps;
                EXPECT_GE(p.grid_x * per_block, E);
                EXPECT_LT((p.grid_x - 1) * per_block, E);
                EXPECT_GE(p.segment_chunks, 1);
                EXPECT_LE(p.segment_chunks, p.n_chunks);
                // dB/dC partials stay bounded however long the sequence.
                EXPECT_LE(2 * p.grid_x * p.segment_chunks * p.chunk * 16,
                          std::max<std::int64_t>(64LL << 20, 2 * p.grid_x * p.chunk * 16));
                const cuda::ScanBackwardScratch sc = cuda::scan_backward_scratch(p, E, 16);
                const std::int64_t per = p.n_chunks * E * 16;
                const std::int64_t parts = p.grid_x * p.segment_chunks * p.chunk * 16;
                const std::vector<std::pair<std::int64_t, std::int64_t>> spans = {
                    {sc.decay, per},         {sc.entry, per},
                    {sc.reach, per},         {sc.back_reach, per},
                    {sc.exit_carry, per},    {sc.dA, per},
                    {sc.dD, p.n_chunks * E}, {sc.dbias, p.n_chunks * E},
                    {sc.dB, parts},          {sc.dC, parts}};
                std::int64_t end = 0;
                for (const auto& [at, n] : spans) {  // back to back, no overlap
                    EXPECT_EQ(at, end);
                    end = at + n;
                }
                EXPECT_EQ(sc.total, end);
            }
        }
    EXPECT_THROW((void)cuda::plan_selective_scan_backward(100, 8, 33), Error);
    EXPECT_FALSE(cuda::plan_selective_scan_backward(100, 8, 16).per_channel);
    setenv("DNASSM_CUDA_SCAN_BACKWARD", "channel", 1);  // the variant the GPU run checks
    EXPECT_TRUE(cuda::plan_selective_scan_backward(100, 8, 16).per_channel);
    unsetenv("DNASSM_CUDA_SCAN_BACKWARD");
}

}  // namespace
}  // namespace dnassm
